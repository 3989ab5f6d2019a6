package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Record kinds of training paths.
const (
	recPath     = "path"     // key: path name → Path JSON
	recTipPaths = "tippaths" // key: padded tip id → JSON list of the path names the tip is in, sorted
)

// History events of training paths.
const (
	historyPathAdded   = "path-added"
	historyPathRemoved = "path-removed"
)

// maxPathName bounds a path's name; maxPathTips the tips of one path.
const (
	maxPathName  = 32
	maxPathTitle = 200
	maxPathTips  = 200
)

// ErrForbidden is returned by the Bot's methods when the person acting may
// not do what they asked (a member reordering a training path).
var ErrForbidden = errors.New("not allowed")

// Path is a training path: tips a trainer put in order, to learn from.
type Path struct {
	Name      string // short slug users type, e.g. "git-basics"
	Title     string
	Tips      []TipID // in the path's order
	CreatedBy string  // user id of the trainer who created it ("" once forgotten)
	CreatedAt time.Time
}

// PathName reads a path name as typed: lower-cased, it must be 1 to 32
// letters a-z, digits, '-' or '_', starting with a letter or digit. It
// returns the name and whether it is one.
func PathName(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxPathName {
		return "", false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return "", false
		}
	}
	return s, true
}

// readPath returns the path of that name (ErrNotFound when there is none).
func readPath(tx ReadTx, name string) (Path, error) {
	raw, err := tx.Record(recPath, name)
	if err != nil {
		return Path{}, err
	}
	var p Path
	if err := json.Unmarshal(raw, &p); err != nil {
		return Path{}, fmt.Errorf("bot: decode path %q: %w", name, err)
	}
	return p, nil
}

func putPath(tx Tx, p Path) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("bot: encode path %q: %w", p.Name, err)
	}
	return tx.PutRecord(recPath, p.Name, raw)
}

// tipPaths returns the names of the paths a tip is in, sorted.
func tipPaths(tx ReadTx, id TipID) ([]string, error) {
	raw, err := tx.Record(recTipPaths, tipKey(id))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, fmt.Errorf("bot: decode paths of %s: %w", id, err)
	}
	return names, nil
}

// setTipPaths stores the reverse index of a tip, and counts the tip in
// the "in a path" funnel when it enters its first path or leaves its last.
func setTipPaths(tx Tx, t Tip, before, after []string) error {
	switch {
	case len(before) == 0 && len(after) > 0:
		if err := addCounters(tx, t.Periods, counterInPath, 1); err != nil {
			return err
		}
	case len(before) > 0 && len(after) == 0:
		if err := addCounters(tx, t.Periods, counterInPath, -1); err != nil {
			return err
		}
	}
	if len(after) == 0 {
		return tx.DeleteRecord(recTipPaths, tipKey(t.ID))
	}
	raw, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("bot: encode paths of %s: %w", t.ID, err)
	}
	return tx.PutRecord(recTipPaths, tipKey(t.ID), raw)
}

// addToPath appends a tip to a path (the caller stores the path) and
// updates the tip's reverse index. It returns false when the tip is there
// already.
func addToPath(tx Tx, p *Path, t Tip) (bool, error) {
	if slices.Contains(p.Tips, t.ID) {
		return false, nil
	}
	p.Tips = append(p.Tips, t.ID)
	names, err := tipPaths(tx, t.ID)
	if err != nil {
		return false, err
	}
	return true, setTipPaths(tx, t, names, insertSorted(slices.Clone(names), p.Name))
}

// takeFromPath removes a tip from a path (the caller stores the path) and
// from the tip's reverse index. It returns false when the tip was not in it.
func takeFromPath(tx Tx, p *Path, t Tip) (bool, error) {
	i := slices.Index(p.Tips, t.ID)
	if i < 0 {
		return false, nil
	}
	p.Tips = slices.Delete(p.Tips, i, i+1)
	names, err := tipPaths(tx, t.ID)
	if err != nil {
		return false, err
	}
	after := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == p.Name })
	return true, setTipPaths(tx, t, names, after)
}

