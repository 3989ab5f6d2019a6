package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Role is what a person may do.
type Role int

// Roles, each allowed everything the previous one may do.
const (
	RoleMember Role = iota
	RoleTrainer
	RoleAdmin
)

// recTrainer records trainers added with "/tips trainer add" (key: user id).
const recTrainer = "trainer"

// roleOf returns the role of a user in a workspace.
func (b *Bot) roleOf(tx ReadTx, u User) (Role, error) {
	if u.Admin || slices.Contains(b.cfg.Admins, u.ID) {
		return RoleAdmin, nil
	}
	if slices.Contains(b.cfg.Trainers, u.ID) {
		return RoleTrainer, nil
	}
	_, err := tx.Record(recTrainer, u.ID)
	switch {
	case err == nil:
		return RoleTrainer, nil
	case errors.Is(err, ErrNotFound):
		return RoleMember, nil
	}
	return RoleMember, err
}

// configTrainer reports whether id is a trainer through roles.trainers.
func (b *Bot) configTrainer(id string) bool { return slices.Contains(b.cfg.Trainers, id) }

// Tokenize splits a command line into arguments: spaces separate, double
// quotes (straight or curly) group. Arguments naming channels and people
// are read afterwards, in the platform's syntax (PlatformSpec).
func Tokenize(text string) []string {
	var args []string
	var cur strings.Builder
	inQuote, has := false, false
	for _, r := range text {
		switch {
		case r == '"' || r == '“' || r == '”':
			inQuote, has = !inQuote, true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0'):
			if has {
				args = append(args, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		args = append(args, cur.String())
	}
	return args
}

// ChannelArg reads the platform-free form of a command argument naming a
// channel, "#name", lower-cased as the shell's /in does: the channel and
// true, or false; the name must be one the shell accepts. Platforms'
// own syntax is read by their PlatformSpec.ChannelArg.
func ChannelArg(arg string) (string, bool) {
	if name, ok := strings.CutPrefix(arg, "#"); ok && ArgName(name) {
		return "#" + strings.ToLower(name), true
	}
	return "", false
}

// ArgName reports whether s can be an id or name that a command argument
// names (a person, a channel): letters, digits, '.', '-', '_', at most 80
// bytes, never blank. The shell's user and channel names follow it too.
func ArgName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// UserArg reads the platform-free form of a command argument naming a
// person, "@id": the id and true, or false. An id is letters, digits, '.',
// '-', '_': never blank ("@ "). Platforms' own syntax is read by their
// PlatformSpec.UserArg.
func UserArg(arg string) (string, bool) {
	id, ok := strings.CutPrefix(arg, "@")
	if !ok || !ArgName(id) {
		return "", false
	}
	return id, true
}

func (b *Bot) command(ctx context.Context, e *CommandInvoked) (Reply, error) {
	if e.User.Bot || e.User.ID == "" {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimPrefix(e.Name, "/")) {
	case "tip", "astuce":
		return b.cmdTip(ctx, e)
	case "tips", "astuces":
	default:
		return b.private(b.t("usage.unknown", e.Name)), nil
	}
	args := Tokenize(e.Text)
	if len(args) == 0 {
		return b.cmdHelp(ctx, e, nil)
	}
	c, ok := lookupCommand(args)
	if !ok {
		return b.private(b.t("usage.unknownsub", args[0])), nil
	}
	if c.Role > RoleMember {
		var role Role
		if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
			var err error
			role, err = b.roleOf(tx, e.User)
			return err
		}); err != nil {
			return nil, err
		}
		if role < c.Role {
			return b.private(b.t("role.refused."+roleName(c.Role), b.commandName(e.Workspace.Platform, c.Command, "/tips "+c.Word()))), nil
		}
	}
	return c.run(b, ctx, e, args[1:])
}

func roleName(r Role) string {
	switch r {
	case RoleAdmin:
		return "admin"
	case RoleTrainer:
		return "trainer"
	}
	return "member"
}

// usage returns a command's usage line as a private reply.
func (b *Bot) usage(key string) Reply { return b.private(b.t("usage.prefix") + " " + b.t(key)) }

func (b *Bot) cmdTip(ctx context.Context, e *CommandInvoked) (Reply, error) {
	text := strings.TrimSpace(e.Text)
	if text == "" {
		return b.usage("usage.tip"), nil
	}
	if r := b.tooLong(text); r != nil {
		return r, nil
	}
	reply, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		if t, ok, err := b.retried(tx, e.User.ID, e.Channel, text); err != nil || ok {
			out.reply = b.private(b.t("tip.retried", t.ID))
			return false, err
		}
		t, _, err := b.capture(tx, out, newTip{
			ws: e.Workspace, channel: e.Channel, threadID: e.ThreadID, author: e.User, text: text, source: SourceCommand,
		})
		if b.slowDown(err, out, true) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if err := b.rememberTip(tx, t, text); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("tip.recorded", t.ID))
		if t.Status == StatusPending {
			out.reply = b.private(b.t("tip.pending", t.ID))
		}
		post := Message{Thread: t.ThreadID, Lines: []Line{{Text: b.t("tip.post", t.AuthorName, t.Text, t.ID)}}, Own: true, Credit: t.AuthorID}
		if err := b.owePost(tx, out, "tip", t.Channel, post, parcel{LinkTip: t.ID, By: t.AuthorID}); err != nil {
			return false, err
		}
		return true, nil
	})
	return reply, err
}

