package discord

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// This file is the small layer over discordgo v0.29's gateway that makes
// sessions resume as Discord asks. discordgo keeps the gateway URL it
// fetched first for ever (Discord wants resumes at READY's
// resume_gateway_url), closes with 1000 when heartbeat ACKs stop (which
// ends the session: the gap is lost), identifies at once on op 9 (Discord
// asks for a wait of 1–5 s) and never reads session_start_limit. It offers
// no hook for any of these, so:
//   - the gateway URL is switched by failing one dial on purpose (discordgo
//     then forgets its URL) and answering the GET /gateway it makes next
//     with the URL wanted (gatewaySwitch);
//   - a watchdog closes with 4000, which keeps the session resumable, once
//     two heartbeat intervals pass without an ACK: before discordgo's own
//     check, at five;
//   - op 9 is delayed in the one place discordgo lets code run before it
//     identifies: its log line (see routeLibraryLogs);
//   - connect reads session_start_limit before an identify.

// errGatewaySwitch is the dial failed on purpose to switch gateway URLs.
var errGatewaySwitch = errors.New("discord: switching gateway URL")

// gatewaySwitch decides the gateway URL discordgo dials.
type gatewaySwitch struct {
	mu      sync.Mutex
	target  string // URL to serve for GET /gateway; "" asks Discord
	current string // URL discordgo holds; "" is Discord's default
	refresh bool   // fail the next dial, so discordgo fetches the URL again
}

// want makes the next connection go to url ("" for Discord's default).
func (g *gatewaySwitch) want(url string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.target = url
	g.refresh = url != g.current
}

// dial is the websocket dialer's NetDialContext.
func (g *gatewaySwitch) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	g.mu.Lock()
	refresh := g.refresh
	g.refresh = false
	g.mu.Unlock()
	if refresh {
		return nil, errGatewaySwitch
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// transport answers discordgo's GET /gateway with the URL wanted, and
// passes every other request to next.
func (g *gatewaySwitch) transport(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/gateway") {
			return next.RoundTrip(req)
		}
		g.mu.Lock()
		target := g.target
		g.current = target
		g.mu.Unlock()
		if target == "" {
			return next.RoundTrip(req)
		}
		body, _ := discordgo.Marshal(map[string]string{"url": target})
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(string(body))),
			ContentLength: int64(len(body)), Request: req}, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newDialer is discordgo's default websocket dialer with the switch.
func (g *gatewaySwitch) newDialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	d.NetDialContext = g.dial
	return &d
}

// watchHeartbeats closes the gateway with 4000 (resumable) when two
// heartbeat intervals pass without an ACK, until ctx ends. The interval is
// learnt from the ACKs themselves.
func (a *Adapter) watchHeartbeats(ctx context.Context) {
	const poll = 100 * time.Millisecond
	var last time.Time
	var interval time.Duration
	acks := 0
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !a.connected.Load() {
			last, interval, acks = time.Time{}, 0, 0
			continue
		}
		a.s.RLock()
		ack := a.s.LastHeartbeatAck
		a.s.RUnlock()
		if !ack.Equal(last) {
			if !last.IsZero() {
				acks++
				if acks >= 2 { // the first ACK answers the heartbeat sent at once
					interval = max(interval, ack.Sub(last))
				}
			}
			last = ack
			continue
		}
		if interval > 0 && time.Since(ack) > 2*interval {
			a.log.Warn("discord: no heartbeat ACK for two intervals; reconnecting to resume", "since", time.Since(ack).Round(time.Millisecond))
			if err := a.s.CloseWithCode(4000); err != nil {
				a.log.Debug("discord: close", "err", err)
			}
			last, interval, acks = time.Time{}, 0, 0
		}
	}
}

// identifyDelay is how long to wait after op 9 before identifying again:
// between 1 and 5 seconds, as Discord asks.
func identifyDelay() time.Duration {
	return time.Second + rand.N(4*time.Second)
}

// op9Log is the line discordgo logs right before identifying after op 9.
const op9Log = "sending identify packet to gateway in response to Op9"

// waitSessionStart waits, when Discord says no identify is left today
// (session_start_limit), until it resets; it reports false if ctx ended.
func (a *Adapter) waitSessionStart(ctx context.Context) bool {
	gb, err := a.s.GatewayBot(discordgo.WithContext(ctx))
	if err != nil || gb.SessionStartLimit.Total == 0 || gb.SessionStartLimit.Remaining > 0 {
		return true
	}
	wait := time.Duration(gb.SessionStartLimit.ResetAfter) * time.Millisecond
	a.log.Error("discord: no gateway session start left (session_start_limit); waiting for Discord's reset", "in", wait)
	return sleep(ctx, wait)
}
