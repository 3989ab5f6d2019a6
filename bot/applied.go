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

// recApplied holds the applied marks of each tip (key: padded tip id →
// JSON map of person id → AppliedMark). Tip.Applied is their number.
const recApplied = "applied"

// How a tip was marked applied.
const (
	appliedViaCommand  = "command"
	appliedViaReaction = "reaction"
	appliedViaFollowUp = "follow-up"
)

// AppliedMark is one person's "I put this tip into practice".
type AppliedMark struct {
	At  time.Time
	Via string // command, reaction or follow-up
	// Periods are the report periods the mark counts in (PeriodKeys of
	// At), kept so that taking it back is exact.
	Periods []string
}

// counterApplied counts the applied marks given in a period.
func counterApplied(period string) string { return "applied:" + period }

// isApplied reports whether the (folded) emoji marks a tip applied on the
// platform.
func (b *Bot) isApplied(p Platform, emoji string) bool {
	for _, a := range b.appliedEmoji(p) {
		if b.foldEmoji(p, a) == emoji {
			return true
		}
	}
	return false
}

// appliedMarks returns the applied marks of a tip (empty when none).
func appliedMarks(tx ReadTx, id TipID) (map[string]AppliedMark, error) {
	raw, err := tx.Record(recApplied, tipKey(id))
	if errors.Is(err, ErrNotFound) {
		return map[string]AppliedMark{}, nil
	}
	if err != nil {
		return nil, err
	}
	marks := map[string]AppliedMark{}
	if err := json.Unmarshal(raw, &marks); err != nil {
		return nil, fmt.Errorf("bot: decode applied marks of %s: %w", id, err)
	}
	return marks, nil
}

func putAppliedMarks(tx Tx, id TipID, marks map[string]AppliedMark) error {
	if len(marks) == 0 {
		return tx.DeleteRecord(recApplied, tipKey(id))
	}
	raw, err := json.Marshal(marks)
	if err != nil {
		return fmt.Errorf("bot: encode applied marks of %s: %w", id, err)
	}
	return tx.PutRecord(recApplied, tipKey(id), raw)
}

// markApplied records that person applied the tip, once per person; it
// stores the tip with its new count. It returns false when the person had
// already marked it.
func (b *Bot) markApplied(tx Tx, t *Tip, person, via string) (bool, error) {
	marks, err := appliedMarks(tx, t.ID)
	if err != nil {
		return false, err
	}
	if _, ok := marks[person]; ok {
		return false, nil
	}
	now := b.now()
	m := AppliedMark{At: now, Via: via, Periods: PeriodKeys(now, b.cfg.Location)}
	marks[person] = m
	if err := putAppliedMarks(tx, t.ID, marks); err != nil {
		return false, err
	}
	if err := addCounters(tx, m.Periods, counterApplied, 1); err != nil {
		return false, err
	}
	before := *t
	t.Applied = len(marks)
	if err := countFunnel(tx, before, *t); err != nil {
		return false, err
	}
	return true, tx.PutTip(*t)
}

// unmarkApplied takes a person's applied mark off a tip; with via set,
// only a mark given that way (a reaction taken off leaves a mark given by
// command). It stores the tip with its new count.
func (b *Bot) unmarkApplied(tx Tx, t *Tip, person, via string) (bool, error) {
	marks, err := appliedMarks(tx, t.ID)
	if err != nil {
		return false, err
	}
	m, ok := marks[person]
	if !ok || (via != "" && m.Via != via) {
		return false, nil
	}
	delete(marks, person)
	if err := putAppliedMarks(tx, t.ID, marks); err != nil {
		return false, err
	}
	if err := addCounters(tx, m.Periods, counterApplied, -1); err != nil {
		return false, err
	}
	before := *t
	t.Applied = len(marks)
	if err := countFunnel(tx, before, *t); err != nil {
		return false, err
	}
	return true, tx.PutTip(*t)
}

// dropAppliedMarks removes a deleted tip's marks and their share of the
// period counters. The caller deletes the tip.
func dropAppliedMarks(tx Tx, id TipID) error {
	marks, err := appliedMarks(tx, id)
	if err != nil || len(marks) == 0 {
		return err
	}
	for _, m := range marks {
		if err := addCounters(tx, m.Periods, counterApplied, -1); err != nil {
			return err
		}
	}
	return tx.DeleteRecord(recApplied, tipKey(id))
}