// leavePaths takes a tip out of every path it is in, in the caller's
// transaction, calling left (when not nil) with each path's name: a deleted
// or rejected tip leaves its paths.
func leavePaths(tx Tx, t Tip, left func(path string) error) error {
	names, err := tipPaths(tx, t.ID)
	if err != nil || len(names) == 0 {
		return err
	}
	for _, name := range names {
		p, err := readPath(tx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		p.Tips = slices.DeleteFunc(p.Tips, func(id TipID) bool { return id == t.ID })
		if err := putPath(tx, p); err != nil {
			return err
		}
		if left != nil {
			if err := left(name); err != nil {
				return err
			}
		}
	}
	return setTipPaths(tx, t, names, nil)
}

// addPathHistory appends a path event to a tip's history.
func (b *Bot) addPathHistory(tx Tx, id TipID, by, event, path string) error {
	return b.appendHistory(tx, id, HistoryEntry{By: by, Event: event, Path: path})
}

// allPaths returns the workspace's paths in name order.
func allPaths(tx ReadTx) ([]Path, error) {
	var out []Path
	err := tx.ForEachRecord(recPath, func(key string, raw []byte) error {
		var p Path
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("bot: decode path %q: %w", key, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// Paths returns the workspace's training paths, in name order.
func (b *Bot) Paths(ctx context.Context, ws Workspace) ([]Path, error) {
	var out []Path
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		out, err = allPaths(tx)
		return err
	})
	return out, err
}

// PathTips returns a training path and its tips in order, as the whole
// workspace may read them: a tip restricted to its channel (see
// Confidentiality: its channel became private after it was added) is left
// out of the tips, though Path.Tips keeps its id. Each tip's AuthorName is
// the directory's current name of its author, or what the tip kept. It
// returns ErrNotFound when there is no such path.
func (b *Bot) PathTips(ctx context.Context, ws Workspace, name string) (Path, []Tip, error) {
	var p Path
	var tips []Tip
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		p, tips, err = pathTips(tx, name, postViewer)
		return err
	})
	return p, tips, err
}

// pathTips reads a path and those of its tips v may see, authors named as
// the directory knows them now.
func pathTips(tx ReadTx, name string, v viewer) (Path, []Tip, error) {
	key, ok := PathName(name)
	if !ok {
		return Path{}, nil, ErrNotFound
	}
	p, err := readPath(tx, key)
	if err != nil {
		return Path{}, nil, err
	}
	var tips []Tip
	for _, id := range p.Tips {
		t, err := tx.Tip(id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Path{}, nil, err
		}
		if !v.shows(t) || !t.Ranked() {
			continue
		}
		m, err := tx.Member(t.AuthorID)
		switch {
		case err == nil && m.Name != "":
			t.AuthorName = m.Name
		case err != nil && !errors.Is(err, ErrNotFound):
			return Path{}, nil, err
		}
		if t.AuthorName == "" {
			t.AuthorName = t.AuthorID
		}
		tips = append(tips, t)
	}
	return p, tips, nil
}

// MovePathTip moves a tip of a training path delta places (negative:
// earlier), stopping at either end; actor must be a trainer or an admin
// (ErrForbidden otherwise), as for the command: a trainer by the roles
// configured or granted, an admin also by User.Admin (what the platform
// or a signed dashboard session says). It returns ErrNotFound when there
// is no such path or the tip is not in it.
func (b *Bot) MovePathTip(ctx context.Context, ws Workspace, actor User, name string, tip TipID, delta int) error {
	return b.store.Update(ctx, ws, func(tx Tx) error {
		role, err := b.roleOf(tx, actor)
		if err != nil {
			return err
		}
		if role < RoleTrainer {
			return ErrForbidden
		}
		_, err = movePathTip(tx, name, tip, delta)
		return err
	})
}

// movePathTip moves the tip and stores the path; it returns the tip's new
// place (0 first).
func movePathTip(tx Tx, name string, tip TipID, delta int) (int, error) {
	key, ok := PathName(name)
	if !ok {
		return 0, ErrNotFound
	}
	p, err := readPath(tx, key)
	if err != nil {
		return 0, err
	}
	i := slices.Index(p.Tips, tip)
	if i < 0 {
		return 0, ErrNotFound
	}
	j := min(max(i+delta, 0), len(p.Tips)-1)
	if i == j {
		return j, nil
	}
	p.Tips = slices.Insert(slices.Delete(p.Tips, i, i+1), j, tip)
	return j, putPath(tx, p)
}

// cmdPath: /tips path list|show|create|add|remove|move|delete.
func (b *Bot) cmdPath(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) == 0 {
		return b.pathUsage(ctx, e)
	}
	sub, rest := strings.ToLower(args[0]), args[1:]
	switch sub {
	case "list":
		if len(rest) != 0 {
			return b.usage("usage.path"), nil
		}
		return b.pathList(ctx, e)
	case "show":
		if len(rest) != 1 {
			return b.usage("usage.path"), nil
		}
		return b.pathShow(ctx, e, rest[0])
	case "create", "add", "remove", "move", "delete":
	default:
		return b.pathUsage(ctx, e)
	}
	// The command table gave the trainer sub-commands the trainer role.
	if len(rest) == 0 {
		return b.usage("usage.pathedit"), nil
	}
	name, ok := PathName(rest[0])
	if !ok {
		return b.private(b.t("path.badname", rest[0]) + "\n" + b.t("usage.prefix") + " " + b.t("usage.pathedit")), nil
	}
	switch sub {
	case "create":
		if len(rest) < 2 {
			return b.usage("usage.pathedit"), nil
		}
		return b.pathCreate(ctx, e, name, strings.Join(rest[1:], " "))
	case "add":
		if len(rest) < 2 {
			return b.usage("usage.pathedit"), nil
		}
		return b.pathAdd(ctx, e, name, rest[1:])
	case "remove":
		if len(rest) != 2 {
			return b.usage("usage.pathedit"), nil
		}
		return b.pathRemove(ctx, e, name, rest[1])
	case "move":
		if len(rest) != 3 {
			return b.usage("usage.pathedit"), nil
		}
		return b.pathMove(ctx, e, name, rest[1], strings.ToLower(rest[2]))
	}
	if len(rest) != 1 {
		return b.usage("usage.pathedit"), nil
	}
	return b.pathDelete(ctx, e, name)
}

