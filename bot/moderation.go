package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record kinds of moderation and roles.
const (
	recPending = "pending" // key: padded tip id of each pending tip
	recModLog  = "modlog"  // key: padded sequence number → ModAction JSON
)

// ModAction is one recorded moderation action.
type ModAction struct {
	At     time.Time
	By     string // user id of the trainer or admin
	Action string // approve, feature, reject
	Tip    TipID
}

func tipKey(id TipID) string { return fmt.Sprintf("%020d", uint64(id)) }

// keyID reads the id of a record key written as a zero-padded decimal
// (tipKey, sessionKey). Not fmt.Sscan: it reads a leading 0 as octal
// ("…010" would be 8, "…09" 0).
func keyID(key string) (uint64, error) {
	return strconv.ParseUint(key, 10, 64)
}

// errEnough stops a ForEach walk early.
var errEnough = errors.New("enough")

// counterPending counts the tips waiting for approval.
const counterPending = "pending"

// trackPending keeps the pending index and its counter in step with a
// tip's status (deleted tips pass deleted=true).
func trackPending(tx Tx, t Tip, deleted bool) error {
	pending := t.Status == StatusPending && !deleted
	_, err := tx.Record(recPending, tipKey(t.ID))
	indexed := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	switch {
	case pending && !indexed:
		if err := tx.AddCounter(counterPending, 1); err != nil {
			return err
		}
		return tx.PutRecord(recPending, tipKey(t.ID), []byte{1})
	case !pending && indexed:
		if err := tx.AddCounter(counterPending, -1); err != nil {
			return err
		}
		return tx.DeleteRecord(recPending, tipKey(t.ID))
	}
	return nil
}

// moderate changes a tip's status as the moderation commands ask.
// updateTip runs fn in an update of the command's event on the tip that
// arg names; a malformed or unknown id gets "unknown tip" and changes
// nothing.
func (b *Bot) updateTip(ctx context.Context, e *CommandInvoked, arg string, fn func(tx Tx, out *outbox, t Tip) (bool, error)) (Reply, error) {
	id, err := ParseTipID(arg)
	if err != nil {
		return b.private(b.t("tip.unknown", arg)), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		t, err := tx.Tip(id)
		if errors.Is(err, ErrNotFound) {
			out.reply = b.private(b.t("tip.unknown", arg))
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return fn(tx, out, t)
	})
}

func (b *Bot) moderate(ctx context.Context, e *CommandInvoked, args []string, action string, to Status) (Reply, error) {
	if len(args) != 1 {
		return b.usage("usage." + action), nil
	}
	return b.updateTip(ctx, e, args[0], func(tx Tx, out *outbox, t Tip) (bool, error) {
		if t.Status == to {
			out.reply = b.private(b.t("mod.already", t.ID, b.t("status."+string(to))))
			return false, nil
		}
		if _, err := b.setStatus(tx, out, e, t, action, to); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("mod.done."+action, t.ID))
		return true, nil
	})
}