// appliedBy returns the tips a person marked applied (for forget-me).
func appliedBy(tx ReadTx, person string) ([]TipID, error) {
	var ids []TipID
	err := tx.ForEachRecord(recApplied, func(key string, raw []byte) error {
		marks := map[string]AppliedMark{}
		if err := json.Unmarshal(raw, &marks); err != nil {
			return fmt.Errorf("bot: decode applied marks %s: %w", key, err)
		}
		if _, ok := marks[person]; !ok {
			return nil
		}
		id, err := keyID(key)
		if err != nil {
			return fmt.Errorf("bot: applied key %q: %w", key, err)
		}
		ids = append(ids, TipID(id))
		return nil
	})
	return ids, err
}

// relinkAppliedMarks moves the marks of person on the tips found by
// appliedBy to an anonymous id: they stay counted, unlinked from the
// person. It returns how many it moved.
func relinkAppliedMarks(tx Tx, tips []TipID, person, anonymous string) (int, error) {
	n := 0
	for _, id := range tips {
		marks, err := appliedMarks(tx, id)
		if err != nil {
			return 0, err
		}
		m, ok := marks[person]
		if !ok {
			continue
		}
		delete(marks, person)
		marks[anonymous] = m
		if err := putAppliedMarks(tx, id, marks); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// appliedReaction handles the applied reaction put on (add) or taken off
// a message: it marks or unmarks the tip of that message. On a message
// that is not a tip the reaction is kept pending: it marks the tip if the
// message is captured later.
func (b *Bot) appliedReaction(ctx context.Context, m *EventMeta, channel, messageID string, who User, add bool) error {
	if who.Bot || who.ID == "" || messageID == "" {
		return nil
	}
	_, err := b.update(ctx, m, func(tx Tx, out *outbox) (bool, error) {
		t, err := tx.TipByMessage(channel, messageID)
		if errors.Is(err, ErrNotFound) {
			return pendingApplied(tx, channel, messageID, who.ID, add)
		}
		if err != nil {
			return false, err
		}
		if add {
			return b.markApplied(tx, &t, who.ID, appliedViaReaction)
		}
		return b.unmarkApplied(tx, &t, who.ID, appliedViaReaction)
	})
	return err
}

// clearAppliedReactions takes off the marks given by reaction on a
// message whose reactions were cleared (or its pending ones, when it is
// not a tip).
func (b *Bot) clearAppliedReactions(tx Tx, channel, messageID string) (bool, error) {
	t, err := tx.TipByMessage(channel, messageID)
	if errors.Is(err, ErrNotFound) {
		return dropPendingApplied(tx, channel, messageID)
	}
	if err != nil {
		return false, err
	}
	marks, err := appliedMarks(tx, t.ID)
	if err != nil {
		return false, err
	}
	changed := false
	for _, person := range slices.Sorted(maps.Keys(marks)) {
		if marks[person].Via != appliedViaReaction {
			continue
		}
		done, err := b.unmarkApplied(tx, &t, person, appliedViaReaction)
		if err != nil {
			return false, err
		}
		changed = changed || done
	}
	return changed, nil
}

// cmdApplied: /tips applied <tip> [undo] marks (or unmarks) a tip the
// caller put into practice. It answers, too, the latest follow-up that
// asked the caller about that tip.
func (b *Bot) cmdApplied(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	undo := len(args) == 2 && strings.EqualFold(args[1], "undo")
	if len(args) != 1 && !undo {
		return b.usage("usage.applied"), nil
	}
	v := commandViewer(e)
	v.own = true
	return b.updateTip(ctx, e, args[0], func(tx Tx, out *outbox, t Tip) (bool, error) {
		if !v.shows(t) || (!t.Ranked() && t.AuthorID != e.User.ID) {
			out.reply = b.private(b.t("tip.unknown", args[0]))
			return false, nil
		}
		answer := AnswerApplied
		if undo {
			answer = ""
		}
		answered, err := b.answerFollowUp(tx, e.User.ID, t, answer)
		if err != nil {
			return false, err
		}
		var changed bool
		switch {
		case undo:
			changed, err = b.unmarkApplied(tx, &t, e.User.ID, "")
		case answered:
			changed, err = b.markApplied(tx, &t, e.User.ID, appliedViaFollowUp)
		default:
			changed, err = b.markApplied(tx, &t, e.User.ID, appliedViaCommand)
		}
		if err != nil {
			return false, err
		}
		switch {
		case undo && changed:
			out.reply = b.private(b.t("applied.undone", t.ID, b.plural("applied", int64(t.Applied))))
		case undo:
			out.reply = b.private(b.t("applied.notmarked", t.ID))
		case changed:
			out.reply = b.private(b.t("applied.done", t.ID, b.plural("applied", int64(t.Applied))))
		default:
			out.reply = b.private(b.t("applied.already", t.ID))
		}
		return changed || answered, nil
	})
}

// removeAppliedOf takes off the applied marks of a person who turned out
// to be a bot: bots never count.
func (b *Bot) removeAppliedOf(ctx context.Context, ws Workspace, id string) error {
	var tips []TipID
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		tips, err = appliedBy(tx, id)
		return err
	}); err != nil || len(tips) == 0 {
		return err
	}
	return b.store.Update(ctx, ws, func(tx Tx) error {
		for _, tipID := range tips {
			t, err := tx.Tip(tipID)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := b.unmarkApplied(tx, &t, id, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// recAppliedPending holds the applied reactions on messages that are not
// tips (key: channel \x00 message id → JSON list of person ids, sorted).
const recAppliedPending = "applied.pending"

func readPendingApplied(tx ReadTx, key string) ([]string, error) {
	raw, err := tx.Record(recAppliedPending, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var people []string
	if err := json.Unmarshal(raw, &people); err != nil {
		return nil, fmt.Errorf("bot: decode pending applied marks: %w", err)
	}
	return people, nil
}

func writePendingApplied(tx Tx, key string, people []string) error {
	if len(people) == 0 {
		return tx.DeleteRecord(recAppliedPending, key)
	}
	raw, err := json.Marshal(people)
	if err != nil {
		return fmt.Errorf("bot: encode pending applied marks: %w", err)
	}
	return tx.PutRecord(recAppliedPending, key, raw)
}

// pendingApplied adds (or removes) a person's applied reaction on a
// message that is not a tip.
func pendingApplied(tx Tx, channel, messageID, person string, add bool) (bool, error) {
	key := promptKey(channel, messageID)
	people, err := readPendingApplied(tx, key)
	if err != nil {
		return false, err
	}
	i, found := slices.BinarySearch(people, person)
	switch {
	case add && !found:
		people = slices.Insert(people, i, person)
	case !add && found:
		people = slices.Delete(people, i, i+1)
	default:
		return false, nil
	}
	return true, writePendingApplied(tx, key, people)
}

// adoptPendingApplied turns the applied reactions given to a message
// before it was captured into marks of its tip t (stored by markApplied).
func (b *Bot) adoptPendingApplied(tx Tx, t *Tip) error {
	if t.MessageID == "" {
		return nil
	}
	key := promptKey(t.Channel, t.MessageID)
	people, err := readPendingApplied(tx, key)
	if err != nil || len(people) == 0 {
		return err
	}
	for _, p := range people {
		if _, err := b.markApplied(tx, t, p, appliedViaReaction); err != nil {
			return err
		}
	}
	return tx.DeleteRecord(recAppliedPending, key)
}

// dropPendingApplied forgets the applied reactions on a message that is
// gone or whose reactions were cleared; it reports whether there were any.
func dropPendingApplied(tx Tx, channel, messageID string) (bool, error) {
	key := promptKey(channel, messageID)
	people, err := readPendingApplied(tx, key)
	if err != nil || len(people) == 0 {
		return false, err
	}
	return true, tx.DeleteRecord(recAppliedPending, key)
}

// pendingAppliedBy returns the keys of the pending applied reactions of a
// person (for forget-me).
func pendingAppliedBy(tx ReadTx, person string) ([]string, error) {
	var keys []string
	err := tx.ForEachRecord(recAppliedPending, func(key string, raw []byte) error {
		var people []string
		if err := json.Unmarshal(raw, &people); err != nil {
			return fmt.Errorf("bot: decode pending applied marks: %w", err)
		}
		if _, found := slices.BinarySearch(people, person); found {
			keys = append(keys, key)
		}
		return nil
	})
	return keys, err
}

// forgetPendingApplied drops a person's pending applied reactions found
// by pendingAppliedBy: they were never counted.
func forgetPendingApplied(tx Tx, keys []string, person string) error {
	for _, key := range keys {
		people, err := readPendingApplied(tx, key)
		if err != nil {
			return err
		}
		if i, found := slices.BinarySearch(people, person); found {
			if err := writePendingApplied(tx, key, slices.Delete(people, i, i+1)); err != nil {
				return err
			}
		}
	}
	return nil
}