// linkTipPost makes the bot's post of a /tip the tip's message, so votes on
// it count: useful reactions given to the post meanwhile are adopted, the
// acknowledgement reaction is owed, and the hall of fame considered.
func (b *Bot) linkTipPost(tx Tx, out *outbox, ws Workspace, id TipID, msgID string) error {
	cur, err := tx.Tip(id)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	cur.MessageID = msgID
	before := cur
	if err := b.adoptPendingVotes(tx, &cur); err != nil {
		return err
	}
	if err := countVotes(tx, before, cur); err != nil {
		return err
	}
	if err := b.maybeHallOfFame(tx, out, ws, &cur); err != nil {
		return err
	}
	if err := tx.PutTip(cur); err != nil {
		return err
	}
	return b.ackReaction(tx, out, ws, cur)
}

func (b *Bot) cmdHelp(ctx context.Context, e *CommandInvoked, _ []string) (Reply, error) {
	var role Role
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		role, err = b.roleOf(tx, e.User)
		return err
	}); err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("help.title")}
	m.Lines = append(m.Lines, Line{Text: b.t("usage.tip")})
	for i, c := range commands {
		if c.Role <= role && (i == 0 || commands[i-1].Usage != c.Usage) { // a group's commands share one line
			m.Lines = append(m.Lines, Line{Text: b.commandName(e.Workspace.Platform, c.Command, b.t(c.Usage))})
		}
	}
	p := e.Workspace.Platform
	m.Lines = append(m.Lines, Line{Text: b.t("help.capture", strings.Join(b.cfg.Prefixes, " "), strings.Join(b.cfg.Hashtags, " "),
		b.captureEmoji(p), strings.Join(b.usefulEmoji(p), " "))})
	return m, nil
}

