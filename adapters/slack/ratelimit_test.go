package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	slackapi "github.com/slack-go/slack"
)

// The limiter's tests run in a synctest bubble: time.Now and the timers are
// the bubble's fake clock, which moves only when every goroutine waits, so
// the times below are exact whatever the load of the machine.

// postAll books one post per channel in channels, all at once, and returns
// for each the time (since the start) its wait returned, with its error.
func postAll(ctx context.Context, l *limits, channels []string) ([]time.Duration, []error) {
	began := time.Now()
	went := make([]time.Duration, len(channels))
	errs := make([]error, len(channels))
	var wg sync.WaitGroup
	for i, ch := range channels {
		wg.Go(func() {
			errs[i] = l.wait(ctx, "chat.postMessage", ch)
			went[i] = time.Since(began)
		})
	}
	wg.Wait()
	return went, errs
}

// mostInOneSecond is the largest number of times within any window of one
// second.
func mostInOneSecond(times []time.Duration) int {
	ts := slices.Sorted(slices.Values(times))
	most := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j]-ts[i] < time.Second; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

func TestPostsToOneChannelArePaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const iv = 300 * time.Millisecond
		l := newLimits(iv, 100, 10)
		// Five posts to #general and one to #training, booked at once.
		went, errs := postAll(context.Background(), l, []string{general, general, general, general, general, train})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if went[5] != 0 {
			t.Errorf("the post to another channel went after %v, want at once", went[5])
		}
		got := slices.Sorted(slices.Values(went[:5]))
		want := []time.Duration{0, iv, 2 * iv, 3 * iv, 4 * iv}
		if !slices.Equal(got, want) {
			t.Errorf("posts to one channel went at %v, want %v", got, want)
		}
	})
}

// TestBurstOf200Prompts posts to 200 channels at once under a limit of 100
// posts per second with bursts of 10, then under Slack's defaults: the
// burst takes exactly the minimum the limits allow and never goes over.
func TestBurstOf200Prompts(t *testing.T) {
	channels := make([]string, 200)
	for i := range channels {
		channels[i] = fmt.Sprintf("C%08d", i)
	}
	for _, c := range []struct {
		rate  float64
		burst int
		last  time.Duration // (200 - burst) / rate
	}{
		{100, 10, 1900 * time.Millisecond},
		{defaultWorkspaceRate, defaultWorkspaceBurst, 23 * time.Second},
	} {
		t.Run(fmt.Sprintf("%v per second, bursts of %d", c.rate, c.burst), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLimits(time.Second, c.rate, c.burst)
				went, errs := postAll(context.Background(), l, channels)
				for _, err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				if last := slices.Max(went); last != c.last {
					t.Errorf("last of 200 posts went after %v, want %v", last, c.last)
				}
				if got, want := len(slices.DeleteFunc(slices.Clone(went), func(d time.Duration) bool { return d != 0 })), c.burst; got != want {
					t.Errorf("%d posts went at once, want a burst of %d", got, want)
				}
				if most, limit := mostInOneSecond(went), c.burst+int(c.rate); most > limit {
					t.Errorf("%d posts within one second, more than %d", most, limit)
				}
			})
		})
	}
}