// pathUsage answers a bare or unknown "/tips path" with the usage lines
// the caller may use.
func (b *Bot) pathUsage(ctx context.Context, e *CommandInvoked) (Reply, error) {
	var role Role
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		role, err = b.roleOf(tx, e.User)
		return err
	}); err != nil {
		return nil, err
	}
	text := b.t("usage.prefix") + " " + b.t("usage.path")
	if role >= RoleTrainer {
		text += "\n" + b.t("usage.pathedit")
	}
	return b.private(text), nil
}

func (b *Bot) pathList(ctx context.Context, e *CommandInvoked) (Reply, error) {
	v := commandViewer(e)
	type entry struct {
		p     Path
		shown int
	}
	var list []entry
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		paths, err := allPaths(tx)
		if err != nil {
			return err
		}
		for _, p := range paths {
			_, tips, err := pathTips(tx, p.Name, v)
			if err != nil {
				return err
			}
			list = append(list, entry{p, len(tips)})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("path.list.title")}
	if len(list) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("path.list.none")})
		return m, nil
	}
	for _, x := range list {
		m.Lines = append(m.Lines, Line{Text: "• " + b.t("path.list.line", x.p.Name, x.p.Title, b.plural("tips", int64(x.shown)))})
	}
	m.Lines = append(m.Lines, Line{Text: b.t("path.list.how")})
	return m, nil
}

func (b *Bot) pathShow(ctx context.Context, e *CommandInvoked, arg string) (Reply, error) {
	var p Path
	var tips []Tip
	found := true
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		p, tips, err = pathTips(tx, arg, commandViewer(e))
		if errors.Is(err, ErrNotFound) {
			found = false
			return nil
		}
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return b.private(b.t("path.unknown", arg)), nil
	}
	m := &Message{Title: b.t("path.show.title", p.Title, p.Name)}
	if len(tips) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("path.show.empty")})
	}
	for i, t := range tips {
		m.Lines = append(m.Lines, b.tipLine(fmt.Sprintf("%d. ", i+1), t))
	}
	if hidden := len(p.Tips) - len(tips); hidden > 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("path.show.hidden", hidden)})
	}
	return m, nil
}

func (b *Bot) pathCreate(ctx context.Context, e *CommandInvoked, name, title string) (Reply, error) {
	title = strings.Join(strings.Fields(stripBidi(title)), " ")
	if title == "" || len([]rune(title)) > maxPathTitle {
		return b.usage("usage.pathedit"), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		if _, err := readPath(tx, name); err == nil {
			out.reply = b.private(b.t("path.exists", name))
			return false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return false, err
		}
		if err := putPath(tx, Path{Name: name, Title: title, CreatedBy: e.User.ID, CreatedAt: b.now()}); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("path.created", name, title, name))
		return true, nil
	})
}

