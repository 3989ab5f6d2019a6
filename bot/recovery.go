package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Recovery after downtime.
//
// Slack retries an event for a few minutes and Discord replays only a
// session that resumes: what is said while tipbot is away longer is lost
// unless tipbot reads it back. The core remembers, per channel, when it
// last committed an event there (at most a minute late, so no write per
// event); at start it asks the platform's history (the optional History
// capability of a Chat) for each channel active within recovery.window,
// from an hour before that last event, and treats each message as it would
// have: missed prefix, hashtag and 🔖 tips are captured, edited tips follow
// their text, useful votes are brought to what the platform shows (added
// and removed), and tips whose message is gone are deleted. Everything
// goes through the same rules as live events, so an event arriving during
// recovery is counted once.

// History is an optional capability of a Chat: reading back what was said
// in a channel, for recovery after downtime.
type History interface {
	// History calls fn for each top-level message of channel posted at or
	// after since, oldest first, with its reactions as the platform shows
	// them now (the bot's own reactions left out). Thread replies are not
	// included. It paces itself under the platform's rate limits and stops
	// at the first error fn returns.
	History(ctx context.Context, ws Workspace, channel string, since time.Time, fn func(HistoryMessage) error) error
}

// HistoryMessage is a message read back from a platform's history.
type HistoryMessage struct {
	MessageID string
	Author    User // Bot is true for messages posted by bots (tipbot's own included)
	Text      string
	Reactions []Reaction
}

// Reaction is one emoji on a message and the people who hold it.
type Reaction struct {
	Emoji string
	// Variant is the platform's own form where it keeps variants apart
	// (Discord's 👍🏽 beside 👍), as ReactionAdded.Variant; "" elsewhere.
	Variant string
	Users   []string
}

// recActivity records, per channel, when the core last committed an event
// there (key: channel → RFC 3339 time).
const recActivity = "channel.activity"

// activityEvery is how often a channel's activity mark is written at most.
const activityEvery = time.Minute

// recoveryMargin: a channel is read back from this long before the last
// event committed there, so reactions added while tipbot was away to the
// tips of that last hour are counted too.
const recoveryMargin = time.Hour

// activity remembers when each channel's mark was last written.
type activity struct {
	mu      sync.Mutex
	written map[string]time.Time // workspace key + "\x00" + channel → time written
}

// markActivity writes the channel's activity mark when the last one is
// older than activityEvery.
func (b *Bot) markActivity(ctx context.Context, ws Workspace, channel string) {
	if channel == "" || b.cfg.RecoveryWindow <= 0 {
		return
	}
	now := b.now()
	key := ws.Key() + "\x00" + channel
	b.seen.mu.Lock()
	last, ok := b.seen.written[key]
	fresh := ok && now.Sub(last) < activityEvery && !now.Before(last)
	if !fresh {
		if b.seen.written == nil || len(b.seen.written) > 100000 {
			b.seen.written = map[string]time.Time{}
		}
		b.seen.written[key] = now
	}
	b.seen.mu.Unlock()
	if fresh {
		return
	}
	err := b.store.Update(ctx, ws, func(tx Tx) error {
		return tx.PutRecord(recActivity, channel, []byte(now.UTC().Format(time.RFC3339Nano)))
	})
	if err != nil && ctx.Err() == nil {
		b.log.Warn("recovery: cannot record a channel's activity", "workspace", ws.Key(), "err", err)
	}
}

// touched remembers the messages whose reactions changed through live
// events while a recovery runs: the history read may predate those
// changes, so recovery leaves those messages' votes to the live events.
type touched struct {
	mu   sync.Mutex
	runs int                 // recoveries running
	msgs map[string]struct{} // workspace key \x00 channel \x00 message
}

func touchKey(ws Workspace, channel, msg string) string {
	return ws.Key() + "\x00" + channel + "\x00" + msg
}

// touch notes a live reaction change on a message while a recovery runs.
func (b *Bot) touch(ws Workspace, ev Event) {
	var channel, msg string
	switch e := ev.(type) {
	case *ReactionAdded:
		channel, msg = e.Channel, e.MessageID
	case *ReactionRemoved:
		channel, msg = e.Channel, e.MessageID
	case *ReactionsCleared:
		channel, msg = e.Channel, e.MessageID
	default:
		return
	}
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	if b.live.runs > 0 {
		b.live.msgs[touchKey(ws, channel, msg)] = struct{}{}
	}
}

