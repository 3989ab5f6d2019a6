package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Report funnels. Reports follow people (seen → voters → contributors)
// and tips (captured → published → featured → in a path → applied) from
// counters per period, kept in step by the events themselves, so a report
// reads a handful of counters whatever the number of tips.
//
// Distinct people per period are counted through one presence record per
// person holding the period keys they were last counted in: an event reads
// it once, and writes it only the first time the person shows in a period.
// The same record keeps what nudges need (see nudge.go): the person's
// latest useful votes while they have not shared a tip, and their last
// nudge.

// recPresence holds one presence record per person (key: person id →
// presence JSON).
const recPresence = "presence"

// presence is what is kept of one person's activity.
type presence struct {
	Seen  []string `json:"s,omitempty"` // period keys they were last counted "seen" in
	Voted []string `json:"v,omitempty"` // period keys they were last counted a voter in
	// Shared is set once they authored a tip: their votes are then no
	// longer kept for nudges.
	Shared bool `json:"sh,omitempty"`
	// Votes are their latest useful votes (newest last), kept for nudges
	// while they have not shared a tip.
	Votes []recentVote `json:"n,omitempty"`
	// Candidate is set while they are in the nudge candidates
	// (recNudgeCandidate).
	Candidate bool `json:"c,omitempty"`
	// Nudge is their last nudge, if any.
	Nudge *nudgeSent `json:"nu,omitempty"`
}

// recentVote is one useful vote a person gave.
type recentVote struct {
	Tip TipID     `json:"t"`
	At  time.Time `json:"a"`
}

// nudgeSent is the last nudge sent to a person.
type nudgeSent struct {
	At      time.Time `json:"a"`
	Periods []string  `json:"p"` // the report periods it counts in
	// Shared is set once the person shared a tip within
	// nudgeSharedWithin of it (counted once).
	Shared bool `json:"s,omitempty"`
}

func getPresence(tx ReadTx, person string) (presence, error) {
	raw, err := tx.Record(recPresence, person)
	if errors.Is(err, ErrNotFound) {
		return presence{}, nil
	}
	if err != nil {
		return presence{}, err
	}
	var p presence
	if err := json.Unmarshal(raw, &p); err != nil {
		return presence{}, fmt.Errorf("bot: decode presence of %s: %w", person, err)
	}
	return p, nil
}

func putPresence(tx Tx, person string, p presence) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("bot: encode presence: %w", err)
	}
	return tx.PutRecord(recPresence, person, raw)
}

// Counter names of the funnels, per period key.
func counterSeen(period string) string   { return "seen:" + period }
func counterVoters(period string) string { return "voters:" + period }

// counterInPath counts the tips created in a period that are in at least
// one training path (the paths keep it: +1 when a tip enters its first
// path, -1 when it leaves its last).
func counterInPath(period string) string { return "inpath:" + period }

// Tip funnel stages, per period the tips were created in.
func counterPublished(period string) string   { return "funnel.published:" + period }
func counterFeatured(period string) string    { return "funnel.featured:" + period }
func counterAppliedTips(period string) string { return "funnel.applied:" + period }

// countOnce adds 1 to name(k) for each key of keys the person was not
// counted in yet (counted holds the keys of their last count, in the same
// order) and reports whether it counted any.
func countOnce(tx Tx, counted *[]string, keys []string, name func(string) string) (bool, error) {
	changed := false
	for i, k := range keys {
		if i < len(*counted) && (*counted)[i] == k {
			continue
		}
		if err := tx.AddCounter(name(k), 1); err != nil {
			return false, err
		}
		changed = true
	}
	if changed {
		*counted = slices.Clone(keys)
	}
	return changed, nil
}

// noteVoter counts a person who just gave a useful vote on tip: seen and
// voter in the current periods, and, with nudges on and while they have
// not shared a tip, the vote among their latest ones (a candidate for a
// nudge once they are enough). One read; a write only when something
// changed.
//
// With nudges off, a voter the day cache knows counted in the current
// periods reads nothing at all; out (nil: no day cache) learns the voter
// to remember once the vote is committed.
func (b *Bot) noteVoter(tx Tx, out *outbox, ws Workspace, voter string, tip TipID) error {
	now := b.now()
	keys, day := periodDay(now, b.cfg.Location)
	if out != nil && !b.cfg.NudgesEnabled {
		if b.knownVoted(dayCacheKey(ws, voter), day) {
			return nil
		}
		out.voters, out.day = append(out.voters, voter), day
	}
	p, err := getPresence(tx, voter)
	if err != nil {
		return err
	}
	seen, err := countOnce(tx, &p.Seen, keys, counterSeen)
	if err != nil {
		return err
	}
	voted, err := countOnce(tx, &p.Voted, keys, counterVoters)
	if err != nil {
		return err
	}
	tracked := false
	if b.cfg.NudgesEnabled && !p.Shared {
		tracked = true
		p.Votes = append(p.Votes, recentVote{Tip: tip, At: now})
		p.Votes = recentVotes(p.Votes, now, b.nudgeAfterVotes())
		if !p.Candidate && len(p.Votes) >= b.nudgeAfterVotes() {
			p.Candidate = true
			if err := tx.PutRecord(recNudgeCandidate, voter, []byte{1}); err != nil {
				return err
			}
		}
	}
	if !seen && !voted && !tracked {
		return nil
	}
	return putPresence(tx, voter, p)
}