func (b *Bot) cmdTop(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	period := Month
	if len(args) > 0 {
		p, ok := ParsePeriod(strings.ToLower(args[0]))
		if !ok || len(args) > 1 {
			return b.usage("usage.top"), nil
		}
		period = p
	}
	key := PeriodKey(period, b.now(), b.cfg.Location)
	var authors []Standing
	var tips []Tip
	names := map[string]string{}
	v := commandViewer(e)
	err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		if authors, err = v.topAuthors(tx, key, 5); err != nil {
			return err
		}
		if tips, err = v.topTips(tx, key, 5); err != nil {
			return err
		}
		return b.names(tx, authors, names)
	})
	if err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("top.title", b.t("period."+string(period)))}
	if len(tips) == 0 && len(authors) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("top.empty")})
		return m, nil
	}
	m.Lines = append(m.Lines, Line{Text: b.t("top.contributors")})
	for i, a := range authors {
		m.Lines = append(m.Lines, Line{Text: b.t("top.contributor", i+1, names[a.Member], b.plural("tips", a.Tips), b.plural("votes", a.Votes))})
	}
	m.Lines = append(m.Lines, Line{Text: b.t("top.tips")})
	for i, t := range tips {
		m.Lines = append(m.Lines, b.tipLine(fmt.Sprintf("%d. ", i+1), t))
	}
	return m, nil
}

// names fills id → display name for standings of authors.
func (b *Bot) names(tx ReadTx, list []Standing, names map[string]string) error {
	for _, s := range list {
		p, err := tx.Person(s.Member)
		switch {
		case errors.Is(err, ErrNotFound):
			names[s.Member] = s.Member
		case err != nil:
			return err
		default:
			names[s.Member] = p.Name
		}
	}
	return nil
}

// tipLine renders a tip as one line of a list, linking to its message.
func (b *Bot) tipLine(prefix string, t Tip) Line {
	text := b.t("tip.line", t.ID, snippet(t.Text, 100), t.AuthorName, b.plural("votes", int64(t.UsefulVotes)))
	if t.Applied > 0 {
		text += " · " + b.plural("applied", int64(t.Applied))
	}
	if t.Status == StatusFeatured {
		text += " " + b.t("tip.featured")
	}
	return Line{Text: prefix + text, Ref: tipRef(t)}
}

// snippet shortens text to n runes on one line.
func snippet(text string, n int) string {
	text = strings.Join(strings.Fields(stripBidi(text)), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// listShown is how many tips search and /tips me list; searchCounted is
// how many matches search counts before it says "at least".
const (
	listShown     = 5
	searchCounted = 100
)

func (b *Bot) cmdSearch(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	terms := QueryTerms(strings.Join(args, " "))
	if len(terms) == 0 {
		return b.usage("usage.search"), nil
	}
	var tips []Tip
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		tips, err = commandViewer(e).search(tx, terms, searchCounted)
		return err
	}); err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("search.title", snippet(strings.Join(args, " "), 100))}
	if len(tips) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("search.none")})
	}
	for _, t := range tips[:min(listShown, len(tips))] {
		m.Lines = append(m.Lines, b.tipLine("• ", t))
	}
	switch {
	case len(tips) >= searchCounted:
		m.Lines = append(m.Lines, Line{Text: b.t("search.atleast", listShown, b.plural("tips", searchCounted))})
	case len(tips) > listShown:
		m.Lines = append(m.Lines, Line{Text: b.t("search.more", listShown, b.plural("tips", int64(len(tips))))})
	}
	return m, nil
}

func (b *Bot) cmdMe(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) > 0 {
		return b.usage("usage.me"), nil
	}
	var mine []Tip
	var standing Standing
	var rank, total int
	v := commandViewer(e)
	v.own = true
	err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		if err := tx.TipsByAuthor(e.User.ID, func(t Tip) error {
			if v.shows(t) {
				mine = append(mine, t)
			}
			return nil
		}); err != nil {
			return err
		}
		var err error
		standing, rank, err = tx.AuthorRank("all", e.User.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		total, err = tx.CountAuthors("all")
		return err
	})
	if err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("me.title")}
	if len(mine) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("me.none")})
		return m, nil
	}
	votes, applied := 0, 0
	for _, t := range mine {
		votes += t.UsefulVotes
		applied += t.Applied
	}
	m.Lines = append(m.Lines, Line{Text: b.t("me.summary", b.plural("tips", int64(len(mine))), b.plural("votes", int64(votes)))})
	m.Lines = append(m.Lines, Line{Text: b.t("me.applied", b.plural("times", int64(applied)))})
	if rank > 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("me.rank", rank, b.plural("contributors", int64(total)), b.plural("votes", standing.Votes))})
	}
	slices.SortStableFunc(mine, func(x, y Tip) int {
		if x.UsefulVotes != y.UsefulVotes {
			return y.UsefulVotes - x.UsefulVotes
		}
		return int(y.ID) - int(x.ID)
	})
	for _, t := range mine[:min(listShown, len(mine))] {
		line := b.tipLine("• ", t)
		if t.Status != StatusPublished && t.Status != StatusFeatured {
			line.Text += " (" + b.t("status."+string(t.Status)) + ")"
		}
		m.Lines = append(m.Lines, line)
	}
	if len(mine) > listShown {
		m.Lines = append(m.Lines, Line{Text: b.t("me.more", listShown, b.plural("tips", int64(len(mine))))})
	}
	return m, nil
}

