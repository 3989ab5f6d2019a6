package slack

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Slack's documented pace for chat.postMessage is about one message per
// second per channel ("short bursts allowed"), plus an undocumented
// workspace-wide limit. tipbot stays under both so that a burst of posts
// (200 session prompts at 17:00) goes out as fast as Slack accepts, without
// drawing 429s.
const (
	defaultChannelInterval = time.Second
	defaultWorkspaceRate   = 8.0 // chat.postMessage per second, workspace-wide
	defaultWorkspaceBurst  = 16
)

// errWouldWait: the call may not go before its caller's deadline.
var errWouldWait = errors.New("slack: rate limited past the deadline")

// gcra is the generic cell rate algorithm (virtual scheduling): requests are
// booked at times spaced by interval, with up to tolerance of advance (a
// burst of tolerance/interval+1).
type gcra struct {
	interval  time.Duration
	tolerance time.Duration
	tat       time.Time // theoretical arrival time of the next request
}

// earliest returns the first time at or after t a request may go.
func (g *gcra) earliest(t time.Time) time.Time {
	if e := g.tat.Add(-g.tolerance); e.After(t) {
		return e
	}
	return t
}

// book records a request going at t (t must be at or after earliest(t)).
func (g *gcra) book(t time.Time) {
	if g.tat.Before(t) {
		g.tat = t
	}
	g.tat = g.tat.Add(g.interval)
}

// limits paces Web API calls. Posts are paced per channel and per
// workspace; after a 429 every call to that method waits for Retry-After.
type limits struct {
	mu        sync.Mutex
	now       func() time.Time
	channelIv time.Duration
	channels  map[string]*gcra
	workspace gcra
	blocked   map[string]time.Time // method → no call before

	// Posts go out in the order of their slots: a post whose timer fired
	// late must not let later ones overtake it, or the server would see
	// two posts closer than the pace allows.
	seq     uint64
	queued  map[uint64]time.Time // booked posts not sent yet: seq → slot
	changed chan struct{}        // closed when a post leaves queued
}

func newLimits(channelInterval time.Duration, workspaceRate float64, workspaceBurst int) *limits {
	if channelInterval <= 0 {
		channelInterval = defaultChannelInterval
	}
	if workspaceRate <= 0 {
		workspaceRate = defaultWorkspaceRate
	}
	if workspaceBurst < 1 {
		workspaceBurst = 1
	}
	iv := time.Duration(float64(time.Second) / workspaceRate)
	return &limits{
		now:       time.Now,
		channelIv: channelInterval,
		channels:  map[string]*gcra{},
		workspace: gcra{interval: iv, tolerance: time.Duration(workspaceBurst-1) * iv},
		blocked:   map[string]time.Time{},
		queued:    map[uint64]time.Time{},
		changed:   make(chan struct{}),
	}
}

// reserve books the time a call may go and returns it, with the post's
// place in the send order (0 for calls that are not posts). Only posts
// (channel != "") are paced; every method waits out its 429 block.
func (l *limits) reserve(method, channel string) (time.Time, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	at := now
	if b, ok := l.blocked[method]; ok {
		if b.After(at) {
			at = b
		} else {
			delete(l.blocked, method)
		}
	}
	if channel == "" {
		return at, 0
	}
	ch := l.channels[channel]
	if ch == nil {
		if len(l.channels) > 10000 {
			for k, g := range l.channels {
				if g.tat.Before(now) {
					delete(l.channels, k)
				}
			}
		}
		ch = &gcra{interval: l.channelIv}
		l.channels[channel] = ch
	}
	// The slot must suit both the channel and the workspace; it is booked
	// in both at the same time so that neither sees two posts too close.
	for {
		next := l.workspace.earliest(ch.earliest(at))
		if next.Equal(at) {
			break
		}
		at = next
	}
	ch.book(at)
	l.workspace.book(at)
	l.seq++
	l.queued[l.seq] = at
	return at, l.seq
}

// block stops calls to method for d (a 429's Retry-After).
func (l *limits) block(method string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until := l.now().Add(d)
	if until.After(l.blocked[method]) {
		l.blocked[method] = until
	}
}

// wait sleeps until the reserved time (and, for a post, until every post
// booked before it has gone) or until ctx ends.
func (l *limits) wait(ctx context.Context, method, channel string) error {
	at, seq := l.reserve(method, channel)
	if seq != 0 {
		defer l.leave(seq)
	}
	if deadline, ok := ctx.Deadline(); ok && at.After(deadline) {
		return errWouldWait
	}
	if d := at.Sub(l.now()); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	for seq != 0 {
		l.mu.Lock()
		first := true
		for s, t := range l.queued {
			if t.Before(at) || (t.Equal(at) && s < seq) {
				first = false
				break
			}
		}
		changed := l.changed
		l.mu.Unlock()
		if first {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return ctx.Err()
}

// leave takes a post out of the send order.
func (l *limits) leave(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.queued, seq)
	close(l.changed)
	l.changed = make(chan struct{})
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxTransientRetries bounds the retries of a call that failed before Slack
// processed it (connection refused, 5xx). 429s are retried without bound.
const maxTransientRetries = 5

// call runs one Web API call. It paces posts (channel != ""), waits out a
// 429's Retry-After and tries again — as often as Slack asks, until ctx
// ends — and retries a few times, with backoff, failures where the request
// never reached Slack or Slack answered 5xx.
func (a *Adapter) call(ctx context.Context, method, channel string, fn func(context.Context) error) error {
	backoff := 200 * time.Millisecond
	limits := a.limitsFor(ctx)
	for attempt := 0; ; attempt++ {
		if err := limits.wait(ctx, method, channel); err != nil {
			return err
		}
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if rl, ok := errors.AsType[*slackapi.RateLimitedError](err); ok {
			d := rl.RetryAfter
			if d <= 0 {
				d = time.Second
			}
			a.rateLimited.Add(1)
			if a.cfg.OnRateLimit != nil {
				a.cfg.OnRateLimit(d)
			}
			limits.block(method, d)
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
				// Waiting would outlast the caller: say so now, so that it
				// can answer otherwise (an unacknowledged event comes back).
				return err
			}
			a.log.Warn("slack: rate limited, waiting", "method", method, "retry_after", d)
			continue
		}
		if !transient(err) || attempt >= maxTransientRetries || ctx.Err() != nil {
			return err
		}
		a.log.Warn("slack: call failed, retrying", "method", method, "err", err, "in", backoff)
		if err := sleep(ctx, backoff); err != nil {
			return err
		}
		backoff *= 2
	}
}

// transient reports whether a call failed without Slack acting on it, so
// that sending it again cannot duplicate anything.
func transient(err error) bool {
	if sc, ok := errors.AsType[slackapi.StatusCodeError](err); ok {
		return sc.Code >= 500
	}
	if op, ok := errors.AsType[*net.OpError](err); ok {
		return op.Op == "dial"
	}
	return false
}
