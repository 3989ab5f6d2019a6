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
//
// A post takes its slot in two steps. It books the next free slot of its
// channel, however far off (a channel's posts queue one per channelIv),
// and sleeps until then; only then does it take a place in the workspace's
// pace, which thus sees posts in the order they become due: a long queue
// in one channel never holds up the posts of another.
type limits struct {
	mu        sync.Mutex
	now       func() time.Time
	channelIv time.Duration
	channels  map[string]*channelPace
	workspace gcra
	blocked   map[string]time.Time // method → no call before

	// Posts of one channel go out in the order of their slots: a post
	// whose timer fired late must not let a later one overtake it, or
	// Slack would see two posts closer than the pace allows.
	seq     uint64
	queued  map[uint64]queuedPost // posts booked in their channel, not yet in the workspace's pace
	changed chan struct{}         // closed when a post leaves queued

	// booked, when set, is told of each post's final slot (tests read the
	// pace from it, not from the wall clock).
	booked func(channel string, at time.Time)
}

// channelPace is the pace of one channel.
type channelPace struct {
	gcra
	last time.Time // final slot of the channel's latest post
}

type queuedPost struct {
	channel string
	at      time.Time
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
		channels:  map[string]*channelPace{},
		workspace: gcra{interval: iv, tolerance: time.Duration(workspaceBurst-1) * iv},
		blocked:   map[string]time.Time{},
		queued:    map[uint64]queuedPost{},
		changed:   make(chan struct{}),
	}
}

// channel returns the pace of a channel (l.mu held).
func (l *limits) channel(id string, now time.Time) *channelPace {
	ch := l.channels[id]
	if ch == nil {
		if len(l.channels) > 10000 {
			for k, g := range l.channels {
				if g.tat.Before(now) && g.last.Before(now) {
					delete(l.channels, k)
				}
			}
		}
		ch = &channelPace{gcra: gcra{interval: l.channelIv}}
		l.channels[id] = ch
	}
	return ch
}

// reserve books the time a call may go and returns it, with the post's
// place in its channel's queue (0 for calls that are not posts). Only posts
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
	ch := l.channel(channel, now)
	at = ch.earliest(at)
	ch.book(at)
	l.seq++
	l.queued[l.seq] = queuedPost{channel: channel, at: at}
	return at, l.seq
}

// first reports whether no post of the same channel booked before seq is
// still queued (l.mu held).
func (l *limits) first(seq uint64) bool {
	p := l.queued[seq]
	for s, q := range l.queued {
		if q.channel == p.channel && (q.at.Before(p.at) || (q.at.Equal(p.at) && s < seq)) {
			return false
		}
	}
	return true
}

// take gives a due post its final slot, in the workspace's pace and no
// sooner than channelIv after the channel's previous post, and takes it
// out of the queue (l.mu held).
func (l *limits) take(seq uint64) time.Time {
	p := l.queued[seq]
	now := l.now()
	ch := l.channel(p.channel, now)
	at := now
	if !ch.last.IsZero() {
		at = later(at, ch.last.Add(l.channelIv))
	}
	at = l.workspace.earliest(at)
	l.workspace.book(at)
	ch.last = at
	ch.tat = later(ch.tat, at.Add(l.channelIv))
	if l.booked != nil {
		l.booked(p.channel, at)
	}
	l.dequeue(seq)
	return at
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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

// wait sleeps until the call may go, however far off, and returns nil: for
// a post, its channel's slot, then its turn after the channel's earlier
// posts, then its place in the workspace's pace. It returns ctx.Err() as
// soon as ctx is cancelled or its deadline is reached, not before: a slot
// past the deadline is waited for until the deadline.
func (l *limits) wait(ctx context.Context, method, channel string) error {
	at, seq := l.reserve(method, channel)
	if seq != 0 {
		defer l.leave(seq)
	}
	if err := l.sleepUntil(ctx, at); err != nil || seq == 0 {
		return err
	}
	for {
		l.mu.Lock()
		if l.first(seq) {
			at = l.take(seq)
			l.mu.Unlock()
			return l.sleepUntil(ctx, at)
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sleepUntil sleeps until t on the limiter's clock, or until ctx ends.
func (l *limits) sleepUntil(ctx context.Context, t time.Time) error {
	if d := t.Sub(l.now()); d > 0 {
		return sleep(ctx, d)
	}
	return ctx.Err()
}

// leave takes a post out of the queue if it is still there (its wait
// ended early).
func (l *limits) leave(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.queued[seq]; ok {
		l.dequeue(seq)
	}
}

// dequeue takes a post out of the queue and wakes the posts waiting for
// their turn (l.mu held).
func (l *limits) dequeue(seq uint64) {
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
// 429's Retry-After and tries again — as often and as long as Slack asks,
// whatever ctx's deadline, returning ctx.Err() only once ctx has ended —
// and retries a few times, with backoff, failures where the request never
// reached Slack or Slack answered 5xx.
func (a *Adapter) call(ctx context.Context, method, channel string, fn func(context.Context) error) error {
	backoff := a.retryWait
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
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