// TestLongQueueIsWaitedOut: 700 posts booked at once in one channel all go,
// the last 699 s later; a ctx deadline fails a post only once it is
// reached; a long queue in one channel does not hold up another channel.
func TestLongQueueIsWaitedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimits(time.Second, defaultWorkspaceRate, defaultWorkspaceBurst)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		began := time.Now()
		var wg sync.WaitGroup
		went := make([]time.Duration, 700)
		errs := make([]error, 700)
		for i := range went {
			wg.Go(func() {
				errs[i] = l.wait(ctx, "chat.postMessage", general)
				went[i] = time.Since(began)
			})
		}
		synctest.Wait() // all 700 are booked

		// The next slot in #general is 700 s away: with 10 minutes left,
		// a post waits the 10 minutes, then says the deadline passed.
		var late sync.WaitGroup
		late.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if err := l.wait(ctx, "chat.postMessage", general); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("wait past the deadline = %v, want context.DeadlineExceeded", err)
			}
			if d := time.Since(began); d != 10*time.Minute {
				t.Errorf("wait past the deadline gave up after %v, want 10m0s", d)
			}
		})
		// A cancelled post stops waiting at once.
		late.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(5*time.Second, cancel)
			if err := l.wait(ctx, "chat.postMessage", general); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled wait = %v, want context.Canceled", err)
			}
			if d := time.Since(began); d != 5*time.Second {
				t.Errorf("cancelled wait returned after %v, want 5s", d)
			}
		})
		// Another channel's posts go at their own pace.
		late.Go(func() {
			for i := range 3 {
				if err := l.wait(ctx, "chat.postMessage", train); err != nil {
					t.Error(err)
				}
				if d, want := time.Since(began), time.Duration(i)*time.Second; d != want {
					t.Errorf("post %d to another channel went after %v, want %v", i, d, want)
				}
			}
		})
		late.Wait()
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("a post failed: %v", err)
			}
		}
		got := slices.Sorted(slices.Values(went))
		for i, d := range got {
			if want := time.Duration(i) * time.Second; d != want {
				t.Fatalf("post %d went after %v, want %v", i, d, want)
			}
		}
	})
}

// TestRetryAfterIsWaitedOut drives call with a function that answers 429s:
// Retry-After is waited out however long, past the ctx deadline only until
// the deadline.
func TestRetryAfterIsWaitedOut(t *testing.T) {
	for _, c := range []struct {
		name       string
		retryAfter time.Duration
		timeout    time.Duration // 0: no deadline
		wantErr    error
		wantAfter  time.Duration
		wantCalls  int
	}{
		{"short wait, long deadline", 30 * time.Second, 10 * time.Minute, nil, 60 * time.Second, 3},
		{"no deadline", 15 * time.Minute, 0, nil, 30 * time.Minute, 3},
		{"wait past the deadline", 15 * time.Minute, 10 * time.Minute, context.DeadlineExceeded, 10 * time.Minute, 1},
		{"second wait past the deadline", 6 * time.Minute, 10 * time.Minute, context.DeadlineExceeded, 10 * time.Minute, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var told []time.Duration
				a := &Adapter{limits: newLimits(time.Second, 8, 16), log: slog.New(slog.DiscardHandler),
					cfg: Config{OnRateLimit: func(d time.Duration) { told = append(told, d) }}}
				ctx := context.Background()
				if c.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, c.timeout)
					defer cancel()
				}
				calls := 0
				began := time.Now()
				err := a.call(ctx, "chat.postMessage", general, func(context.Context) error {
					calls++
					if calls < 3 {
						return &slackapi.RateLimitedError{RetryAfter: c.retryAfter}
					}
					return nil
				})
				if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
					t.Errorf("call = %v, want %v", err, c.wantErr)
				}
				if d := time.Since(began); d != c.wantAfter {
					t.Errorf("call returned after %v, want %v", d, c.wantAfter)
				}
				if calls != c.wantCalls {
					t.Errorf("%d calls, want %d", calls, c.wantCalls)
				}
				if got := a.rateLimited.Load(); got != int64(min(calls, 2)) || len(told) != int(got) {
					t.Errorf("%d 429s counted, OnRateLimit told %v, after %d calls", got, told, calls)
				}
			})
		})
	}
}

// TestRetryAfterHoldsTheMethod: a 429 on one method holds its other calls
// until Retry-After, not the calls of other methods.
func TestRetryAfterHoldsTheMethod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimits(time.Second, 8, 16)
		l.block("reactions.add", 3*time.Second)
		began := time.Now()
		if err := l.wait(context.Background(), "chat.getPermalink", ""); err != nil || time.Since(began) != 0 {
			t.Errorf("another method waited %v (%v)", time.Since(began), err)
		}
		if err := l.wait(context.Background(), "reactions.add", ""); err != nil || time.Since(began) != 3*time.Second {
			t.Errorf("the blocked method went after %v (%v), want 3s", time.Since(began), err)
		}
		if err := l.wait(context.Background(), "reactions.add", ""); err != nil || time.Since(began) != 3*time.Second {
			t.Errorf("after the block the method waited until %v (%v)", time.Since(began), err)
		}
	})
}
