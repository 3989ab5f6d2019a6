package bot

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Nudges (for the silent majority, off by default). With nudges.enabled, a
// person who gave at least nudges.after_votes useful votes in the last 30
// days and never shared a tip gets one private invitation to share, naming
// a tip they found useful and the ways to share, at most once per
// nudges.every, never after /tips quiet, never a bot, a deactivated
// person or someone of another organisation.
//
// The vote itself keeps what this needs (noteVoter): the person's latest
// votes in their presence record, and, once they are enough, the person
// in the candidates. The daily step reads only the candidates. Each
// invitation is owed through the durable outbox in the transaction that
// records it sent, so a restart never sends one twice nor loses one.

// recNudgeCandidate holds the people who may be owed a nudge (key: person).
// recNudgeDay holds the day the daily step last ran (key: nudgeDayKey).
const (
	recNudgeCandidate = "nudge.candidate"
	recNudgeDay       = "nudge.day"
	nudgeDayKey       = "last"
)

// nudgeWindow is how far back useful votes count for a nudge;
// nudgeSharedWithin is how soon after a nudge a tip counts as its effect.
const (
	nudgeWindow       = 30 * 24 * time.Hour
	nudgeSharedWithin = 7 * 24 * time.Hour
)

// nudgeHour is the local hour from which the day's nudges are sent.
const nudgeHour = 10

// Counter names of nudges, per period key of the nudge: sent, and followed
// by a tip of the person within nudgeSharedWithin.
func counterNudges(period string) string       { return "nudges:" + period }
func counterNudgesShared(period string) string { return "nudges.shared:" + period }

func (b *Bot) nudgeAfterVotes() int { return max(b.cfg.NudgeAfterVotes, 1) }

func (b *Bot) nudgeEvery() time.Duration {
	if b.cfg.NudgeEvery <= 0 {
		return nudgeWindow
	}
	return b.cfg.NudgeEvery
}

// tickNudges runs the day's nudges once a day, from nudgeHour local time,
// and returns when the next run is due.
func (b *Bot) tickNudges(ctx context.Context, ws Workspace) (time.Time, error) {
	if !b.cfg.NudgesEnabled {
		return time.Time{}, nil
	}
	now := b.now().In(b.cfg.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), nudgeHour, 0, 0, 0, b.cfg.Location)
	if now.Before(today) {
		return today, nil
	}
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, nudgeHour, 0, 0, 0, b.cfg.Location)
	day := today.Format(time.DateOnly)
	var candidates []string
	done := false
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		candidates = candidates[:0]
		raw, err := tx.Record(recNudgeDay, nudgeDayKey)
		if err == nil && string(raw) == day {
			done = true
			return nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return tx.ForEachRecord(recNudgeCandidate, func(key string, _ []byte) error {
			candidates = append(candidates, key)
			return nil
		})
	}); err != nil || done {
		return tomorrow, err
	}
	for _, person := range candidates {
		if _, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
			return b.nudge(tx, out, ws, person)
		}); err != nil {
			return time.Time{}, err
		}
	}
	_, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
		return true, tx.PutRecord(recNudgeDay, nudgeDayKey, []byte(day))
	})
	return tomorrow, err
}

// dropCandidate takes a person out of the nudge candidates.
func dropCandidate(tx Tx, person string, p presence) error {
	p.Candidate = false
	if err := putPresence(tx, person, p); err != nil {
		return err
	}
	return tx.DeleteRecord(recNudgeCandidate, person)
}

// nudge sends a candidate their invitation when they are owed one, drops
// them from the candidates when they no longer qualify, and leaves them
// otherwise (quiet, nudged less than nudges.every ago, a follow-up today).
func (b *Bot) nudge(tx Tx, out *outbox, ws Workspace, person string) (bool, error) {
	p, err := getPresence(tx, person)
	if err != nil {
		return false, err
	}
	if !p.Candidate {
		return true, tx.DeleteRecord(recNudgeCandidate, person)
	}
	now := b.now()
	// Sharers, bots, deactivated people and people of another organisation
	// are never nudged.
	if _, err := tx.Person(person); err == nil {
		p.Shared, p.Votes = true, nil
		return true, dropCandidate(tx, person, p)
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if m, err := tx.Member(person); err == nil && (m.Bot || m.Deleted || m.Foreign) {
		return true, dropCandidate(tx, person, p)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	// The votes still standing in the window.
	var votes []recentVote
	for _, v := range recentVotes(p.Votes, now, b.nudgeAfterVotes()) {
		if _, err := tx.Vote(v.Tip, person); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return false, err
		}
		votes = append(votes, v)
	}
	if len(votes) < b.nudgeAfterVotes() {
		p.Votes = votes
		return true, dropCandidate(tx, person, p)
	}
	quiet, err := isQuiet(tx, person)
	if err != nil || quiet {
		return false, err
	}
	if p.Nudge != nil && now.Before(p.Nudge.At.Add(b.nudgeEvery())) {
		return false, nil
	}
	if raw, err := tx.Record(recFollowUpLast, person); err == nil {
		if last, err := time.Parse(time.RFC3339Nano, string(raw)); err == nil && sameDay(last, now, b.cfg.Location) {
			return false, nil // one message a day: tomorrow
		}
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	// The tip to name: the most recent public one they voted for.
	var named *Tip
	for _, v := range slices.Backward(votes) {
		t, err := tx.Tip(v.Tip)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if t.Ranked() && !t.Restricted() {
			named = &t
			break
		}
	}
	m := b.nudgeMessage(ws.Platform, named)
	p.Nudge = &nudgeSent{At: now, Periods: PeriodKeys(now, b.cfg.Location)}
	if err := putPresence(tx, person, p); err != nil {
		return false, err
	}
	if err := addCounters(tx, p.Nudge.Periods, counterNudges, 1); err != nil {
		return false, err
	}
	// One private message a day: a follow-up due later today waits.
	if err := tx.PutRecord(recFollowUpLast, person, []byte(now.Format(time.RFC3339Nano))); err != nil {
		return false, err
	}
	return true, b.oweDirect(tx, out, "nudge", person, m)
}

// nudgeMessage is the invitation: the tip the person found useful (none
// when no public one is left), the ways to share on the platform, and how
// to stop these messages.
func (b *Bot) nudgeMessage(p Platform, named *Tip) Message {
	m := Message{Title: b.t("nudge.title")}
	if named != nil {
		m.Lines = append(m.Lines, Line{Text: b.t("nudge.named", snippet(named.Text, 200), named.ID), Ref: tipRef(*named)})
	} else {
		m.Lines = append(m.Lines, Line{Text: b.t("nudge.unnamed")})
	}
	marker := "tip:"
	if all := append(slices.Clone(b.cfg.Prefixes), b.cfg.Hashtags...); len(all) > 0 {
		marker = all[0]
	}
	m.Lines = append(m.Lines, Line{Text: b.t("nudge.how", marker, b.captureEmoji(p))})
	m.Lines = append(m.Lines, Line{Text: b.t("nudge.quiet")})
	return m
}