func (b *Bot) cmdExperts(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) != 1 {
		return b.usage("usage.experts"), nil
	}
	topic := strings.ToLower(strings.TrimPrefix(args[0], "#"))
	if topic == "" {
		return b.usage("usage.experts"), nil
	}
	var experts []Standing
	names := map[string]string{}
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		if experts, err = commandViewer(e).experts(tx, topic, 5); err != nil {
			return err
		}
		return b.names(tx, experts, names)
	}); err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("experts.title", topic)}
	if len(experts) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("experts.none", topic)})
	}
	for i, x := range experts {
		m.Lines = append(m.Lines, Line{Text: b.t("experts.line", i+1, names[x.Member], b.plural("votes", x.Votes), b.plural("tips", x.Tips))})
	}
	return m, nil
}

func (b *Bot) cmdForgetMe(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) > 1 || (len(args) == 1 && !strings.EqualFold(args[0], "confirm")) {
		return b.usage("usage.forgetme"), nil
	}
	if len(args) == 0 {
		var n int
		if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
			return tx.TipsByAuthor(e.User.ID, func(Tip) error { n++; return nil })
		}); err != nil {
			return nil, err
		}
		return b.private(b.t("forget.ask", b.plural("forget.tips", int64(n)))), nil
	}
	// The votes the person gave are relinked to an opaque id, made once
	// outside the transaction (which may run twice).
	var raw [12]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("bot: forget-me: %w", err)
	}
	anonymous := forgottenPrefix + hex.EncodeToString(raw[:])
	// Finding the person's votes and the tips they captured reads every
	// vote and tip: that runs in a read transaction, so events keep being
	// committed meanwhile. The writes then touch only what was found, a
	// chunk of votes per transaction, so that relinking a heavy voter's
	// votes holds up other events for moments only; the chunks of tips are
	// measured by the work their deletion takes (forgetCost), and each runs
	// behind the events queued meanwhile (BehindStore). What the person did
	// in between is found by another look.
	var tips, votes int
	meta := e.EventMeta
	for round := range forgetRounds {
		var found forgetScan
		if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
			var err error
			found, err = scanForget(tx, e.User.ID)
			return err
		}); err != nil {
			return nil, err
		}
		if round > 0 && found.empty() {
			break
		}
		for first := true; first || !found.votes.Empty() || len(found.mine) > 0; first = false {
			var chunk VoteRefs
			chunk, found.votes = splitVoteRefs(found.votes, forgetChunk)
			k := forgetTake(found.work)
			mine := found.mine[:k]
			found.mine, found.work = found.mine[k:], found.work[k:]
			ran := false
			var n, m int
			if _, err := b.updateBehind(ctx, &meta, func(tx Tx, out *outbox) (bool, error) {
				ran = true
				var err error
				if first {
					n, m, err = b.forget(tx, e.User.ID, anonymous, forgetScan{votes: chunk, applied: found.applied, pendingA: found.pendingA, history: found.history, captured: found.captured, mine: mine})
					return true, err
				}
				if n, err = forgetTips(tx, e.User.ID, mine); err != nil {
					return true, err
				}
				m, err = tx.ReassignVotes(chunk, e.User.ID, anonymous)
				return true, err
			}); err != nil {
				return nil, err
			}
			if !ran && meta.ID != "" {
				return nil, nil // this command was already handled
			}
			tips, votes = tips+n, votes+m
			meta.ID = "" // later transactions are not the delivered event
		}
	}
	return b.private(b.t("forget.done", b.plural("tips", int64(tips)), b.plural("votes", int64(votes)))), nil
}

