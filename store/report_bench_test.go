package store

import (
	"context"
	"slices"
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

// BenchmarkChannelReport is /tips report #channel on the large database:
// one of 50 channels (about 20,000 tips), every period in turn, read
// through the channels index (the channel's tips of the period only).
func BenchmarkChannelReport(b *testing.B) {
	d := benchDB(b)
	db := openBench(b, d)
	now := benchStart.AddDate(0, benchMonths-1, 10)
	core, err := bot.New(bot.Options{Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	channel := benchChannel(7)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		p := bot.Periods[i%len(bot.Periods)]
		start := time.Now()
		m, err := core.Report(ctx, benchWS, p, channel)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		if i < len(bot.Periods) && !strings.Contains(m.Text(), "Top tips") {
			b.Fatalf("%s report of %s:\n%s", p, channel, m.Text())
		}
		i++
	}
	b.Logf("database: %d tips, %d votes; channel %s; periods week, month, quarter, year, all in turn", d.tips, d.votes, channel)
	for _, p := range []bot.Period{bot.Week, bot.Month, bot.Year, bot.All} {
		var pl []time.Duration
		for j := int(slices.Index(bot.Periods, p)); j < len(lat); j += len(bot.Periods) {
			pl = append(pl, lat[j])
		}
		slices.Sort(pl)
		if len(pl) > 0 {
			b.Logf("  %-5s p50 %.2f ms, p99 %.2f ms", p, ms(pl[len(pl)/2]), ms(pl[len(pl)*99/100]))
		}
	}
	reportLatencies(b, lat, 10*time.Millisecond)
}
