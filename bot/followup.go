package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Follow-ups (spaced retrieval). When a session closes, its follow-up
// plan is written with it: one step per delay of sessions.follow_up. The
// scheduler sends each step when due: every person who answered the
// session gets one private message recalling their own answers and asking
// whether they put them into practice. A person gets at most one follow-up
// message a day (steps due the same day are combined, later ones wait for
// the next day), none after /tips quiet. Each message is owed through the
// durable outbox in the transaction that records it sent, so a restart
// sends a missed step once and a sent one never again.

// Record kinds of follow-ups.
const (
	recFollowUp        = "followup"         // key: padded session id → FollowUps JSON
	recFollowUpPending = "followup.pending" // key: padded session id of each session with steps to send
	recFollowUpLast    = "followup.last"    // key: person → when their last follow-up was sent (RFC 3339)
	recQuiet           = "quiet"            // key: person who asked for no follow-ups or nudges
)

// The answers to a follow-up.
const (
	AnswerApplied  = "applied"
	AnswerNotYet   = "not-yet"
	AnswerNotForMe = "not-for-me"
)

// Answers lists the follow-up answers in the order reports show them.
var Answers = []string{AnswerApplied, AnswerNotYet, AnswerNotForMe}

// FollowUps is the follow-up plan of a closed session and what came of it.
type FollowUps struct {
	Session SessionID
	Title   string
	Steps   []FollowUpStep
}

// FollowUpStep is one delay of the plan.
type FollowUpStep struct {
	Delay time.Duration
	Due   time.Time
	Done  bool // every answerer was handled
	// People are the answerers handled so far, by id.
	People map[string]*FollowUpItem `json:",omitempty"`
}

// FollowUpItem is one person's follow-up of a step.
type FollowUpItem struct {
	SentAt  time.Time `json:",omitzero"`
	Skipped bool      `json:",omitempty"` // quiet: nothing was sent
	Tips    []TipID   // the answers it recalled
	// Answers holds the person's answer per tip (AnswerApplied...); a tip
	// with none is counted "none".
	Answers map[TipID]string `json:",omitempty"`
}

func getFollowUps(tx ReadTx, id SessionID) (FollowUps, error) {
	raw, err := tx.Record(recFollowUp, sessionKey(id))
	if err != nil {
		return FollowUps{}, err
	}
	var f FollowUps
	if err := json.Unmarshal(raw, &f); err != nil {
		return FollowUps{}, fmt.Errorf("bot: decode follow-ups of %s: %w", id, err)
	}
	return f, nil
}

func putFollowUps(tx Tx, f FollowUps) error {
	raw, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("bot: encode follow-ups: %w", err)
	}
	if err := tx.PutRecord(recFollowUp, sessionKey(f.Session), raw); err != nil {
		return err
	}
	if slices.ContainsFunc(f.Steps, func(s FollowUpStep) bool { return !s.Done }) {
		return tx.PutRecord(recFollowUpPending, sessionKey(f.Session), []byte{1})
	}
	return tx.DeleteRecord(recFollowUpPending, sessionKey(f.Session))
}

// planFollowUps writes the follow-up plan of a session that just closed.
func (b *Bot) planFollowUps(tx Tx, s Session) error {
	if len(b.cfg.FollowUp) == 0 {
		return nil
	}
	f := FollowUps{Session: s.ID, Title: s.Title}
	for _, d := range b.cfg.FollowUp {
		f.Steps = append(f.Steps, FollowUpStep{Delay: d, Due: s.ClosedAt.Add(d)})
	}
	return putFollowUps(tx, f)
}

// answerers returns the people who answered a session and their answers
// (not rejected), in order of their first answer.
func answerers(tx ReadTx, s Session) ([]string, map[string][]Tip, error) {
	var order []string
	by := map[string][]Tip{}
	for _, id := range s.Tips {
		t, err := tx.Tip(id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if t.Status == StatusRejected || t.AuthorID == "" {
			continue
		}
		if _, ok := by[t.AuthorID]; !ok {
			order = append(order, t.AuthorID)
		}
		by[t.AuthorID] = append(by[t.AuthorID], t)
	}
	return order, by, nil
}

// dueFollowUp is one person's part of a due step.
type dueFollowUp struct {
	session SessionID
	step    int
}

// tickFollowUps sends the follow-ups that are due and returns when the
// next one will be.
func (b *Bot) tickFollowUps(ctx context.Context, ws Workspace) (time.Time, error) {
	now := b.now()
	var next time.Time
	soonest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	// Who is owed what, read outside the writer.
	owed := map[string][]dueFollowUp{}
	var dueSessions []SessionID
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		return tx.ForEachRecord(recFollowUpPending, func(key string, _ []byte) error {
			id, err := keyID(key)
			if err != nil {
				return fmt.Errorf("bot: follow-up key %q: %w", key, err)
			}
			f, err := getFollowUps(tx, SessionID(id))
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			s, err := getSession(tx, f.Session)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			people, _, err := answerers(tx, s)
			if err != nil {
				return err
			}
			for i, st := range f.Steps {
				if st.Done {
					continue
				}
				if st.Due.After(now) {
					soonest(st.Due)
					continue
				}
				dueSessions = append(dueSessions, f.Session)
				for _, p := range people {
					if st.People[p] == nil {
						owed[p] = append(owed[p], dueFollowUp{f.Session, i})
					}
				}
			}
			return nil
		})
	}); err != nil {
		return time.Time{}, err
	}
	for _, person := range slices.Sorted(maps.Keys(owed)) {
		later, err := b.sendFollowUps(ctx, ws, person, owed[person])
		if err != nil {
			return time.Time{}, err
		}
		soonest(later)
	}
	// Steps whose every answerer was handled are done.
	sessions := dueSessions
	slices.Sort(sessions)
	for _, id := range slices.Compact(sessions) {
		if _, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
			return b.settleFollowUps(tx, id)
		}); err != nil {
			return time.Time{}, err
		}
	}
	return next, nil
}