func (b *Bot) touchedLive(ws Workspace, channel, msg string) bool {
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	_, ok := b.live.msgs[touchKey(ws, channel, msg)]
	return ok
}

// RecoveryCounts says what a recovery caught up on.
type RecoveryCounts struct {
	Channels, Messages                               int
	Tips, Edits, Deletions, VotesAdded, VotesRemoved int
}

func (c *RecoveryCounts) add(o RecoveryCounts) {
	c.Tips += o.Tips
	c.Edits += o.Edits
	c.Deletions += o.Deletions
	c.VotesAdded += o.VotesAdded
	c.VotesRemoved += o.VotesRemoved
}

// RecoveryMetrics is an optional capability of Metrics: counting what
// recovery caught up on, by kind (tips, edits, deletions, votes_added,
// votes_removed).
type RecoveryMetrics interface {
	Recovered(kind string, n int)
}

// Recover catches up on what was said in ws while tipbot was away: every
// channel active within recovery.window is read back through the
// platform's History (see the package's recovery notes). It does nothing
// when the window is 0 or the platform's Chat has no History. Run calls it
// at start for every workspace; an adapter calls it after a gateway session
// that could not be resumed.
func (b *Bot) Recover(ctx context.Context, ws Workspace) (RecoveryCounts, error) {
	var total RecoveryCounts
	window := b.cfg.RecoveryWindow
	h, ok := b.chat(ws.Platform).(History)
	if window <= 0 || !ok {
		return total, nil
	}
	b.live.mu.Lock()
	if b.live.runs == 0 {
		b.live.msgs = map[string]struct{}{}
	}
	b.live.runs++
	b.live.mu.Unlock()
	defer func() {
		b.live.mu.Lock()
		b.live.runs--
		b.live.mu.Unlock()
	}()
	now := b.now()
	from := now.Add(-window)
	type mark struct {
		channel string
		since   time.Time
	}
	var marks []mark
	err := b.view(ctx, ws, func(tx ReadTx) error {
		return tx.ForEachRecord(recActivity, func(channel string, raw []byte) error {
			last, err := time.Parse(time.RFC3339Nano, string(raw))
			if err != nil || last.Before(from) {
				return nil
			}
			marks = append(marks, mark{channel, maxTime(from, last.Add(-recoveryMargin))})
			return nil
		})
	})
	if err != nil {
		return total, err
	}
	var errs []error
	for _, m := range marks {
		c, err := b.recoverChannel(ctx, ws, h, m.channel, m.since)
		total.add(c)
		total.Messages += c.Messages
		total.Channels++
		if err != nil {
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
			b.log.Warn("recovery: reading a channel back failed", "workspace", ws.Key(), "channel", m.channel, "err", err)
			errs = append(errs, err)
		}
	}
	b.log.Info("recovery: caught up on what was said while tipbot was away", "workspace", ws.Key(),
		"channels", total.Channels, "messages", total.Messages, "tips", total.Tips, "edits", total.Edits,
		"deletions", total.Deletions, "votes_added", total.VotesAdded, "votes_removed", total.VotesRemoved)
	if rm, ok := b.metrics.(RecoveryMetrics); ok {
		for kind, n := range map[string]int{"tips": total.Tips, "edits": total.Edits, "deletions": total.Deletions,
			"votes_added": total.VotesAdded, "votes_removed": total.VotesRemoved} {
			if n > 0 {
				rm.Recovered(kind, n)
			}
		}
	}
	return total, errors.Join(errs...)
}