// forgottenPrefix starts the anonymous id that a forgotten person's votes
// are relinked to.
const forgottenPrefix = "forgotten-"

// forgetRounds bounds how many times forget-me looks again for what the
// person did while it was forgetting them.
const forgetRounds = 3

// forgetChunk is how many votes one forget-me transaction relinks (a
// variable for tests).
var forgetChunk = 2000

// forgetTipChunk is the most of the person's tips one forget-me
// transaction deletes, and forgetWork the most work (forgetCost) it does
// (at least one tip), so that erasing a prolific author holds up other
// writes for moments only (BenchmarkForgetMe).
var (
	forgetTipChunk = 100
	forgetWork     = 1000
)

// forgetCost estimates the writes deleting t takes: its record and its
// indexes (message, author, channel), a search posting per word of its
// text, per ranking period (and "all") the rank entries of the tip, its
// author and each topic, the counters, and each vote on it.
func forgetCost(t Tip) int {
	return 4 + len(strings.Fields(t.Text)) + (len(t.Periods)+1)*(3+len(t.Topics)) + max(t.UsefulVotes, 0)
}

// forgetTake returns how many tips, of those whose costs are work, the
// next forget-me transaction deletes.
func forgetTake(work []int) int {
	n, sum := 0, 0
	for n < len(work) && n < forgetTipChunk && (n == 0 || sum+work[n] <= forgetWork) {
		sum += work[n]
		n++
	}
	return n
}

// splitVoteRefs returns the first n references of r and the rest.
func splitVoteRefs(r VoteRefs, n int) (head, rest VoteRefs) {
	t := min(n, len(r.Tips))
	head.Tips, rest.Tips = r.Tips[:t], r.Tips[t:]
	p := min(n-t, len(r.Pending))
	head.Pending, rest.Pending = r.Pending[:p], r.Pending[p:]
	return head, rest
}

// forgetScan is what scanForget found of a person outside the writer.
type forgetScan struct {
	votes    VoteRefs
	applied  []TipID  // tips they marked applied
	pendingA []string // messages, not tips, they put the applied reaction on
	history  []TipID  // tips whose history names them
	captured []TipID  // tips they captured for others
	mine     []TipID  // tips they wrote
	work     []int    // forgetCost of each of mine
}

func (f forgetScan) empty() bool {
	return f.votes.Empty() && len(f.applied) == 0 && len(f.pendingA) == 0 && len(f.history) == 0 && len(f.captured) == 0 && len(f.mine) == 0
}

// scanForget locates a person's votes and the tips they captured.
func scanForget(tx ReadTx, id string) (forgetScan, error) {
	var f forgetScan
	var err error
	if f.votes, err = tx.VotesBy(id); err != nil {
		return f, err
	}
	if f.applied, err = appliedBy(tx, id); err != nil {
		return f, err
	}
	if f.pendingA, err = pendingAppliedBy(tx, id); err != nil {
		return f, err
	}
	if f.history, err = historyBy(tx, id); err != nil {
		return f, err
	}
	if err = tx.TipsByAuthor(id, func(t Tip) error {
		f.mine = append(f.mine, t.ID)
		f.work = append(f.work, forgetCost(t))
		return nil
	}); err != nil {
		return f, err
	}
	err = tx.ForEachTip(func(t Tip) error {
		if t.CapturedBy == id {
			f.captured = append(f.captured, t.ID)
		}
		return nil
	})
	return f, err
}

