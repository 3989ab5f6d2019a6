package discord

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Discord allows a bot 50 REST requests per second across all routes.
// tipbot stays under it with a token bucket of globalRate requests per
// second and a burst of globalBurst: no one-second window ever holds more
// than globalBurst+globalRate (45) requests. Interaction callbacks and
// follow-ups are not counted by Discord and skip the pacer.
const (
	globalRate  = 40
	globalBurst = 5
)

// requestTimeout bounds one REST request once the pacer let it go: the
// wait for its turn is not counted, so a long queue fails nothing.
const requestTimeout = 30 * time.Second

// rewriter is the http.RoundTripper of the discordgo session. It sends
// requests meant for discord.com to the configured api_url (discordgo's
// endpoints are fixed at init), paces them under the global limit, and
// gives each requestTimeout from the moment it goes.
type rewriter struct {
	base    *url.URL // nil: leave discord.com alone
	pace    *pacer
	next    http.RoundTripper
	hosts   map[string]bool
	timeout time.Duration
}

func newRewriter(base *url.URL, pace *pacer, next http.RoundTripper) *rewriter {
	return &rewriter{base: base, pace: pace, next: next, timeout: requestTimeout,
		hosts: map[string]bool{"discord.com": true, "discordapp.com": true}}
}

// RoundTrip implements http.RoundTripper.
func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if !exemptFromGlobal(req.URL.Path) {
		if err := rw.pace.wait(req.Context()); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, fmt.Errorf("discord: pacing %s: %w", req.URL.Path, err)
		}
	}
	ctx, cancel := context.WithTimeout(req.Context(), rw.timeout)
	r2 := req.Clone(ctx)
	if rw.base != nil && rw.hosts[strings.ToLower(req.URL.Hostname())] {
		u := *req.URL
		u.Scheme = rw.base.Scheme
		u.Host = rw.base.Host
		if prefix := strings.TrimSuffix(rw.base.Path, "/"); prefix != "" {
			u.Path = prefix + req.URL.Path
			if req.URL.RawPath != "" {
				u.RawPath = prefix + req.URL.RawPath
			}
		}
		r2.URL = &u
		r2.Host = ""
	}
	resp, err := rw.next.RoundTrip(r2)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose is a response body that ends its request's timeout when
// it is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// exemptFromGlobal reports whether Discord leaves a route out of the
// global rate limit (interaction endpoints).
func exemptFromGlobal(path string) bool {
	return strings.Contains(path, "/interactions/") || strings.Contains(path, "/webhooks/")
}

// pacer is a token bucket (GCRA) shared by every REST request.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	burst    int
	tat      time.Time // theoretical arrival time of the next request

	// granted, when set, is told of the time each request may go (tests
	// read the pace from it, not from the wall clock).
	granted func(at time.Time)
}

func newPacer(perSecond, burst int) *pacer {
	return &pacer{interval: time.Second / time.Duration(perSecond), burst: burst}
}

// wait blocks until a request may go, however long the queue, or until ctx
// is cancelled or its deadline reached (it returns ctx.Err()).
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	tat := p.tat
	if tat.Before(now) {
		tat = now
	}
	delay := tat.Sub(now) - time.Duration(p.burst-1)*p.interval
	p.tat = tat.Add(p.interval)
	if p.granted != nil {
		p.granted(now.Add(max(delay, 0)))
	}
	p.mu.Unlock()
	if delay > 0 && !sleep(ctx, delay) {
		return ctx.Err()
	}
	return nil
}