// pathAdd appends tips to a path in the order given. A rejected tip, a
// restricted one or a tip already there is skipped with a reason; a
// pending tip is featured, which publishes it (as /tips feature does).
func (b *Bot) pathAdd(ctx context.Context, e *CommandInvoked, name string, args []string) (Reply, error) {
	var ids []TipID
	for _, a := range args {
		id, err := ParseTipID(a)
		if err != nil {
			return b.private(b.t("tip.unknown", a)), nil
		}
		ids = append(ids, id)
	}
	return b.updatePath(ctx, e, name, func(tx Tx, out *outbox, p Path) (bool, error) {
		var lines []string
		changed := false
		for i, id := range ids {
			t, err := tx.Tip(id)
			switch {
			case errors.Is(err, ErrNotFound):
				lines = append(lines, b.t("tip.unknown", args[i]))
				continue
			case err != nil:
				return false, err
			case t.Status == StatusRejected:
				lines = append(lines, b.t("path.add.rejected", t.ID))
				continue
			case t.Restricted():
				lines = append(lines, b.t("path.add.restricted", t.ID))
				continue
			case slices.Contains(p.Tips, t.ID):
				lines = append(lines, b.t("path.add.already", t.ID, name, slices.Index(p.Tips, t.ID)+1))
				continue
			case len(p.Tips) >= maxPathTips:
				lines = append(lines, b.t("path.add.full", name, maxPathTips))
				continue
			}
			if t.Status != StatusFeatured {
				if t, err = b.setStatus(tx, out, e, t, "feature", StatusFeatured); err != nil {
					return false, err
				}
			}
			if _, err := addToPath(tx, &p, t); err != nil {
				return false, err
			}
			if err := b.addPathHistory(tx, t.ID, e.User.ID, historyPathAdded, name); err != nil {
				return false, err
			}
			lines = append(lines, b.t("path.added", t.ID, name, len(p.Tips)))
			changed = true
		}
		if changed {
			if err := putPath(tx, p); err != nil {
				return false, err
			}
		}
		out.reply = b.private(strings.Join(lines, "\n"))
		return changed, nil
	})
}

func (b *Bot) pathRemove(ctx context.Context, e *CommandInvoked, name, arg string) (Reply, error) {
	id, err := ParseTipID(arg)
	if err != nil {
		return b.private(b.t("tip.unknown", arg)), nil
	}
	return b.updatePath(ctx, e, name, func(tx Tx, out *outbox, p Path) (bool, error) {
		t, err := tx.Tip(id)
		if errors.Is(err, ErrNotFound) {
			out.reply = b.private(b.t("tip.unknown", arg))
			return false, nil
		}
		if err != nil {
			return false, err
		}
		ok, err := takeFromPath(tx, &p, t)
		if err != nil || !ok {
			out.reply = b.private(b.t("path.notin", t.ID, name))
			return false, err
		}
		if err := putPath(tx, p); err != nil {
			return false, err
		}
		if err := b.addPathHistory(tx, t.ID, e.User.ID, historyPathRemoved, name); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("path.removed", t.ID, name))
		return true, nil
	})
}

func (b *Bot) pathMove(ctx context.Context, e *CommandInvoked, name, arg, dir string) (Reply, error) {
	id, err := ParseTipID(arg)
	if err != nil {
		return b.private(b.t("tip.unknown", arg)), nil
	}
	delta := 0
	switch dir {
	case "up", "haut", "monter":
		delta = -1
	case "down", "bas", "descendre":
		delta = 1
	default:
		return b.usage("usage.pathedit"), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		if _, err := readPath(tx, name); errors.Is(err, ErrNotFound) {
			out.reply = b.private(b.t("path.unknown", name))
			return false, nil
		}
		at, err := movePathTip(tx, name, id, delta)
		if errors.Is(err, ErrNotFound) {
			out.reply = b.private(b.t("path.notin", id, name))
			return false, nil
		}
		if err != nil {
			return false, err
		}
		out.reply = b.private(b.t("path.moved", id, at+1, name))
		return true, nil
	})
}

func (b *Bot) pathDelete(ctx context.Context, e *CommandInvoked, name string) (Reply, error) {
	return b.updatePath(ctx, e, name, func(tx Tx, out *outbox, p Path) (bool, error) {
		for _, id := range slices.Clone(p.Tips) {
			t, err := tx.Tip(id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return false, err
			}
			if _, err := takeFromPath(tx, &p, t); err != nil {
				return false, err
			}
			if err := b.addPathHistory(tx, t.ID, e.User.ID, historyPathRemoved, name); err != nil {
				return false, err
			}
		}
		if err := tx.DeleteRecord(recPath, name); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("path.deleted", name))
		return true, nil
	})
}

// TipPaths returns the training paths each of the tips is in, in name
// order (a tip in none is absent): the paths column of a handout.
func (b *Bot) TipPaths(ctx context.Context, ws Workspace, ids []TipID) (map[TipID][]string, error) {
	out := map[TipID][]string{}
	err := b.view(ctx, ws, func(tx ReadTx) error {
		for _, id := range ids {
			names, err := tipPaths(tx, id)
			if err != nil {
				return err
			}
			if len(names) > 0 {
				out[id] = names
			}
		}
		return nil
	})
	return out, err
}

// updatePath runs fn in a write transaction on the path named name, or
// answers that there is no such path.
func (b *Bot) updatePath(ctx context.Context, e *CommandInvoked, name string, fn func(tx Tx, out *outbox, p Path) (bool, error)) (Reply, error) {
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		p, err := readPath(tx, name)
		if errors.Is(err, ErrNotFound) {
			out.reply = b.private(b.t("path.unknown", name))
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return fn(tx, out, p)
	})
}