// settleFollowUps marks done the due steps of a session whose answerers
// were all handled.
func (b *Bot) settleFollowUps(tx Tx, id SessionID) (bool, error) {
	f, err := getFollowUps(tx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s, err := getSession(tx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	people, _, err := answerers(tx, s)
	if err != nil {
		return false, err
	}
	now, changed := b.now(), false
	for i := range f.Steps {
		st := &f.Steps[i]
		if st.Done || st.Due.After(now) {
			continue
		}
		if !slices.ContainsFunc(people, func(p string) bool { return st.People[p] == nil }) {
			st.Done, changed = true, true
		}
	}
	if !changed {
		return false, nil
	}
	return true, putFollowUps(tx, f)
}

// startOfNextDay returns midnight after t in loc.
func startOfNextDay(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	a, b = a.In(loc), b.In(loc)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// sendFollowUps sends one person the follow-ups owed to them, combined in
// one message, unless they already had one today (it then returns when to
// try again) or asked for quiet (the follow-ups are then skipped).
func (b *Bot) sendFollowUps(ctx context.Context, ws Workspace, person string, due []dueFollowUp) (time.Time, error) {
	var later time.Time
	_, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
		later = time.Time{}
		now := b.now()
		quiet, err := isQuiet(tx, person)
		if err != nil {
			return false, err
		}
		if !quiet {
			raw, err := tx.Record(recFollowUpLast, person)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				return false, err
			default:
				last, err := time.Parse(time.RFC3339Nano, string(raw))
				if err == nil && sameDay(last, now, b.cfg.Location) {
					later = startOfNextDay(now, b.cfg.Location)
					return false, nil
				}
			}
		}
		type part struct {
			f     FollowUps
			steps []int
			tips  []Tip
		}
		var parts []part
		for _, d := range due {
			f, err := getFollowUps(tx, d.session)
			if err != nil {
				return false, err
			}
			if d.step >= len(f.Steps) || f.Steps[d.step].People[person] != nil {
				continue // handled meanwhile
			}
			i := slices.IndexFunc(parts, func(p part) bool { return p.f.Session == d.session })
			if i < 0 {
				s, err := getSession(tx, d.session)
				if err != nil {
					return false, err
				}
				_, by, err := answerers(tx, s)
				if err != nil {
					return false, err
				}
				if len(by[person]) == 0 {
					continue
				}
				parts = append(parts, part{f: f, tips: by[person]})
				i = len(parts) - 1
			}
			parts[i].steps = append(parts[i].steps, d.step)
		}
		if len(parts) == 0 {
			return false, nil
		}
		m := Message{Title: b.t("followup.title")}
		for _, p := range parts {
			var ids []TipID
			for _, t := range p.tips {
				ids = append(ids, t.ID)
			}
			for _, i := range p.steps {
				st := &p.f.Steps[i]
				if st.People == nil {
					st.People = map[string]*FollowUpItem{}
				}
				item := &FollowUpItem{Tips: ids}
				if quiet {
					item.Skipped = true
				} else {
					item.SentAt = now
				}
				st.People[person] = item
			}
			if err := putFollowUps(tx, p.f); err != nil {
				return false, err
			}
			if quiet {
				continue
			}
			delay := p.f.Steps[p.steps[len(p.steps)-1]].Delay
			m.Lines = append(m.Lines, Line{Text: b.t("followup.recall", b.plural("days", int64(delay/(24*time.Hour))), p.f.Title)})
			for _, t := range p.tips {
				m.Lines = append(m.Lines, Line{Text: b.t("followup.tip", snippet(t.Text, 300), t.ID), Ref: tipRef(t),
					Buttons: b.followUpButtons(t.ID)})
			}
		}
		if quiet {
			return true, nil
		}
		m.Lines = append(m.Lines, Line{Text: b.t("followup.how")})
		if err := tx.PutRecord(recFollowUpLast, person, []byte(now.Format(time.RFC3339Nano))); err != nil {
			return false, err
		}
		if err := tx.AddCounter(counterFollowUps, 1); err != nil {
			return false, err
		}
		return true, b.oweDirect(tx, out, "follow-up", person, m)
	})
	return later, err
}

