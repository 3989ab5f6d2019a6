package bot_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// BenchmarkForgetMe erases a person with 10,000 tips (issue 23) while
// another person votes again and again on someone else's tip; it reports
// the time forget-me took (ns/op) and the longest any of those votes
// waited for its commit (max-vote-wait-ms), with how many votes committed
// meanwhile, and the longest commit (one transaction, fsync included:
// what a vote may wait behind, on an idle machine).
func BenchmarkForgetMe(b *testing.B) {
	const tips = 10000
	for range b.N {
		b.StopTimer()
		h := newHarness(b, nil)
		ctx := context.Background()
		heavy, other, voter := user("heavy"), user("other"), user("voter")
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < tips; i += 16 {
					id := next.Add(1)
					ev := &bot.MessagePosted{EventMeta: bot.EventMeta{ID: fmt.Sprintf("seed-%d", id), Workspace: h.ws}, Channel: "#general",
						MessageID: fmt.Sprintf("seed-%d", id), Author: heavy, Text: fmt.Sprintf("tip: heavy tip %d about git bisect #git", i)}
					if _, err := h.bot.Handle(ctx, ev); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		h.bot.Wait()
		msg := h.post(other, "tip: other's tip about docker #docker")
		done := make(chan struct{})
		var maxWait time.Duration
		var votes int
		voted := make(chan struct{})
		go func() {
			defer close(voted)
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				var ev bot.Event = &bot.ReactionAdded{EventMeta: bot.EventMeta{ID: fmt.Sprintf("v-%d", i), Workspace: h.ws}, Channel: "#general", MessageID: msg, User: voter, Emoji: "bulb", Message: bot.MessageInfo{Author: other}}
				if i%2 == 1 {
					ev = &bot.ReactionRemoved{EventMeta: bot.EventMeta{ID: fmt.Sprintf("v-%d", i), Workspace: h.ws}, Channel: "#general", MessageID: msg, User: voter, Emoji: "bulb"}
				}
				start := time.Now()
				if _, err := h.bot.Handle(ctx, ev); err != nil {
					b.Error(err)
					return
				}
				maxWait = max(maxWait, time.Since(start))
				votes++
			}
		}()
		time.Sleep(20 * time.Millisecond) // the voter is voting
		var maxCommit atomic.Int64
		h.db.OnCommit(func(_ int, took time.Duration) {
			for cur := maxCommit.Load(); int64(took) > cur && !maxCommit.CompareAndSwap(cur, int64(took)); cur = maxCommit.Load() {
			}
		})
		b.StartTimer()
		r, err := h.bot.Handle(ctx, &bot.CommandInvoked{EventMeta: bot.EventMeta{ID: "forget", Workspace: h.ws}, Channel: "#general", User: heavy, Name: "tips", Text: "forget-me confirm"})
		b.StopTimer()
		close(done)
		<-voted
		if err != nil || r == nil {
			b.Fatalf("forget-me: %v %v", r, err)
		}
		var left int
		if err := h.db.View(ctx, h.ws, func(tx bot.ReadTx) error {
			return tx.TipsByAuthor(heavy.ID, func(bot.Tip) error { left++; return nil })
		}); err != nil || left != 0 {
			b.Fatalf("after forget-me, %d tips of the person are left (%v)", left, err)
		}
		b.ReportMetric(float64(maxWait)/float64(time.Millisecond), "max-vote-wait-ms")
		b.ReportMetric(float64(votes), "votes-meanwhile")
		b.ReportMetric(float64(maxCommit.Load())/float64(time.Millisecond), "max-commit-ms")
		h.close()
	}
}