// setStatus changes a tip's status as a moderation action (approve,
// feature, reject) by the command's caller, in the caller's transaction:
// the tip, its vote and pending counts, the moderation log and its history;
// a rejected tip leaves its training paths and its author is told. It
// returns the tip as stored.
func (b *Bot) setStatus(tx Tx, out *outbox, e *CommandInvoked, t Tip, action string, to Status) (Tip, error) {
	before := t
	t.Status = to
	t.UpdatedAt = b.now()
	if err := b.maybeHallOfFame(tx, out, e.Workspace, &t); err != nil {
		return t, err
	}
	if err := tx.PutTip(t); err != nil {
		return t, err
	}
	if err := countVotes(tx, before, t); err != nil {
		return t, err
	}
	if err := countFunnel(tx, before, t); err != nil {
		return t, err
	}
	if err := b.recountNewContributor(tx, t.AuthorID); err != nil {
		return t, err
	}
	if err := trackPending(tx, t, false); err != nil {
		return t, err
	}
	now := b.now()
	raw, err := json.Marshal(ModAction{At: now, By: e.User.ID, Action: action, Tip: t.ID})
	if err != nil {
		return t, fmt.Errorf("bot: encode moderation action: %w", err)
	}
	seq, err := nextSequence(tx, recModLog)
	if err != nil {
		return t, err
	}
	if err := tx.PutRecord(recModLog, fmt.Sprintf("%020d", seq), raw); err != nil {
		return t, err
	}
	if err := b.addHistory(tx, t.ID, e.User.ID, map[string]string{"approve": historyApproved, "feature": historyFeatured, "reject": historyRejected}[action], ""); err != nil {
		return t, err
	}
	if to == StatusRejected && t.AuthorID != e.User.ID {
		author := t.AuthorID
		note := Message{Lines: []Line{{Text: b.t("mod.rejected.dm", snippet(t.Text, 200))}}}
		if err := b.oweDirect(tx, out, "notice", author, note); err != nil {
			return t, err
		}
	}
	if to == StatusRejected {
		left := func(path string) error { return b.addPathHistory(tx, t.ID, e.User.ID, historyPathRemoved, path) }
		if err := leavePaths(tx, t, left); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (b *Bot) cmdApprove(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	return b.moderate(ctx, e, args, "approve", StatusPublished)
}

func (b *Bot) cmdFeature(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	return b.moderate(ctx, e, args, "feature", StatusFeatured)
}

func (b *Bot) cmdReject(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	return b.moderate(ctx, e, args, "reject", StatusRejected)
}

// cmdPending lists the tips waiting for approval, oldest first.
func (b *Bot) cmdPending(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) > 0 {
		return b.usage("usage.pending"), nil
	}
	var tips []Tip
	var total int64
	v := commandViewer(e)
	err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		if total, err = tx.Counter(counterPending); err != nil {
			return err
		}
		err = tx.ForEachRecord(recPending, func(key string, _ []byte) error {
			if len(tips) >= 20 {
				return errEnough
			}
			id, err := keyID(key)
			if err != nil {
				return fmt.Errorf("bot: pending key %q: %w", key, err)
			}
			t, err := tx.Tip(TipID(id))
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err == nil && v.shows(t) { // others are counted, not quoted
				tips = append(tips, t)
			}
			return err
		})
		if errors.Is(err, errEnough) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("pending.title", total)}
	if total == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("pending.none")})
	}
	for _, t := range tips {
		m.Lines = append(m.Lines, b.tipLine("• ", t))
	}
	if total > 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("pending.how")})
	}
	return m, nil
}

// cmdTrainer: /tips trainer add|remove @user (admins). In the shell, where
// user ids are names, a bare name names the person too.
func (b *Bot) cmdTrainer(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) != 2 {
		return b.usage("usage.trainer"), nil
	}
	action := strings.ToLower(args[0])
	if action != "add" && action != "remove" {
		return b.usage("usage.trainer"), nil
	}
	id, ok := b.userArg(e.Workspace.Platform, args[1])
	if !ok {
		return b.private(b.t("trainer.badmention", args[1])), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		_, err := tx.Record(recTrainer, id)
		added := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, err
		}
		inConfig := b.configTrainer(id)
		switch {
		case action == "add" && (added || inConfig):
			out.reply = b.private(b.t("trainer.already", args[1]))
			return false, nil
		case action == "add":
			out.reply = b.private(b.t("trainer.added", args[1]))
			return true, tx.PutRecord(recTrainer, id, []byte(e.User.ID))
		case added:
			out.reply = b.private(b.t("trainer.removed", args[1]))
			return true, tx.DeleteRecord(recTrainer, id)
		case inConfig:
			out.reply = b.private(b.t("trainer.config", args[1]))
		default:
			out.reply = b.private(b.t("trainer.notfound", args[1]))
		}
		return false, nil
	})
}

// cmdExport: /tips export [csv|json] — the workspace's tips, privately, as a file.
func (b *Bot) cmdExport(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	format := "csv"
	if len(args) > 1 {
		return b.usage("usage.export"), nil
	}
	if len(args) == 1 {
		switch strings.ToLower(args[0]) {
		case "csv":
		case "json", "jsonl":
			format = "jsonl"
		default:
			return b.usage("usage.export"), nil
		}
	}
	var buf bytes.Buffer
	if format == "csv" {
		// A byte-order mark makes spreadsheets (Excel) read the file as
		// UTF-8, so accents stay intact. tipbot export (stdout) has none.
		buf.WriteString("\ufeff")
	}
	if err := Export(ctx, b.store, []Workspace{e.Workspace}, format, &buf); err != nil {
		return nil, err
	}
	mime := "text/csv; charset=utf-8"
	if format == "jsonl" {
		mime = "application/x-ndjson"
	}
	name := fmt.Sprintf("tipbot-%s-%s.%s", e.Workspace.ID, b.now().In(b.cfg.Location).Format("2006-01-02"), format)
	return &Message{
		Lines: []Line{{Text: b.t("export.done", name)}},
		File:  &File{Name: name, MIMEType: mime, Data: buf.Bytes()},
	}, nil
}
