package store

// Benchmarks of issue 20: /tips top month and /tips search answered in a
// channel, through the core's channel view (bot.TopTipsIn, bot.SearchIn),
// which merges the workspace's rankings with the channel's restricted
// tips. TIPBOT_BENCH_RESTRICTED=10 restricts 10 % of the large database's
// tips: those of 5 of its 50 channels (private channels); without it none
// is restricted, as before:
//
//	TIPBOT_BENCH_RESTRICTED=10 TIPBOT_BENCH_TIPS=20000 go test -run '^$' -bench 'In$|TopMonth$|SearchTwoWords' ./store/

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// benchRestrictedChannels is how many of the 50 channels hold restricted
// tips (TIPBOT_BENCH_RESTRICTED percent of them).
var benchRestrictedChannels = func() int {
	p, err := strconv.Atoi(os.Getenv("TIPBOT_BENCH_RESTRICTED"))
	if err != nil || p <= 0 {
		return 0
	}
	return min(p, 100) * 50 / 100
}()

// benchVisibility returns the visibility of the large database's tips in
// a channel: the first benchRestrictedChannels channels are private.
func benchVisibility(channel string) bot.Visibility {
	for i := range benchRestrictedChannels {
		if channel == benchChannel(i) {
			return bot.VisibilityChannel
		}
	}
	return bot.VisibilityWorkspace
}

// benchRestrictedSuffix names the database file apart when some tips are
// restricted.
func benchRestrictedSuffix() string {
	if benchRestrictedChannels == 0 {
		return ""
	}
	return fmt.Sprintf("-r%d", benchRestrictedChannels*2)
}

// benchPlaces are a public channel and, when some are, a private one.
func benchPlaces() map[string]string {
	places := map[string]string{"public": benchChannel(49)}
	if benchRestrictedChannels > 0 {
		places["private"] = benchChannel(0)
	}
	return places
}

// BenchmarkTopMonthIn measures /tips top month run in a channel: the
// workspace's boards merged with the channel's own (5 tips, 5 authors).
func BenchmarkTopMonthIn(b *testing.B) {
	d := benchDB(b)
	db := openBench(b, d)
	for name, channel := range benchPlaces() {
		b.Run(name, func(b *testing.B) {
			top := func(month string) (int, error) {
				n := 0
				err := db.View(context.Background(), benchWS, func(tx bot.ReadTx) error {
					tips, err := bot.TopTipsIn(tx, channel, month, 5)
					if err != nil {
						return err
					}
					authors, err := bot.TopAuthorsIn(tx, channel, month, 5)
					n = len(tips) + len(authors)
					return err
				})
				return n, err
			}
			for _, m := range d.months {
				if _, err := top(m); err != nil {
					b.Fatal(err)
				}
			}
			var lat []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				n, err := top(d.months[i%len(d.months)])
				lat = append(lat, time.Since(start))
				if err != nil || n != 10 {
					b.Fatalf("top month gave %d entries, %v", n, err)
				}
				i++
			}
			reportLatencies(b, lat, 5*time.Millisecond)
		})
	}
}

// BenchmarkSearchIn measures /tips search with two words run in a
// channel (10 results).
func BenchmarkSearchIn(b *testing.B) {
	d := benchDB(b)
	db := openBench(b, d)
	queries := searchQueries(d, 2000)
	for name, channel := range benchPlaces() {
		b.Run(name, func(b *testing.B) {
			search := func(q []string, n *int) error {
				return db.View(context.Background(), benchWS, func(tx bot.ReadTx) error {
					tips, err := bot.SearchIn(tx, channel, q, 10)
					*n = len(tips)
					return err
				})
			}
			var n int
			for _, q := range queries {
				if err := search(q, &n); err != nil {
					b.Fatal(err)
				}
			}
			var lat []time.Duration
			found, i := 0, 0
			for b.Loop() {
				start := time.Now()
				if err := search(queries[i%len(queries)], &n); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				found += n
				i++
			}
			b.ReportMetric(float64(found)/float64(i), "results/query")
			reportLatencies(b, lat, 20*time.Millisecond)
		})
	}
}
