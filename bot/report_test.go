package bot_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

var admin = bot.User{ID: "admin", Name: "Admin", Admin: true}

// Every command × member / trainer / admin: who may run it, and the polite
// refusal naming who may.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.Trainers = []string{"trainer"} })
	h.post(alice, "tip: something to moderate")
	member, trainerU := bob, bot.User{ID: "trainer", Name: "Trainer"}
	for _, tc := range []struct {
		cmd  string
		role bot.Role
	}{
		{"help", bot.RoleMember}, {"top", bot.RoleMember}, {"search git", bot.RoleMember}, {"me", bot.RoleMember},
		{"experts git", bot.RoleMember}, {"forget-me", bot.RoleMember},
		{"prompt Git", bot.RoleTrainer}, {"close s1", bot.RoleTrainer}, {"sessions", bot.RoleTrainer},
		{"schedule list", bot.RoleTrainer}, {"report", bot.RoleTrainer}, {"pending", bot.RoleTrainer},
		{"approve t1", bot.RoleTrainer}, {"feature t1", bot.RoleTrainer}, {"reject t1", bot.RoleTrainer},
		{"export", bot.RoleAdmin}, {"trainer add @carol", bot.RoleAdmin},
	} {
		for _, u := range []struct {
			user bot.User
			role bot.Role
		}{{member, bot.RoleMember}, {trainerU, bot.RoleTrainer}, {admin, bot.RoleAdmin}} {
			out := h.command(u.user, "tips", tc.cmd)
			refused := strings.Contains(out, "Only trainers and admins") || strings.Contains(out, "Only admins")
			if want := u.role < tc.role; refused != want {
				t.Errorf("%s as %s: refused=%v, want %v: %q", tc.cmd, u.user.ID, refused, want, out)
			}
		}
	}
	// A trainer added by an admin becomes one; removing takes it back.
	h.command(admin, "tips", "trainer add <@carol|Carol>")
	if out := h.command(carol, "tips", "pending"); strings.Contains(out, "Only") {
		t.Errorf("added trainer refused: %q", out)
	}
	if out := h.command(carol, "tips", "help"); !strings.Contains(out, "/tips prompt") || strings.Contains(out, "/tips export") {
		t.Errorf("trainer help:\n%s", out)
	}
	h.command(admin, "tips", "trainer remove @carol")
	if out := h.command(carol, "tips", "pending"); !strings.Contains(out, "Only trainers") {
		t.Errorf("removed trainer allowed: %q", out)
	}
}

func TestModeration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.RequireApproval = true; c.Threshold = 1 })
	m := h.post(alice, "tip: pending until approved #git")
	h.react(bob, m, "bulb")
	tip := h.tip(m)
	if tip.Status != bot.StatusPending {
		t.Fatalf("status = %s", tip.Status)
	}
	for _, cmd := range []string{"top", "top all", "search pending", "experts git"} {
		if out := h.command(carol, "tips", cmd); strings.Contains(out, "pending until approved") || strings.Contains(out, "Alice") {
			t.Errorf("/tips %s shows a pending tip:\n%s", cmd, out)
		}
	}
	if out := h.command(admin, "tips", "report"); !strings.Contains(out, "Tips pending moderation: 1") || strings.Contains(out, "pending until approved") ||
		!strings.Contains(out, "Contributors: 0 (=) · new contributors: 0 (=)") {
		t.Errorf("report with a pending tip:\n%s", out)
	}
	if _, _, directs := h.chat.snapshot(); len(directs) != 0 {
		t.Errorf("hall of fame for a pending tip: %+v", directs)
	}
	if out := h.command(admin, "tips", "pending"); !strings.Contains(out, "pending until approved") {
		t.Errorf("pending list:\n%s", out)
	}
	if out := h.command(admin, "tips", "approve "+tip.ID.String()); !strings.Contains(out, "approved") {
		t.Errorf("approve: %q", out)
	}
	if out := h.command(carol, "tips", "search pending"); !strings.Contains(out, "pending until approved") {
		t.Errorf("approved tip not searchable:\n%s", out)
	}
	if out := h.command(admin, "tips", "report"); !strings.Contains(out, "Contributors: 1 (▲ 1) · new contributors: 1 (▲ 1)") {
		t.Errorf("report after approval:\n%s", out)
	}
	if _, _, directs := h.chat.snapshot(); len(directs) != 1 {
		t.Errorf("hall of fame after approval: %+v", directs)
	}
	h.command(admin, "tips", "feature "+tip.ID.String())
	if out := h.command(carol, "tips", "search pending"); !strings.Contains(out, "⭐ featured") {
		t.Errorf("featured not marked:\n%s", out)
	}
	if out := h.command(admin, "tips", "reject "+tip.ID.String()); !strings.Contains(out, "rejected") {
		t.Errorf("reject: %q", out)
	}
	_, _, directs := h.chat.snapshot()
	if last := directs[len(directs)-1]; last.Channel != "alice" || !strings.Contains(last.Message.Text(), "Thank you for sharing") {
		t.Errorf("rejection notice = %+v", last)
	}
	if out := h.command(carol, "tips", "top all"); strings.Contains(out, "pending until approved") {
		t.Errorf("rejected tip ranked:\n%s", out)
	}
	out := h.command(admin, "tips", "report")
	if !strings.Contains(out, "Moderation: 1 approved, 1 featured, 1 rejected") || !strings.Contains(out, "admin approved "+tip.ID.String()) {
		t.Errorf("report moderation section:\n%s", out)
	}
	for _, bad := range []string{"approve", "approve t999", "approve banana"} {
		if out := h.command(admin, "tips", bad); !strings.Contains(out, "Usage") && !strings.Contains(out, "no tip") {
			t.Errorf("/tips %s: %q", bad, out)
		}
	}
}

func TestExportCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.post(alice, `tip: quotes "and", commas; accents: élève #csv`)
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: admin, Name: "tips", Text: "export csv"})
	if r == nil || r.File == nil || !strings.HasSuffix(r.File.Name, ".csv") {
		t.Fatalf("export reply = %+v", r)
	}
	if data := string(r.File.Data); !strings.Contains(data, "élève") || !strings.HasPrefix(data, "\ufeffid,workspace,platform,channel,message_id,author_id") {
		t.Errorf("csv:\n%s", data)
	}
	r = h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: admin, Name: "tips", Text: "export json"})
	if r == nil || r.File == nil || !strings.Contains(string(r.File.Data), `"useful_votes":0`) {
		t.Errorf("json export = %+v", r)
	}
}

// The report's figures equal a hand count of a scripted month.
func TestReportMatchesHandCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.now = time.Date(2026, 10, 15, 9, 0, 0, 0, time.UTC) // last month: one tip by dave
	old := h.post(dave, "tip: an October tip #old")
	h.react(alice, old, "bulb")
	h.now = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	m1 := h.post(alice, "tip: git bisect #git")
	m2 := h.post(bob, "we use feature flags #tip #release")
	h.react(carol, m2, "bulb")
	h.react(dave, m2, "bulb")
	h.react(carol, m1, "star")
	m3 := h.post(carol, "always tag releases")
	h.react(alice, m3, "bookmark")
	h.command(alice, "tip", "rg is faster than grep #shell")
	h.command(admin, "tips", "prompt in 1h Release day")
	posts, _, _ := h.chat.snapshot()
	prompt := posts[len(posts)-1].ID
	h.reply(prompt, dave, "the changelog is generated #release")

	out := h.command(admin, "tips", "report month")
	for _, want := range []string{
		"Report — this month, all channels",
		"Tips captured: 5 (▲ 4) — /tip 1, prefix or hashtag 2, reaction 1, session answers 1",
		"Contributors: 4 (▲ 3) · new contributors: 3 (▲ 2)",
		"Participation: unknown",
		"Useful votes: 3 (▲ 2)",
		"1. Bob — 1 tip, 2 useful votes",
		"#release (2)",
		"Sessions: 1 (▲ 1)",
		"s1 «Release day»: 1 answer",
		"Tips pending moderation: 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "feature flags"), strings.Index(out, "git bisect"); i < 0 || j < 0 || i > j {
		t.Errorf("top tips order:\n%s", out)
	}
	// The channel report scans the tips: same figures for #general.
	ch := h.command(admin, "tips", "report month #general")
	for _, want := range []string{"Tips captured: 5 (▲ 4)", "Contributors: 4", "Useful votes: 3"} {
		if !strings.Contains(ch, want) {
			t.Errorf("channel report lacks %q:\n%s", want, ch)
		}
	}
	if other := h.command(admin, "tips", "report month #random"); !strings.Contains(other, "Tips captured: 0") {
		t.Errorf("report of an empty channel:\n%s", other)
	}
	if bad := h.command(admin, "tips", "report fortnight"); !strings.Contains(bad, "Usage") {
		t.Errorf("bad period: %q", bad)
	}
}