// forget deletes a person's tips and what is kept about them, relinks
// their votes to anonymous and removes their id from other records, and
// returns how many tips it deleted and votes it relinked.
func (b *Bot) forget(tx Tx, id, anonymous string, found forgetScan) (tips, votes int, err error) {
	if tips, err = forgetTips(tx, id, found.mine); err != nil {
		return 0, 0, err
	}
	if votes, err = tx.ReassignVotes(found.votes, id, anonymous); err != nil {
		return 0, 0, err
	}
	if _, err = relinkAppliedMarks(tx, found.applied, id, anonymous); err != nil {
		return 0, 0, err
	}
	if err = forgetHistory(tx, found.history, id); err != nil {
		return 0, 0, err
	}
	if err = forgetPendingApplied(tx, found.pendingA, id); err != nil {
		return 0, 0, err
	}
	if err = forgetFollowUps(tx, id, anonymous); err != nil {
		return 0, 0, err
	}
	if err = forgetPresence(tx, id); err != nil {
		return 0, 0, err
	}
	if err := uncountNewContributor(tx, id); err != nil {
		return 0, 0, err
	}
	if err := tx.DeletePerson(id); err != nil {
		return 0, 0, err
	}
	if err := tx.DeleteMember(id); err != nil {
		return 0, 0, err
	}
	if err := tx.DeleteRecord(recTrainer, id); err != nil {
		return 0, 0, err
	}
	if err := tx.DeleteRecord(recCaptureRate, id); err != nil {
		return 0, 0, err
	}
	if err := tx.DeleteRecord(recRecent, id); err != nil {
		return 0, 0, err
	}
	if err := forgetClosedTold(tx, id); err != nil {
		return 0, 0, err
	}
	if err := forgetMentions(tx, id, found.captured); err != nil {
		return 0, 0, err
	}
	return tips, votes, nil
}

// forgetTips deletes those of the tips found (scanForget) that are still
// the person's, in O(their number), and drops the person's "new
// contributor" count; it returns how many it deleted.
func forgetTips(tx Tx, id string, found []TipID) (int, error) {
	n := 0
	for _, tipID := range found {
		t, err := tx.Tip(tipID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if t.AuthorID != id {
			continue
		}
		if err := removeTip(tx, t); err != nil {
			return 0, err
		}
		n++
	}
	return n, uncountNewContributor(tx, id)
}

// forgetMentions removes a person's id from what other records keep of
// them: the tips they captured for others (found by scanForget), sessions
// they opened, schedules they added, moderation actions they took.
func forgetMentions(tx Tx, id string, captured []TipID) error {
	for _, tipID := range captured {
		t, err := tx.Tip(tipID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if t.CapturedBy != id {
			continue
		}
		t.CapturedBy = ""
		if err := tx.PutTip(t); err != nil {
			return err
		}
	}
	type rewrite struct {
		kind, key string
		value     []byte
	}
	var rewrites []rewrite
	for _, kind := range []string{recSession, recSchedule, recModLog, recPath} {
		if err := tx.ForEachRecord(kind, func(key string, raw []byte) error {
			var fields map[string]any
			if err := json.Unmarshal(raw, &fields); err != nil {
				return fmt.Errorf("bot: decode %s record: %w", kind, err)
			}
			changed := false
			for _, f := range []string{"OpenedBy", "CreatedBy", "By"} {
				if v, ok := fields[f].(string); ok && v == id {
					fields[f] = ""
					changed = true
				}
			}
			if !changed {
				return nil
			}
			out, err := json.Marshal(fields)
			if err != nil {
				return fmt.Errorf("bot: encode %s record: %w", kind, err)
			}
			rewrites = append(rewrites, rewrite{kind, key, out})
			return nil
		}); err != nil {
			return err
		}
	}
	for _, r := range rewrites {
		if err := tx.PutRecord(r.kind, r.key, r.value); err != nil {
			return err
		}
	}
	return nil
}
