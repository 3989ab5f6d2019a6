package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// BenchmarkIngestVotes is issue 2's durable-ingest target: useful-vote
// events from 64 concurrent producers go through the core (bot.Bot.Handle:
// dedup by event id, vote rules, tally, leaderboards, counters) into the
// store with fsync on. Every event is a new (voter, tip) pair, so each one
// writes. The raw bbolt group-commit baseline is measured in the same run
// and the ratio printed beside it; the target is at least 50%.
func BenchmarkIngestVotes(b *testing.B) {
	const producers, tips = 64, 2000
	events := max(b.N, 20_000)
	anchor := rawGroupCommit(b, producers)

	db, err := Open(filepath.Join(b.TempDir(), "ingest.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	core, err := bot.New(bot.Options{Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	ws := bot.Workspace{Platform: bot.Slack, ID: "T0BENCH"}
	ctx := context.Background()
	for i := range tips {
		author := bot.User{ID: fmt.Sprintf("U%07d", i%300), Name: fmt.Sprintf("author %d", i%300)}
		_, err := core.Handle(ctx, &bot.MessagePosted{EventMeta: bot.EventMeta{ID: fmt.Sprintf("Ev-post-%d", i), Workspace: ws},
			Channel: "C0GENERAL", MessageID: fmt.Sprintf("1764237600.%06d", i), Author: author,
			Text: fmt.Sprintf("tip: number %d, use git bisect to find the commit that broke the build #git #ci", i)})
		if err != nil {
			b.Fatal(err)
		}
	}

	var next atomic.Int64
	lats := make([][]time.Duration, producers)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for {
				n := next.Add(1) - 1
				if n >= int64(events) {
					return
				}
				tip, voter := n%tips, n/tips
				ev := &bot.ReactionAdded{
					EventMeta: bot.EventMeta{ID: fmt.Sprintf("Ev-vote-%d", n), Workspace: ws},
					Channel:   "C0GENERAL", MessageID: fmt.Sprintf("1764237600.%06d", tip),
					User: bot.User{ID: fmt.Sprintf("V%07d", voter)}, Emoji: []string{"bulb", "+1", "star"}[n%3],
				}
				t := time.Now()
				if _, err := core.Handle(ctx, ev); err != nil {
					b.Error(err)
					return
				}
				lats[p] = append(lats[p], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	core.Wait()

	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	eps := float64(events) / elapsed.Seconds()
	ratio := eps / anchor
	b.ReportMetric(eps, "events/s")
	b.ReportMetric(anchor, "raw-events/s")
	b.ReportMetric(ratio*100, "%-of-raw")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
	b.Logf("ingest through the core: %.0f events/s, raw bbolt group commit in the same run: %.0f events/s → %.0f%% (target ≥ 50%%: %s); p50 %.2f ms, p99 %.2f ms",
		eps, anchor, ratio*100, verdict(ratio >= 0.5), ms(all[len(all)/2]), ms(all[len(all)*99/100]))

	// Every vote was counted exactly once.
	var total int
	if err := db.View(ctx, ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(t bot.Tip) error { total += t.UsefulVotes; return nil })
	}); err != nil {
		b.Fatal(err)
	}
	if total != events {
		b.Errorf("votes counted = %d, want %d", total, events)
	}
}