// Counters behind the report equal a recount from the stored tips after a
// random sequence of captures, votes, edits and deletes.
func TestReportCountersEqualRecount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	people := []bot.User{alice, bob, carol, dave}
	var msgs []string
	for i := 0; i < 300; i++ {
		u := people[rng.IntN(len(people))]
		switch k := rng.IntN(10); {
		case k < 3 || len(msgs) == 0:
			msgs = append(msgs, h.post(u, fmt.Sprintf("tip: number %d #t%d", i, rng.IntN(5))))
		case k < 7:
			h.react(u, msgs[rng.IntN(len(msgs))], []string{"bulb", "+1", "star"}[rng.IntN(3)])
		case k < 9:
			h.unreact(u, msgs[rng.IntN(len(msgs))], []string{"bulb", "+1", "star"}[rng.IntN(3)])
		default:
			i := rng.IntN(len(msgs))
			h.handle(&bot.MessageDeleted{EventMeta: h.meta(), Channel: "#general", MessageID: msgs[i]})
			msgs = slices.Delete(msgs, i, i+1)
		}
		h.advance(time.Duration(rng.IntN(48)) * time.Hour)
	}
	ctx := context.Background()
	err := h.db.View(ctx, h.ws, func(tx bot.ReadTx) error {
		tips := map[string]int64{}
		votes := map[string]int64{}
		first := map[string]bot.Tip{} // each author's earliest tip
		authors := map[string]map[string]bool{}
		var all int64
		if err := tx.ForEachTip(func(tip bot.Tip) error {
			all++
			if f, ok := first[tip.AuthorID]; !ok || tip.CreatedAt.Before(f.CreatedAt) {
				first[tip.AuthorID] = tip
			}
			for _, p := range tip.Periods {
				tips[p]++
				votes[p] += int64(tip.UsefulVotes)
				if authors[p] == nil {
					authors[p] = map[string]bool{}
				}
				authors[p][tip.AuthorID] = true
			}
			// Every vote of the tip is a real person's, never the author's.
			n := 0
			if err := tx.ForEachVote(tip.ID, func(voter string, v bot.Vote) error {
				if voter == tip.AuthorID || len(v.Emojis) == 0 {
					t.Errorf("bad vote %s on %s", voter, tip.ID)
				}
				n++
				return nil
			}); err != nil {
				return err
			}
			if n != tip.UsefulVotes {
				t.Errorf("%s: %d voters, UsefulVotes %d", tip.ID, n, tip.UsefulVotes)
			}
			return nil
		}); err != nil {
			return err
		}
		for p, want := range tips {
			got, err := tx.Counter("tips:" + p + ":prefix")
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("tips counter %s = %d, recount %d", p, got, want)
			}
			if got, err := tx.Counter("votes:" + p); err != nil || got != votes[p] {
				t.Errorf("votes counter %s = %d (%v), recount %d", p, got, err, votes[p])
			}
			var newcomers int64
			for _, f := range first {
				if slices.Contains(f.Periods, p) {
					newcomers++
				}
			}
			if got, err := tx.Counter("newcontributors:" + p); err != nil || got != newcomers {
				t.Errorf("new contributors of %s = %d (%v), recount %d", p, got, err, newcomers)
			}
			n, err := tx.CountAuthors(p)
			if err != nil {
				return err
			}
			if n != len(authors[p]) {
				t.Errorf("authors of %s = %d, recount %d", p, n, len(authors[p]))
			}
		}
		if got, _ := tx.Counter("tips:all:prefix"); got != all {
			t.Errorf("all-time tips = %d, recount %d", got, all)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// After forget-me, the person is in no output: searched by id and name.
func TestForgetMeLeavesNoTrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"admin"} })
	zoe := bot.User{ID: "zoe", Name: "Zoé Zéphyr"}
	zm := h.post(zoe, "tip: Zoé's trick #privacy")
	bm := h.post(bob, "bob's plain message")
	h.react(zoe, bm, "bookmark") // zoe captured bob's message
	h.react(zoe, bm, "bulb")
	h.react(bob, zm, "bulb")
	h.command(admin, "tips", "trainer add @zoe")
	h.command(zoe, "tips", "prompt in 1h Privacy day")
	h.command(admin, "tips", "feature "+h.tip(bm).ID.String())
	h.command(zoe, "tips", "forget-me confirm")

	var outputs []string
	for _, cmd := range []string{"top all", "top", "search trick", "search privacy", "experts privacy", "report all", "report", "sessions", "pending"} {
		outputs = append(outputs, h.command(admin, "tips", cmd))
	}
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: admin, Name: "tips", Text: "export csv"})
	outputs = append(outputs, string(r.File.Data))
	r = h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: admin, Name: "tips", Text: "export json"})
	outputs = append(outputs, string(r.File.Data))
	for _, out := range outputs {
		for _, trace := range []string{"zoe", "Zoé", "Zéphyr"} {
			if strings.Contains(out, trace) {
				t.Errorf("output names %q:\n%s", trace, out)
			}
		}
	}
	if got := h.votes(bm); got != 1 {
		t.Errorf("zoe's vote on bob's tip = %d, want still counted", got)
	}
}

