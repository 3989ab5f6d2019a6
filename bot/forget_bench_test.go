package bot_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// timedBehind times each of forget-me's steps from the start of its
// transaction to its commit: how long it holds the writer.
type timedBehind struct {
	*store.DB
	mu    sync.Mutex
	holds []time.Duration
}

func (s *timedBehind) UpdateBehind(ctx context.Context, ws bot.Workspace, fn func(tx bot.Tx) error) error {
	var start time.Time
	err := s.DB.UpdateBehind(ctx, ws, func(tx bot.Tx) error {
		if start.IsZero() {
			start = time.Now()
		}
		return fn(tx)
	})
	if !start.IsZero() {
		s.mu.Lock()
		s.holds = append(s.holds, time.Since(start))
		s.mu.Unlock()
	}
	return err
}

// plainStore hides the store's UpdateBehind (bot.BehindStore): forget-me's
// chunks then share the writer's batches with other events, as before.
type plainStore struct{ bot.Store }

// forgetSeed is the bytes of a database file holding 10,000 tips of one
// person, made once per test binary and copied for each run of
// BenchmarkForgetMe.
var forgetSeed struct {
	once sync.Once
	data []byte
	err  error
}

const forgetSeedTips = 10000

func seedForget(b *testing.B) []byte {
	forgetSeed.once.Do(func() {
		h := newHarness(b, nil)
		ctx := context.Background()
		heavy := user("heavy")
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < forgetSeedTips; i += 16 {
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
		h.close()
		forgetSeed.data, forgetSeed.err = os.ReadFile(h.path)
	})
	if forgetSeed.err != nil {
		b.Fatal(forgetSeed.err)
	}
	return forgetSeed.data
}

// BenchmarkForgetMe erases a person with 10,000 tips (issue 23) while
// another person votes again and again on someone else's tip; it reports
// the time forget-me took (ns/op) and the longest any of those votes
// waited for its commit (max-vote-wait-ms), with how many votes committed
// meanwhile, and the longest commit and the median one (one transaction,
// fsync included: what a vote may wait behind). "today" is the anchor:
// chunks of 100 tips batched with the events queued meanwhile; "behind"
// is forget-me as it runs: chunks measured by work (forgetCost), each in
// a transaction of its own behind the queued events (bot.BehindStore);
// "alone" times aloneVotes votes with no forget-me, the floor the
// machine's own commits (fsync) set for a vote's wait (ns/op is 0 there).
func BenchmarkForgetMe(b *testing.B) {
	seed := seedForget(b)
	for _, mode := range []struct {
		name           string
		forget, behind bool
	}{{"today", true, false}, {"behind", true, true}, {"alone", false, false}} {
		b.Run(mode.name, func(b *testing.B) {
			if !mode.behind {
				defer bot.SetForgetTips(100, 1<<30)()
			}
			for range b.N {
				benchForgetOnce(b, seed, mode.forget, mode.behind)
			}
		})
	}
}

// aloneVotes is how many votes the "alone" run of BenchmarkForgetMe
// times, with no forget-me: the machine's own floor of a vote's wait.
const aloneVotes = 400

func benchForgetOnce(b *testing.B, seed []byte, forget, behind bool) {
	b.StopTimer()
	h := newHarness(b, nil)
	h.close()
	if err := os.WriteFile(h.path, seed, 0o600); err != nil {
		b.Fatal(err)
	}
	timed := &timedBehind{}
	h.wrap = func(st bot.Store) bot.Store {
		if !behind {
			return plainStore{st}
		}
		timed.DB = st.(*store.DB)
		return timed
	}
	h.open()
	ctx := context.Background()
	heavy, other, voter := user("heavy"), user("other"), user("voter")
	msg := h.post(other, "tip: other's tip about docker #docker")
	done := make(chan struct{})
	var waits []time.Duration
	var votes atomic.Int64
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
			waits = append(waits, time.Since(start))
			votes.Add(1)
		}
	}()
	time.Sleep(20 * time.Millisecond) // the voter is voting
	var mu sync.Mutex
	var commits []time.Duration
	h.db.OnCommit(func(_ int, took time.Duration) {
		mu.Lock()
		commits = append(commits, took)
		mu.Unlock()
	})
	if !forget {
		votes.Store(0)
		for votes.Load() < aloneVotes {
			time.Sleep(10 * time.Millisecond)
		}
		close(done)
		<-voted
		h.db.OnCommit(func(int, time.Duration) {})
	} else {
		b.StartTimer()
		r, err := h.bot.Handle(ctx, &bot.CommandInvoked{EventMeta: bot.EventMeta{ID: "forget", Workspace: h.ws}, Channel: "#general", User: heavy, Name: "tips", Text: "forget-me confirm"})
		b.StopTimer()
		close(done)
		<-voted
		h.db.OnCommit(func(int, time.Duration) {})
		if err != nil || r == nil {
			b.Fatalf("forget-me: %v %v", r, err)
		}
		var left int
		if err := h.db.View(ctx, h.ws, func(tx bot.ReadTx) error {
			return tx.TipsByAuthor(heavy.ID, func(bot.Tip) error { left++; return nil })
		}); err != nil || left != 0 {
			b.Fatalf("after forget-me, %d tips of the person are left (%v)", left, err)
		}
	}
	mu.Lock()
	slices.Sort(commits)
	slices.Sort(waits)
	if len(waits) > 0 {
		b.ReportMetric(float64(waits[len(waits)-1])/float64(time.Millisecond), "max-vote-wait-ms")
		b.ReportMetric(float64(waits[len(waits)*99/100])/float64(time.Millisecond), "p99-vote-wait-ms")
		b.ReportMetric(float64(waits[len(waits)/2])/float64(time.Millisecond), "p50-vote-wait-ms")
	}
	b.ReportMetric(float64(len(waits)), "votes-meanwhile")
	if len(commits) > 0 {
		b.ReportMetric(float64(commits[len(commits)-1])/float64(time.Millisecond), "max-commit-ms")
		b.ReportMetric(float64(commits[len(commits)/2])/float64(time.Millisecond), "p50-commit-ms")
		b.ReportMetric(float64(len(commits)), "commits")
	}
	mu.Unlock()
	if holds := timed.holds; len(holds) > 0 {
		slices.Sort(holds)
		b.ReportMetric(float64(holds[len(holds)-1])/float64(time.Millisecond), "max-step-ms")
		b.ReportMetric(float64(holds[len(holds)/2])/float64(time.Millisecond), "p50-step-ms")
	}
	h.close()
}