// recentVotes drops the votes older than the nudge window and keeps at
// most twice the votes a nudge needs, the newest.
func recentVotes(votes []recentVote, now time.Time, need int) []recentVote {
	votes = slices.DeleteFunc(votes, func(v recentVote) bool { return !v.At.After(now.Add(-nudgeWindow)) })
	return votes[max(0, len(votes)-2*need):]
}

// noteSharer marks the author of a tip just captured as having shared:
// their votes are no longer kept for nudges, and a nudge sent to them
// within nudgeSharedWithin counts as followed.
func (b *Bot) noteSharer(tx Tx, author string) error {
	p, err := getPresence(tx, author)
	if err != nil {
		return err
	}
	changed := false
	if !p.Shared {
		p.Shared, p.Votes, changed = true, nil, true
	}
	if n := p.Nudge; n != nil && !n.Shared && !b.now().After(n.At.Add(nudgeSharedWithin)) {
		n.Shared, changed = true, true
		if err := addCounters(tx, n.Periods, counterNudgesShared, 1); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return putPresence(tx, author, p)
}

// recFunnel marks (key funnelKept) a workspace whose tip funnel counters
// are kept: the first change of a tip after an upgrade counts every tip
// already there once (backfillFunnel), so that a tip captured before the
// funnels existed is never taken out of a count it was never in.
const (
	recFunnel  = "funnel"
	funnelKept = "kept"
)

// funnelStages are the stages of the tip funnel after "captured": each a
// counter per period and whether a tip is in it.
var funnelStages = []struct {
	name func(string) string
	in   func(Tip) bool
}{
	{counterPublished, func(t Tip) bool { return t.ID != 0 && t.Ranked() }},
	{counterFeatured, func(t Tip) bool { return t.ID != 0 && t.Status == StatusFeatured }},
	{counterAppliedTips, func(t Tip) bool { return t.ID != 0 && t.Applied > 0 }},
}

// countFunnel keeps the tip funnel counters in step with a change of a
// tip from old to new (a zero Tip for a creation or a deletion): published
// (ranked), featured, applied (at least one applied mark).
func countFunnel(tx Tx, old, new Tip) error {
	periods := new.Periods
	if len(periods) == 0 {
		periods = old.Periods
	}
	if _, err := tx.Record(recFunnel, funnelKept); errors.Is(err, ErrNotFound) {
		id := new.ID
		if id == 0 {
			id = old.ID
		}
		if err := backfillFunnel(tx, id); err != nil {
			return err
		}
		old = Tip{} // the others are counted: this one counts as it is now
	} else if err != nil {
		return err
	}
	for _, s := range funnelStages {
		was, is := s.in(old), s.in(new)
		if was == is {
			continue
		}
		delta := int64(1)
		if was {
			delta = -1
		}
		if err := addCounters(tx, periods, s.name, delta); err != nil {
			return err
		}
	}
	return nil
}

// backfillFunnel counts every tip of the workspace but skip in the tip
// funnel counters, once, and marks them kept.
func backfillFunnel(tx Tx, skip TipID) error {
	counts := map[string]int64{}
	if err := tx.ForEachTip(func(t Tip) error {
		if t.ID == skip {
			return nil
		}
		for _, s := range funnelStages {
			if s.in(t) {
				for _, p := range t.Periods {
					counts[s.name(p)]++
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for name, n := range counts {
		if err := tx.AddCounter(name, n); err != nil {
			return err
		}
	}
	return tx.PutRecord(recFunnel, funnelKept, []byte{1})
}

// presenceCache remembers, per workspace and person, the day they were
// last known counted "seen", so that most events read nothing at all.
type presenceCache struct {
	mu    sync.Mutex
	days  map[string]string // workspace key \x00 person → the day's period keys they are counted seen in
	voted map[string]string // the same, for the day they are counted a voter in
}

// seenBy returns the person an event shows present in a channel, or "".
func seenBy(ev Event) string {
	var u User
	switch e := ev.(type) {
	case *MessagePosted:
		u = e.Author
	case *ReactionAdded:
		if e.Kind.direct() {
			return ""
		}
		u = e.User
	case *CommandInvoked:
		u = e.User
	case *SaveAsTip:
		if e.Kind.direct() {
			return ""
		}
		u = e.User
	default:
		return ""
	}
	if u.Bot || ChannelOf(ev) == "" {
		return ""
	}
	return u.ID
}

// seenKey is the context key of the person an event Handle is handling
// shows present (seenBy): the event's transaction counts them seen.
type seenKey struct{}

// today returns the current period keys and the day cache's key of a
// person.
func (b *Bot) today(ws Workspace, person string) (keys []string, day, cacheKey string) {
	keys, day = periodDay(b.now(), b.cfg.Location)
	return keys, day, dayCacheKey(ws, person)
}

// dayCacheKey is a person's key in the day caches.
func dayCacheKey(ws Workspace, person string) string { return ws.Key() + "\x00" + person }

// rememberDay notes in a day cache (cleared whole when it grows past
// 100,000 people) the day a person was counted in.
func rememberDay(cache *map[string]string, cacheKey, day string) {
	if *cache == nil || len(*cache) > 100000 {
		*cache = map[string]string{}
	}
	(*cache)[cacheKey] = day
}

// knownVoted reports whether the day cache says the person is counted a
// voter (and so seen) in the current periods.
func (b *Bot) knownVoted(cacheKey, day string) bool {
	b.present.mu.Lock()
	defer b.present.mu.Unlock()
	return b.present.voted[cacheKey] == day
}

// votersCommitted notes in the day cache the voters a committed
// transaction counted (noteVoter), as seen and as voters.
func (b *Bot) votersCommitted(ws Workspace, voters []string, day string) {
	b.present.mu.Lock()
	defer b.present.mu.Unlock()
	for _, v := range voters {
		k := dayCacheKey(ws, v)
		rememberDay(&b.present.voted, k, day)
		rememberDay(&b.present.days, k, day)
	}
}

// knownSeen reports whether the day cache says the person is counted seen
// in the current periods.
func (b *Bot) knownSeen(cacheKey, day string) bool {
	b.present.mu.Lock()
	defer b.present.mu.Unlock()
	return b.present.days[cacheKey] == day
}

// rememberSeen notes in the day cache that the person is counted seen in
// the current periods (call it once that is committed).
func (b *Bot) rememberSeen(cacheKey, day string) {
	b.present.mu.Lock()
	defer b.present.mu.Unlock()
	rememberDay(&b.present.days, cacheKey, day)
}

// countSeenIn counts, in an event's transaction, the person the event
// shows as seen in the current periods, unless the day cache knows they
// are: one read, a write the first time in a period.
func (b *Bot) countSeenIn(ctx context.Context, tx Tx, ws Workspace, out *outbox) error {
	person, _ := ctx.Value(seenKey{}).(string)
	if person == "" {
		return nil
	}
	keys, day, cacheKey := b.today(ws, person)
	out.seen, out.day = true, day
	if b.knownSeen(cacheKey, day) {
		return nil
	}
	p, err := getPresence(tx, person)
	if err != nil {
		return err
	}
	changed, err := countOnce(tx, &p.Seen, keys, counterSeen)
	if err != nil || !changed {
		return err
	}
	return putPresence(tx, person, p)
}

// seenCommitted notes in the day cache the person an event's committed
// transaction counted seen.
func (b *Bot) seenCommitted(ctx context.Context, ws Workspace, day string) {
	if person, _ := ctx.Value(seenKey{}).(string); person != "" {
		b.rememberSeen(dayCacheKey(ws, person), day)
	}
}

// markSeen counts the person an event shows (posted, reacted, ran a
// command) as seen in the current periods, once per period: a read at
// most once a day per person, a write the first time in a period.
func (b *Bot) markSeen(ctx context.Context, ev Event) {
	person := seenBy(ev)
	if person == "" {
		return
	}
	ws := ev.meta().Workspace
	keys, day, cacheKey := b.today(ws, person)
	if b.knownSeen(cacheKey, day) {
		return // most events: counted in their own transaction, or earlier today
	}
	counted := false
	err := b.view(ctx, ws, func(tx ReadTx) error {
		p, err := getPresence(tx, person)
		counted = err == nil && slices.Equal(p.Seen, keys)
		return err
	})
	if err == nil && !counted {
		err = b.store.Update(ctx, ws, func(tx Tx) error {
			p, err := getPresence(tx, person)
			if err != nil {
				return err
			}
			changed, err := countOnce(tx, &p.Seen, keys, counterSeen)
			if err != nil || !changed {
				return err
			}
			return putPresence(tx, person, p)
		})
	}
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("cannot count a person seen", "workspace", ws.Key(), "err", err)
		}
		return
	}
	b.rememberSeen(cacheKey, day)
}

// forgetPresence forgets a person's presence record and nudge candidacy
// (the counts stay, and so does the day cache: they were counted today).
func forgetPresence(tx Tx, person string) error {
	if err := tx.DeleteRecord(recNudgeCandidate, person); err != nil {
		return err
	}
	return tx.DeleteRecord(recPresence, person)
}