// TestForgetMeCatchesWhatHappensMeanwhile: forget-me finds the person's
// votes in a read transaction, then writes; what they do in between (a
// vote, a capture) is found by the next look and forgotten too.
func TestForgetMeCatchesWhatHappensMeanwhile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	zoe := bot.User{ID: "zoe", Name: "Zoé"}
	first := h.post(bob, "tip: first #git")
	second := h.post(bob, "tip: second #git")
	plain := h.post(carol, "carol's plain message")
	h.react(zoe, first, "bulb")
	var once sync.Once
	h.wrap = func(st bot.Store) bot.Store {
		return &afterScan{Store: st, hook: func() {
			once.Do(func() {
				h.react(zoe, second, "bulb")
				h.react(zoe, plain, "bookmark")
			})
		}}
	}
	h.close()
	h.open()
	out := h.command(zoe, "tips", "forget-me confirm")
	if !strings.Contains(out, "2 useful votes") {
		t.Errorf("forget-me reply = %q, want 2 votes forgotten", out)
	}
	h.noVotesBy("zoe")
	err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(tip bot.Tip) error {
			if tip.CapturedBy == "zoe" {
				t.Errorf("tip %s still names zoe as its capturer", tip.ID)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.votes(first) != 1 || h.votes(second) != 1 {
		t.Errorf("votes after forget-me = %d, %d; want both kept", h.votes(first), h.votes(second))
	}
	if h.tip(plain).CapturedBy != "" {
		t.Errorf("captured by %q", h.tip(plain).CapturedBy)
	}
}

// afterScan is a store that calls hook after each read transaction that
// located someone's votes, outside any transaction.
type afterScan struct {
	bot.Store
	hook func()
}

func (s *afterScan) View(ctx context.Context, ws bot.Workspace, fn func(bot.ReadTx) error) error {
	scanned := false
	err := s.Store.View(ctx, ws, func(tx bot.ReadTx) error { return fn(scanTx{tx, &scanned}) })
	if err == nil && scanned {
		s.hook()
	}
	return err
}

type scanTx struct {
	bot.ReadTx
	scanned *bool
}

func (t scanTx) VotesBy(voter string) (bot.VoteRefs, error) {
	*t.scanned = true
	return t.ReadTx.VotesBy(voter)
}

// TestForgetMeInChunks relinks a voter's votes a few per transaction, and
// deletes their own tips a few per step, each in a transaction of its own.
func TestForgetMeInChunks(t *testing.T) {
	defer bot.SetForgetChunk(3)()
	defer bot.SetForgetTips(3, 40)()
	h := newHarness(t, nil)
	zoe := bot.User{ID: "zoe", Name: "Zoé"}
	var tips []string
	for i := range 8 {
		tips = append(tips, h.post(bob, fmt.Sprintf("tip: number %d #git", i)))
		h.react(zoe, tips[i], "bulb")
	}
	var own []string
	for i := range 7 {
		own = append(own, h.post(zoe, fmt.Sprintf("tip: zoe's own number %d, a little longer #git #debug", i)))
	}
	for range 2 {
		h.react(zoe, h.post(carol, "a plain message"), "bulb") // pending votes
	}
	out := h.command(zoe, "tips", "forget-me confirm")
	if !strings.Contains(out, "10 useful votes") || !strings.Contains(out, "7 tips") {
		t.Errorf("forget-me reply = %q, want 7 tips and 10 votes", out)
	}
	for _, m := range own {
		if _, err := h.tryTip(m); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("zoe's tip %s after forget-me: %v, want ErrNotFound", m, err)
		}
	}
	h.noVotesBy("zoe")
	for _, m := range tips {
		if h.votes(m) != 1 {
			t.Errorf("tip %s: %d votes, want 1 (kept, relinked)", m, h.votes(m))
		}
	}
}