// counterFollowUps counts the follow-up messages sent (all time).
const counterFollowUps = "followups:sent"

// followUpButtons are the choices offered for a tip in a follow-up: each
// runs the command a person could type.
func (b *Bot) followUpButtons(id TipID) []Button {
	return []Button{
		{Label: b.t("followup.button.applied"), Command: "applied " + id.String()},
		{Label: b.t("followup.button.notyet"), Command: "not-yet " + id.String()},
		{Label: b.t("followup.button.notforme"), Command: "not-for-me " + id.String()},
	}
}

func isQuiet(tx ReadTx, person string) (bool, error) {
	_, err := tx.Record(recQuiet, person)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// answerFollowUp records a person's answer on a tip in the latest
// follow-up sent to them that recalled it; a second answer replaces the
// first; answer "" takes back an applied answer. It reports whether
// there was such a follow-up.
func (b *Bot) answerFollowUp(tx Tx, person string, t Tip, answer string) (bool, error) {
	if t.SessionID == 0 {
		return false, nil
	}
	f, err := getFollowUps(tx, t.SessionID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for i := len(f.Steps) - 1; i >= 0; i-- {
		item := f.Steps[i].People[person]
		if item == nil || item.SentAt.IsZero() || !slices.Contains(item.Tips, t.ID) {
			continue
		}
		if answer == "" { // an applied mark taken back
			if item.Answers[t.ID] != AnswerApplied {
				return true, nil
			}
			delete(item.Answers, t.ID)
			return true, putFollowUps(tx, f)
		}
		if item.Answers[t.ID] == answer {
			return true, nil
		}
		if item.Answers == nil {
			item.Answers = map[TipID]string{}
		}
		item.Answers[t.ID] = answer
		return true, putFollowUps(tx, f)
	}
	return false, nil
}

// cmdNotYet: /tips not-yet <tip>, an answer to a follow-up.
func (b *Bot) cmdNotYet(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	return b.followUpAnswer(ctx, e, args, AnswerNotYet)
}

// cmdNotForMe: /tips not-for-me <tip>, an answer to a follow-up.
func (b *Bot) cmdNotForMe(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	return b.followUpAnswer(ctx, e, args, AnswerNotForMe)
}

// followUpAnswer records "not yet" or "not for me" on a tip of a
// follow-up; an applied mark the person gave through a follow-up is taken
// back (the answer changed).
func (b *Bot) followUpAnswer(ctx context.Context, e *CommandInvoked, args []string, answer string) (Reply, error) {
	usage := map[string]string{AnswerNotYet: "usage.notyet", AnswerNotForMe: "usage.notforme"}[answer]
	if len(args) != 1 {
		return b.usage(usage), nil
	}
	return b.updateTip(ctx, e, args[0], func(tx Tx, out *outbox, t Tip) (bool, error) {
		answered, err := b.answerFollowUp(tx, e.User.ID, t, answer)
		if err != nil {
			return false, err
		}
		if !answered {
			out.reply = b.private(b.t("followup.none", t.ID))
			return false, nil
		}
		if _, err := b.unmarkApplied(tx, &t, e.User.ID, appliedViaFollowUp); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("followup.answered."+answer, t.ID))
		return true, nil
	})
}

// cmdQuiet: /tips quiet [off] stops (or resumes) follow-ups and nudges
// for the caller.
func (b *Bot) cmdQuiet(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	off := len(args) == 1 && strings.EqualFold(args[0], "off")
	if len(args) > 1 || (len(args) == 1 && !off) {
		return b.usage("usage.quiet"), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		if off {
			out.reply = b.private(b.t("quiet.off"))
			return true, tx.DeleteRecord(recQuiet, e.User.ID)
		}
		out.reply = b.private(b.t("quiet.on"))
		return true, tx.PutRecord(recQuiet, e.User.ID, []byte{1})
	})
}

// forgetFollowUps unlinks a person from the follow-ups they were sent
// (the counts stay) and forgets their quiet and last follow-up records.
func forgetFollowUps(tx Tx, person, anonymous string) error {
	var changed []FollowUps
	if err := tx.ForEachRecord(recFollowUp, func(key string, raw []byte) error {
		if !strings.Contains(string(raw), person) {
			return nil
		}
		var f FollowUps
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("bot: decode follow-ups %s: %w", key, err)
		}
		moved := false
		for i := range f.Steps {
			if item, ok := f.Steps[i].People[person]; ok {
				delete(f.Steps[i].People, person)
				f.Steps[i].People[anonymous] = item
				moved = true
			}
		}
		if moved {
			changed = append(changed, f)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, f := range changed {
		if err := putFollowUps(tx, f); err != nil {
			return err
		}
	}
	if err := tx.DeleteRecord(recQuiet, person); err != nil {
		return err
	}
	return tx.DeleteRecord(recFollowUpLast, person)
}
