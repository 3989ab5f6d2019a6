package discord

import (
	"context"
	"fmt"
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

// rewriter is the http.RoundTripper of the discordgo session. It sends
// requests meant for discord.com to the configured api_url (discordgo's
// endpoints are fixed at init) and paces them under the global limit.
type rewriter struct {
	base  *url.URL // nil: leave discord.com alone
	pace  *pacer
	next  http.RoundTripper
	hosts map[string]bool
}

func newRewriter(base *url.URL, pace *pacer, next http.RoundTripper) *rewriter {
	return &rewriter{base: base, pace: pace, next: next,
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
	if rw.base == nil || !rw.hosts[strings.ToLower(req.URL.Hostname())] {
		return rw.next.RoundTrip(req)
	}
	r2 := req.Clone(req.Context())
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
	return rw.next.RoundTrip(r2)
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
}

func newPacer(perSecond, burst int) *pacer {
	return &pacer{interval: time.Second / time.Duration(perSecond), burst: burst}
}

// wait blocks until a request may go, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	tat := p.tat
	if tat.Before(now) {
		tat = now
	}
	delay := tat.Sub(now) - time.Duration(p.burst-1)*p.interval
	p.tat = tat.Add(p.interval)
	p.mu.Unlock()
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