// TestReportModerationByPeriod: the report counts the moderation actions of
// its period only, read from the newest back.
func TestReportModerationByPeriod(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.RequireApproval = true })
	var read atomic.Int64 // moderation records the reports read
	h.wrap = func(st bot.Store) bot.Store { return &countingStore{Store: st, kind: "modlog", read: &read} }
	h.close()
	h.open()
	approve := func(text string) {
		tip := h.tip(h.post(alice, "tip: "+text))
		h.command(admin, "tips", "approve "+tip.ID.String())
	}
	for i := range 300 { // many actions last month, beyond a chunk of records
		approve(fmt.Sprintf("november number %d", i))
	}
	h.advance(31 * 24 * time.Hour) // 27 December
	approve("december one")
	approve("december two")
	tip := h.tip(h.post(alice, "tip: december three"))
	h.command(admin, "tips", "reject "+tip.ID.String())
	read.Store(0)
	if out := h.command(admin, "tips", "report month"); !strings.Contains(out, "Moderation: 2 approved, 0 featured, 1 rejected") {
		t.Errorf("report month moderation:\n%s", out)
	}
	// This month: its 3 actions and the first older one. Last month (the
	// report compares with it): this month's 3 again, then its 300.
	if n := read.Load(); n != 3+1+3+300 {
		t.Errorf("report month read %d moderation records, want %d", n, 3+1+3+300)
	}
	read.Store(0)
	if out := h.command(admin, "tips", "report week"); !strings.Contains(out, "Moderation: 2 approved, 0 featured, 1 rejected") {
		t.Errorf("report week moderation:\n%s", out)
	}
	// Neither this week nor the last reaches back to November's 300.
	if n := read.Load(); n != (3+1)*2 {
		t.Errorf("report week read %d moderation records, want %d", n, (3+1)*2)
	}
	if out := h.command(admin, "tips", "report all"); !strings.Contains(out, "Moderation: 302 approved, 0 featured, 1 rejected") {
		t.Errorf("report all moderation:\n%s", out)
	}
}

// countingStore counts the records of one kind its read transactions
// walk backwards.
type countingStore struct {
	bot.Store
	kind string
	read *atomic.Int64
}

func (s *countingStore) View(ctx context.Context, ws bot.Workspace, fn func(bot.ReadTx) error) error {
	return s.Store.View(ctx, ws, func(tx bot.ReadTx) error { return fn(countingTx{tx, s}) })
}

type countingTx struct {
	bot.ReadTx
	s *countingStore
}

func (t countingTx) ForEachRecordReverse(kind string, fn func(string, []byte) error) error {
	return t.ReadTx.ForEachRecordReverse(kind, func(k string, v []byte) error {
		if kind == t.s.kind {
			t.s.read.Add(1)
		}
		return fn(k, v)
	})
}

// noVotesBy checks that no vote or pending vote is linked to voter.
func (h *harness) noVotesBy(voter string) {
	h.t.Helper()
	err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		refs, err := tx.VotesBy(voter)
		if err == nil && !refs.Empty() {
			h.t.Errorf("votes of %s left: %+v", voter, refs)
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
}