// recoverChannel reads one channel back from since.
func (b *Bot) recoverChannel(ctx context.Context, ws Workspace, h History, channel string, since time.Time) (RecoveryCounts, error) {
	var total RecoveryCounts
	// Tips captured at their message's time (prefix, /tip) after since,
	// whose message exists now: if the history no longer shows it, it was
	// deleted meanwhile. They are listed before the history is read, so a
	// tip posted or linked during the read is not taken for deleted. A
	// margin keeps clear of the boundary; 🔖 and shortcut tips may point at
	// older messages and are left alone.
	candidates := map[string]TipID{}
	err := b.view(ctx, ws, func(tx ReadTx) error {
		return tx.TipsInChannel(channel, since.Add(time.Minute), time.Time{}, func(t Tip) error {
			if t.MessageID != "" && t.ThreadID == "" && (t.Source == SourcePrefix || t.Source == SourceCommand) {
				candidates[t.MessageID] = t.ID
			}
			return nil
		})
	})
	if err != nil {
		return total, err
	}
	err = h.History(ctx, ws, channel, since, func(m HistoryMessage) error {
		delete(candidates, m.MessageID)
		total.Messages++
		c, err := b.recoverMessage(ctx, ws, channel, m)
		total.add(c)
		return err
	})
	if err != nil {
		return total, err
	}
	for msgID, id := range candidates {
		deleted := false
		_, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
			deleted = false
			cur, err := tx.Tip(id)
			if errors.Is(err, ErrNotFound) || (err == nil && cur.MessageID != msgID) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			deleted = true
			return true, b.deleteTip(tx, cur)
		})
		if err != nil {
			return total, err
		}
		if deleted {
			total.Deletions++
		}
	}
	return total, nil
}

// recoverMessage applies one message read back from history: capture,
// edit, and the useful votes the platform shows.
func (b *Bot) recoverMessage(ctx context.Context, ws Workspace, channel string, m HistoryMessage) (RecoveryCounts, error) {
	var counts RecoveryCounts
	if m.MessageID == "" {
		return counts, nil
	}
	if m.Author.ID != "" && m.Author.Name == "" {
		// Names and flags come from the directory of people, as for live
		// events; people it does not know are looked up after the commit.
		ev := &MessagePosted{EventMeta: EventMeta{Workspace: ws}, Author: m.Author}
		if resolve := b.fromDirectory(ctx, ev); resolve != nil {
			defer resolve()
		}
		m.Author = ev.Author
	}
	p := ws.Platform
	_, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
		counts = RecoveryCounts{}
		changed := false
		t, err := tx.TipByMessage(channel, m.MessageID)
		switch {
		case errors.Is(err, ErrNotFound):
			captured, err := b.recoverCapture(tx, out, ws, channel, m)
			if err != nil {
				return false, err
			}
			if captured {
				counts.Tips++
				changed = true
			}
		case err != nil:
			return false, err
		case !m.Author.Bot && t.Source == SourcePrefix:
			text := m.Text
			if stripped, ok := b.capturable(text); ok {
				text = stripped
			}
			if text = clip(text); text != "" && text != t.Text {
				t.Text, t.Topics, t.UpdatedAt = text, Topics(text, b.cfg.Hashtags), b.now()
				if err := tx.PutTip(t); err != nil {
					return false, err
				}
				counts.Edits++
				changed = true
			}
		}
		// Useful votes: the platform's reactions against what is stored,
		// unless live reaction events changed them since the read began.
		if b.touchedLive(ws, channel, m.MessageID) {
			return changed, nil
		}
		marked, err := b.recoverApplied(tx, p, channel, m)
		if err != nil {
			return false, err
		}
		changed = changed || marked
		want := map[string][]string{} // voter → useful emojis as votes keep them
		for _, r := range m.Reactions {
			if !b.isUseful(p, b.foldEmoji(p, r.Emoji)) {
				continue
			}
			e := heldAs(b.foldEmoji(p, r.Emoji), r.Variant)
			for _, u := range r.Users {
				if u != "" && !slices.Contains(want[u], e) {
					want[u] = append(want[u], e)
				}
			}
		}
		have, err := b.storedReactions(tx, channel, m.MessageID)
		if err != nil {
			return false, err
		}
		for voter := range have {
			if strings.HasPrefix(voter, forgottenPrefix) {
				// Someone who asked to be forgotten voted here: their
				// reaction still shows under their id on the platform and
				// cannot be told apart. Leave the votes as they are.
				return changed, nil
			}
		}
		for voter, emojis := range want {
			for _, e := range emojis {
				if slices.Contains(have[voter], e) {
					continue
				}
				added, err := b.addVote(tx, out, ws, channel, m.MessageID, voter, e)
				if err != nil {
					return false, err
				}
				if added {
					counts.VotesAdded++
					changed = true
				}
			}
		}
		for voter, emojis := range have {
			for _, e := range emojis {
				if slices.Contains(want[voter], e) {
					continue
				}
				removed, err := b.removeVote(tx, channel, m.MessageID, voter, e)
				if err != nil {
					return false, err
				}
				if removed {
					counts.VotesRemoved++
					changed = true
				}
			}
		}
		return changed, nil
	})
	return counts, err
}

