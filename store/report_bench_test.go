package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// BenchmarkReport is issue 6's report target: /tips report (every period,
// workspace-wide) on the large database (1,000,000 tips, ~10M votes),
// served from counters and leaderboards: p99 ≤ 10 ms warm.
func BenchmarkReport(b *testing.B) {
	d := benchDB(b)
	db := openBench(b, d)
	// "Now" is in the last month of the generated data.
	now := benchStart.AddDate(0, benchMonths-1, 10)
	cfg := bot.DefaultConfig()
	core, err := bot.New(bot.Options{Config: cfg, Store: db, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range bot.Periods { // warm up
		m, err := core.Report(ctx, benchWS, p, "")
		if err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(m.Text(), "Top tips") {
			b.Fatalf("report:\n%s", m.Text())
		}
	}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		if _, err := core.Report(ctx, benchWS, bot.Periods[i%len(bot.Periods)], ""); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	b.Logf("database: %d tips, %d votes; periods week, month, quarter, year, all in turn", d.tips, d.votes)
	reportLatencies(b, lat, 10*time.Millisecond)
}
