package dashboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/shell"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// BenchmarkDashboardPages serves each page of the dashboard from a real
// database and reports its latency: p50 and p99 in milliseconds (target:
// p99 ≤ 50 ms at 1,000,000 tips). With TIPBOT_BENCH_DB=FILE it reads that
// database, read-only (the store's benchmark builds one of 1,000,000 tips
// at /var/tmp/tipbot-bench/tipbot-bench-1000000.db; the workspace is the
// first of the file, or TIPBOT_BENCH_WORKSPACE); without it, it builds a
// small one (3,000 tips over 12 weeks, a training path of 50) through the
// core:
//
//	go test -run '^$' -bench DashboardPages ./adapters/dashboard/
//	TIPBOT_BENCH_DB=/var/tmp/tipbot-bench/tipbot-bench-1000000.db go test -run '^$' -bench DashboardPages -benchtime 200x ./adapters/dashboard/
func BenchmarkDashboardPages(b *testing.B) {
	db, ws, now := benchDatabase(b)
	specs := []bot.PlatformSpec{shell.Spec()}
	if ws.Platform != bot.Shell {
		specs = append(specs, bot.PlatformSpec{Name: ws.Platform})
	}
	bt, err := bot.New(bot.Options{Platforms: specs, Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, KeySize)
	s, err := New(Options{Bot: bt, Key: key})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	value, err := s.sign.sign(purposeSession, claims{Workspace: ws.Key(), Role: bot.RoleAdmin, Expires: now.Add(time.Hour).Unix(), Nonce: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	cookie := &http.Cookie{Name: CookieName, Value: value}

	// A tip, a word and a topic to look for.
	ctx := context.Background()
	newest, err := bt.FindTips(ctx, ws, bot.TipFilter{Limit: 1})
	if err != nil || len(newest.Tips) == 0 {
		b.Fatalf("no tip to show in %s (%v)", ws, err)
	}
	tip := newest.Tips[0]
	word := "tip"
	if terms := bot.QueryTerms(tip.Text); len(terms) > 0 {
		word = terms[len(terms)-1]
	}
	people, err := bt.People(ctx, ws, 10)
	if err != nil {
		b.Fatal(err)
	}
	topic := "git"
	if len(people.Experts) > 0 {
		topic = people.Experts[0].Topic.Member
	}
	paths, err := bt.Paths(ctx, ws)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: tip %s, word %q, topic %q, %d training paths", ws, tip.ID, word, topic, len(paths))

	pages := []struct{ name, path string }{
		{"overview", "/dashboard/"},
		{"tips", "/dashboard/tips"},
		{"tips-search", "/dashboard/tips?q=" + url.QueryEscape(word)},
		{"tips-topic", "/dashboard/tips?topic=" + url.QueryEscape(topic)},
		{"tips-pending", "/dashboard/tips?status=pending"},
		{"tip", "/dashboard/tips/" + tip.ID.String()},
		{"people", "/dashboard/people"},
		{"sessions", "/dashboard/sessions"},
		{"moderation", "/dashboard/moderation"},
		{"paths", "/dashboard/paths"},
	}
	if len(paths) > 0 { // the longest path, its page and its handouts
		p := slices.MaxFunc(paths, func(a, b bot.Path) int { return len(a.Tips) - len(b.Tips) })
		b.Logf("path %s: %d tips", p.Name, len(p.Tips))
		pages = append(pages, struct{ name, path string }{"path", "/dashboard/paths/" + p.Name},
			struct{ name, path string }{"path-md", "/dashboard/paths/" + p.Name + "/download/md"},
			struct{ name, path string }{"path-csv", "/dashboard/paths/" + p.Name + "/download/csv"})
	}
	for _, page := range pages {
		b.Run(page.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				req := httptest.NewRequest("GET", page.path, nil)
				req.AddCookie(cookie)
				w := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(w, req)
				took = append(took, time.Since(start))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d\n%s", page.path, w.Code, w.Body)
				}
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

// benchDatabase opens TIPBOT_BENCH_DB read-only, or builds a small
// database through the core; it returns the workspace to show and the
// time to show it at.
func benchDatabase(b *testing.B) (*store.DB, bot.Workspace, time.Time) {
	b.Helper()
	if path := os.Getenv("TIPBOT_BENCH_DB"); path != "" {
		db, err := store.OpenReadOnly(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		wss, err := db.Workspaces(context.Background())
		if err != nil || len(wss) == 0 {
			b.Fatalf("no workspace in %s (%v)", path, err)
		}
		ws := wss[0]
		if id := os.Getenv("TIPBOT_BENCH_WORKSPACE"); id != "" {
			if ws, err = bot.ParseWorkspace(id); err != nil {
				b.Fatal(err)
			}
		}
		return db, ws, time.Now()
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	clock := time.Date(2026, 9, 14, 9, 0, 0, 0, time.UTC) // 12 weeks before 7 December
	cfg := bot.DefaultConfig()
	cfg.MaxPerMinute = 0
	cfg.FollowUp = nil
	bt, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{shell.Spec()}, Config: cfg, Store: db, Now: func() time.Time { return clock }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	seq := 0
	handle := func(ev bot.Event) {
		if _, err := bt.Handle(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	meta := func() bot.EventMeta {
		seq++
		return bot.EventMeta{ID: fmt.Sprint(seq), Workspace: local}
	}
	handle(&bot.ChannelsUpdated{EventMeta: meta(), Channels: []bot.Channel{{ID: "#general", Kind: bot.ChannelPublic}, {ID: "#dev", Kind: bot.ChannelPublic}}})
	rng := rand.New(rand.NewPCG(1, 2))
	topics := []string{"git", "python", "tdd", "ci", "docker", "sql"}
	const tips = 3000
	for i := range tips {
		clock = clock.Add(12 * 7 * 24 * time.Hour / tips)
		channel := []string{"#general", "#dev"}[i%2]
		msg := fmt.Sprint(i + 1)
		author := fmt.Sprintf("p%d", rng.IntN(200))
		handle(&bot.MessagePosted{EventMeta: meta(), Channel: channel, MessageID: msg, Author: bot.User{ID: author, Name: author},
			Text: fmt.Sprintf("tip: number %d says use the %s way #%s", i, topics[rng.IntN(len(topics))], topics[rng.IntN(len(topics))])})
		for range rng.IntN(4) {
			voter := fmt.Sprintf("p%d", rng.IntN(200))
			handle(&bot.ReactionAdded{EventMeta: meta(), Channel: channel, MessageID: msg, User: bot.User{ID: voter, Name: voter}, Emoji: "bulb"})
		}
		if i%300 == 0 {
			handle(&bot.CommandInvoked{EventMeta: meta(), Channel: channel, User: bot.User{ID: "trainer", Admin: true}, Name: "tips", Text: "prompt in 1h What did we learn"})
		}
	}
	// A training path of 50 tips, for its page and handouts.
	handle(&bot.CommandInvoked{EventMeta: meta(), Channel: "#general", User: bot.User{ID: "trainer", Admin: true}, Name: "tips", Text: "path create basics Basics"})
	add := "path add basics"
	for i := range 50 {
		add += fmt.Sprintf(" t%d", 1+i*(tips/50))
	}
	handle(&bot.CommandInvoked{EventMeta: meta(), Channel: "#general", User: bot.User{ID: "trainer", Admin: true}, Name: "tips", Text: add})
	bt.Wait()
	return db, local, clock
}
