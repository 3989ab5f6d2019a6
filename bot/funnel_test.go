package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// figures returns the report figures of the period of kind p containing at.
func (h *harness) figures(p bot.Period, at time.Time) bot.Figures {
	h.t.Helper()
	f, err := h.bot.Figures(context.Background(), h.ws, p, at, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

// funnel is the funnel figures of a report.
type funnel struct {
	Seen, Voters, Contributors, Nudged, NudgedShared           int64
	Tips, Published, Featured, InPath, AppliedTips, UsefulVote int64
}

func funnelOf(f bot.Figures) funnel {
	return funnel{f.Seen, f.Voters, f.Contributors, f.Nudged, f.NudgedShared,
		f.Tips, f.Published, f.Featured, f.InPath, f.AppliedTips, f.UsefulVotes}
}

// TestFunnelFiguresByHand is issue 13's "Report figures checked against a
// hand count": several people act in two channels over two weeks and two
// months (tips pending approval, approved, featured, rejected, deleted,
// applied and taken back; votes; plain messages; commands; a bot), and
// every funnel figure of each period is compared with the count made by
// hand in the comments.
func TestFunnelFiguresByHand(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.RequireApproval, c.Admins = true, []string{"trainer"} })
	alice, bob, carol, dave, erin, frank, gina := user("alice"), user("bob"), user("carol"), user("dave"), user("erin"), user("frank"), user("gina")
	trainer := user("trainer")
	robot := bot.User{ID: "B1", Name: "Robot", Bot: true}

	// Friday 27 November 2026 (ISO week 48).
	nov27 := h.clock()
	a1 := h.post(alice, "tip: A1 use git bisect")         // t1, pending
	h.postIn("#dev", "", alice, "tip: A2 go test -race")  // t2, pending
	h.post(bob, "hello everyone")                         // not a tip
	h.post(robot, "beep")                                 // a bot: never seen
	h.react(carol, a1, "bulb")                            // carol votes on t1
	h.commandIn("#dev", dave, "tips", "top")              // dave runs a command
	h.command(trainer, "tips", "approve t1")              // t1 published
	h.command(trainer, "tips", "feature t2")              // t2 featured
	h.postIn("#dev", "", erin, "tip: E1 something wrong") // t3
	h.command(trainer, "tips", "reject t3")               // t3 rejected
	h.command(carol, "tips", "applied t1")                // t1 applied
	h.react(carol, a1, "star")                            // a second emoji: the same vote
	h.react(robot, a1, "bulb")                            // a bot's vote: never counted
	h.command(alice, "tips", "applied t1")                // authors may mark their own: still one tip applied
	h.post(alice, "hello again")                          // alice again: counted once

	// Monday 30 November (week 49, still November).
	h.advance(3 * 24 * time.Hour)
	nov30 := h.clock()
	h.reactIn("#dev", bob, h.lastMessage("#dev", "tip: A2"), "bulb") // bob votes on t2
	f1 := h.post(frank, "tip: F1 make small commits")                // t4
	h.command(trainer, "tips", "approve t4")                         // t4 published
	a3 := h.post(alice, "tip: A3 soon deleted")                      // t5
	h.handle(&bot.MessageDeleted{EventMeta: h.meta(), Channel: "#general", MessageID: a3})

	// Wednesday 2 December (week 49, December).
	h.advance(2 * 24 * time.Hour)
	dec2 := h.clock()
	h.post(carol, "thanks for the tips")
	h.react(bob, f1, "+1")                      // bob votes on t4
	h.post(gina, "tip: G1 read the logs first") // t6
	h.command(trainer, "tips", "approve t6")    // t6 published
	h.command(trainer, "tips", "feature t6")    // t6 featured
	h.command(trainer, "tips", "feature t1")    // t1, a November tip, featured
	h.command(dave, "tips", "applied t2")       // t2 applied...
	h.command(dave, "tips", "applied t2 undo")  // ...and taken back
	h.command(dave, "tips", "applied t6")       // t6 applied
	h.command(trainer, "tips", "path create onboarding Onboarding")
	h.command(trainer, "tips", "path add onboarding t1 t6 t4") // t1, t6, t4 in a path; t4 featured by it
	h.command(trainer, "tips", "path remove onboarding t4")    // t4 leaves the path, stays featured

	cases := []struct {
		name string
		p    bot.Period
		at   time.Time
		want funnel
	}{
		// November. Seen: alice, bob, carol, dave, erin, trainer (27th),
		// frank (30th) = 7. Voters: carol (27th), bob (30th) = 2.
		// Contributors (ranked tips): alice (t1, t2), frank (t4) = 2.
		// Tips captured: t1, t2, t3, t4 (t5 deleted) = 4; published: t1,
		// t2, t4 = 3; featured: t2, t1, t4 = 3; in a path: t1 = 1; applied:
		// t1 = 1.
		// Useful votes held by the month's tips: t1 (carol), t2 (bob), t4
		// (bob) = 3.
		{"November", bot.Month, nov27, funnel{Seen: 7, Voters: 2, Contributors: 2, Tips: 4, Published: 3, Featured: 3, InPath: 1, AppliedTips: 1, UsefulVote: 3}},
		// December. Seen: carol, bob, gina, trainer, dave = 5. Voters: bob.
		// Contributors: gina. Tips: t6, published, featured, in a path,
		// applied.
		{"December", bot.Month, dec2, funnel{Seen: 5, Voters: 1, Contributors: 1, Tips: 1, Published: 1, Featured: 1, InPath: 1, AppliedTips: 1}},
		// Week 48 (27th only): alice, bob, carol, dave, erin, trainer = 6;
		// voters: carol; contributors: alice; tips t1, t2, t3; published
		// t1, t2; featured t1, t2; in a path t1; applied t1; votes on t1, t2.
		{"week 48", bot.Week, nov27, funnel{Seen: 6, Voters: 1, Contributors: 1, Tips: 3, Published: 2, Featured: 2, InPath: 1, AppliedTips: 1, UsefulVote: 2}},
		// Week 49 (30th to 2nd): bob, frank, trainer, alice, carol, gina,
		// dave = 7; voters: bob (twice, once counted); contributors: frank,
		// gina; tips t4, t6; published t4, t6; featured t6, t4; in a path
		// t6; applied t6; votes on t4.
		{"week 49", bot.Week, nov30, funnel{Seen: 7, Voters: 1, Contributors: 2, Tips: 2, Published: 2, Featured: 2, InPath: 1, AppliedTips: 1, UsefulVote: 1}},
		// The year: seen alice, bob, carol, dave, erin, trainer, frank,
		// gina = 8; voters carol, bob = 2; contributors alice, frank, gina.
		{"2026", bot.Year, dec2, funnel{Seen: 8, Voters: 2, Contributors: 3, Tips: 5, Published: 4, Featured: 4, InPath: 2, AppliedTips: 2, UsefulVote: 3}},
	}
	for _, c := range cases {
		if got := funnelOf(h.figures(c.p, c.at)); got != c.want {
			t.Errorf("%s: funnel figures\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}

	// The report shows them.
	report := h.command(trainer, "tips", "report")
	for _, want := range []string{
		"Participation funnel: seen 5 → voters 1 → contributors 1",
		"Nudges: sent 0 → shared a tip within 7 days 0",
		"Tip funnel: captured 1 → published 1 → featured 1 → in a path 1 → applied 1",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}

	// Forget-me: the counts stay, the person's records go.
	h.command(alice, "tips", "forget-me confirm")
	// Alice's tips t1 and t2 are deleted: November loses them (t1 was
	// applied by carol and in the path, t2 featured); t4 stays featured.
	want := funnel{Seen: 7, Voters: 2, Contributors: 1, Tips: 2, Published: 1, Featured: 1, AppliedTips: 0, UsefulVote: 1}
	if got := funnelOf(h.figures(bot.Month, nov27)); got != want {
		t.Errorf("November after alice's forget-me:\n got %+v\nwant %+v", got, want)
	}
}

// lastMessage returns the id of the last message of a channel starting
// with prefix.
func (h *harness) lastMessage(channel, prefix string) string {
	h.t.Helper()
	var id string
	for m, info := range h.msgs {
		if strings.HasPrefix(info.Text, prefix) {
			id = m
		}
	}
	if id == "" {
		h.t.Fatalf("no message %q in %s", prefix, channel)
	}
	return id
}

// TestFunnelAfterUpgrade: tips captured before the funnels existed are
// counted once, at the first change of a tip, and a change of one of them
// never takes it out of a count it was never in.
func TestFunnelAfterUpgrade(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer"} })
	for _, text := range []string{"tip: one", "tip: two", "tip: three"} {
		h.post(user("alice"), text)
	}
	h.command(user("trainer"), "tips", "feature t1")
	key := bot.PeriodKey(bot.Month, h.clock(), time.UTC)
	// An older version: no funnel counters, no mark.
	if err := h.db.Update(context.Background(), h.ws, func(tx bot.Tx) error {
		for _, name := range []string{"funnel.published:", "funnel.featured:", "funnel.applied:"} {
			for _, p := range bot.PeriodKeys(h.clock(), time.UTC) {
				n, err := tx.Counter(name + p)
				if err != nil {
					return err
				}
				if err := tx.AddCounter(name+p, -n); err != nil {
					return err
				}
			}
		}
		return tx.DeleteRecord("funnel", "kept")
	}); err != nil {
		t.Fatal(err)
	}
	if f := h.figures(bot.Month, h.clock()); f.Published != 0 || f.Featured != 0 {
		t.Fatalf("%s: counters not reset: %+v", key, funnelOf(f))
	}
	h.command(user("trainer"), "tips", "reject t1") // the first change after the upgrade
	h.command(user("trainer"), "tips", "feature t2")
	want := funnel{Seen: 2, Voters: 0, Contributors: 1, Tips: 3, Published: 2, Featured: 1}
	if got := funnelOf(h.figures(bot.Month, h.clock())); got != want {
		t.Errorf("after the upgrade:\n got %+v\nwant %+v", got, want)
	}
}

// presenceStore counts the presence records read and written, in read and
// write transactions.
type presenceStore struct {
	bot.Store
	reads, writes atomic.Int64
}

func (s *presenceStore) View(ctx context.Context, ws bot.Workspace, fn func(bot.ReadTx) error) error {
	return s.Store.View(ctx, ws, func(tx bot.ReadTx) error { return fn(presenceReadTx{tx, s}) })
}

func (s *presenceStore) Update(ctx context.Context, ws bot.Workspace, fn func(bot.Tx) error) error {
	return s.Store.Update(ctx, ws, func(tx bot.Tx) error { return fn(presenceTx{tx, s}) })
}

type presenceReadTx struct {
	bot.ReadTx
	s *presenceStore
}

func (t presenceReadTx) Record(kind, key string) ([]byte, error) {
	if kind == "presence" {
		t.s.reads.Add(1)
	}
	return t.ReadTx.Record(kind, key)
}

type presenceTx struct {
	bot.Tx
	s *presenceStore
}

func (t presenceTx) Record(kind, key string) ([]byte, error) {
	if kind == "presence" {
		t.s.reads.Add(1)
	}
	return t.Tx.Record(kind, key)
}

func (t presenceTx) PutRecord(kind, key string, v []byte) error {
	if kind == "presence" {
		t.s.writes.Add(1)
	}
	return t.Tx.PutRecord(kind, key, v)
}

// TestPresenceCost is the hot path's budget (issue 11): counting people
// seen and voters costs two presence reads for a person's first vote of
// the day (with nudges off; see TestNudges for them on), none for their
// later votes and plain messages of the day, and a write only the first
// time a person shows in a period.
func TestPresenceCost(t *testing.T) {
	h := newHarness(t, nil)
	spy := &presenceStore{}
	h.wrap = func(st bot.Store) bot.Store { spy.Store = st; return spy }
	h.close()
	h.open()
	var tips []string
	for i := range 20 {
		tips = append(tips, h.post(user("alice"), fmt.Sprintf("tip: number %d", i)))
	}
	spy.reads.Store(0)
	spy.writes.Store(0)
	for _, msg := range tips { // 20 votes by carol the same day
		h.react(user("carol"), msg, "bulb")
	}
	if r, w := spy.reads.Load(), spy.writes.Load(); r != 2 || w != 1 {
		t.Errorf("20 votes: %d presence reads, %d writes; want 2 and 1", r, w)
	}
	for range 20 { // 20 plain messages by bob the same day
		h.post(user("bob"), "hello")
	}
	if r, w := spy.reads.Load()-2, spy.writes.Load()-1; r > 2 || w != 1 {
		t.Errorf("20 messages: %d presence reads, %d writes; want at most 2 and 1", r, w)
	}
	h.advance(7 * 24 * time.Hour) // a new week: counted again, once
	spy.reads.Store(0)
	spy.writes.Store(0)
	h.post(user("bob"), "hello again")
	h.post(user("bob"), "and again")
	if w := spy.writes.Load(); w != 1 {
		t.Errorf("a new week: %d presence writes, want 1", w)
	}
	if got := h.counter("seen:" + bot.PeriodKey(bot.Week, h.clock(), time.UTC)); got != 1 {
		t.Errorf("seen this week = %d, want 1", got)
	}
}

// midnightStore moves the clock past midnight once a transaction that
// counted a person (wrote a presence record) has committed: the day
// cache must remember the day the transaction counted in, not the next.
type midnightStore struct {
	bot.Store
	h     *harness
	armed atomic.Bool
}

func (s *midnightStore) Update(ctx context.Context, ws bot.Workspace, fn func(bot.Tx) error) error {
	counted := false
	err := s.Store.Update(ctx, ws, func(tx bot.Tx) error { return fn(presenceWriteTx{tx, &counted}) })
	if err == nil && counted && s.armed.CompareAndSwap(true, false) {
		s.h.advance(2 * time.Second)
	}
	return err
}

type presenceWriteTx struct {
	bot.Tx
	counted *bool
}

func (t presenceWriteTx) PutRecord(kind, key string, v []byte) error {
	if kind == "presence" {
		*t.counted = true
	}
	return t.Tx.PutRecord(kind, key, v)
}

// TestVoterCountedAcrossMidnight votes at 23:59:59 on a Sunday, the clock
// passing midnight before the vote's commit returns, then again on Monday:
// the voter counts in the new week.
func TestVoterCountedAcrossMidnight(t *testing.T) {
	h := newHarness(t, nil)
	spy := &midnightStore{h: h}
	h.wrap = func(st bot.Store) bot.Store { spy.Store = st; return spy }
	h.close()
	h.open()
	first := h.post(user("alice"), "tip: one")
	second := h.post(user("alice"), "tip: two")
	sunday := time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC)
	h.advance(sunday.Sub(h.clock()))
	spy.armed.Store(true)
	h.react(user("carol"), first, "bulb")
	if spy.armed.Load() {
		t.Fatal("the vote's transaction counted nobody")
	}
	monday := h.clock()
	if monday.Weekday() != time.Monday {
		t.Fatalf("clock at %v, want a Monday", monday)
	}
	h.react(user("carol"), second, "bulb")
	for _, name := range []string{"voters:", "seen:"} {
		if got := h.counter(name + bot.PeriodKey(bot.Week, monday, time.UTC)); got != 1 {
			t.Errorf("%s of the new week = %d, want 1 (carol)", name, got)
		}
	}
}