// recoverCapture captures a message read back from history that should
// have been captured: by prefix or hashtag, or by someone's capture
// reaction. It reports whether it did.
func (b *Bot) recoverCapture(tx Tx, out *outbox, ws Workspace, channel string, m HistoryMessage) (bool, error) {
	if m.Author.Bot || m.Author.ID == "" || m.Text == "" {
		return false, nil
	}
	n := newTip{ws: ws, channel: channel, messageID: m.MessageID, author: m.Author}
	if text, ok := b.capturable(m.Text); ok && text != "" {
		n.text, n.source = text, SourcePrefix
	} else {
		for _, r := range m.Reactions {
			if b.isCapture(ws.Platform, b.foldEmoji(ws.Platform, r.Emoji)) && len(r.Users) > 0 {
				n.text, n.source, n.capturedBy = m.Text, SourceReaction, r.Users[0]
				break
			}
		}
	}
	if n.source == "" {
		return false, nil
	}
	_, created, err := b.capture(tx, out, n)
	var tf *tooFast
	if errors.As(err, &tf) {
		return false, nil // over the person's rate: not recorded, as live
	}
	return created, err
}

// storedReactions returns the useful emojis stored per voter on a message:
// its tip's votes, or the pending votes of a message not captured.
func (b *Bot) storedReactions(tx ReadTx, channel, messageID string) (map[string][]string, error) {
	have := map[string][]string{}
	t, err := tx.TipByMessage(channel, messageID)
	switch {
	case errors.Is(err, ErrNotFound):
		pending, err := tx.PendingVotes(channel, messageID)
		if err != nil {
			return nil, err
		}
		for _, pv := range pending {
			have[pv.Voter] = slices.Clone(pv.Emojis)
		}
		return have, nil
	case err != nil:
		return nil, err
	}
	err = tx.ForEachVote(t.ID, func(voter string, v Vote) error {
		have[voter] = slices.Clone(v.Emojis)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bot: votes of %s: %w", t.ID, err)
	}
	return have, nil
}

// recoverAll runs Recover for every workspace whose platform can read its
// history, one after the other, in the background of Run.
func (b *Bot) recoverAll(ctx context.Context) {
	if b.cfg.RecoveryWindow <= 0 {
		return
	}
	workspaces, err := b.store.Workspaces(ctx)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("recovery: cannot list workspaces", "err", err)
		}
		return
	}
	for _, ws := range workspaces {
		if _, ok := b.chat(ws.Platform).(History); !ok {
			continue
		}
		if _, err := b.Recover(ctx, ws); err != nil && ctx.Err() == nil {
			b.log.Warn("recovery: incomplete", "workspace", ws.Key(), "err", err)
		}
	}
}

// recoverApplied brings the applied marks given by reaction on a tip's
// message to what the platform shows: a ✅ put meanwhile marks the tip, a
// ✅ taken off unmarks it (marks given otherwise stay). As for votes, a
// message where a forgotten person had marked is left as it is.
func (b *Bot) recoverApplied(tx Tx, p Platform, channel string, m HistoryMessage) (bool, error) {
	t, err := tx.TipByMessage(channel, m.MessageID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	want := map[string]bool{}
	for _, r := range m.Reactions {
		if b.isApplied(p, BaseEmoji(r.Emoji)) {
			for _, u := range r.Users {
				if u != "" {
					want[u] = true
				}
			}
		}
	}
	marks, err := appliedMarks(tx, t.ID)
	if err != nil {
		return false, err
	}
	for who := range marks {
		if strings.HasPrefix(who, forgottenPrefix) {
			return false, nil
		}
	}
	changed := false
	for _, who := range slices.Sorted(maps.Keys(want)) {
		if _, ok := marks[who]; ok {
			continue
		}
		if mem, err := tx.Member(who); err == nil && mem.Bot {
			continue
		}
		done, err := b.markApplied(tx, &t, who, appliedViaReaction)
		if err != nil {
			return false, err
		}
		changed = changed || done
	}
	for _, who := range slices.Sorted(maps.Keys(marks)) {
		if marks[who].Via != appliedViaReaction || want[who] {
			continue
		}
		done, err := b.unmarkApplied(tx, &t, who, appliedViaReaction)
		if err != nil {
			return false, err
		}
		changed = changed || done
	}
	return changed, nil
}
