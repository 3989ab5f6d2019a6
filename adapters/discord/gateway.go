package discord

import (
	"bytes"
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
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
//   - tipbot dials the gateway connection itself (the websocket dialer's
//     NetDialContext and NetDialTLSContext): to resume, it connects to
//     resume_gateway_url's host and rewrites the handshake's request line
//     and Host header to that URL (gatewaySwitch);
//   - a watchdog drops the connection, without the 1000 close that would
//     end the session, once two heartbeat intervals pass without an ACK:
//     before discordgo's own check, at five;
//   - the closes discordgo writes with 1000 while tipbot runs (a stale
//     heartbeat goroutine can close a newer connection) go out as 4000,
//     which keeps the session resumable (closeGuard);
//   - op 9 is delayed in the one place discordgo lets code run before it
//     identifies: its log line (see routeLibraryLogs);
//   - connect reads session_start_limit before an identify.

// gatewaySwitch dials the gateway connections: to the URL discordgo asks
// for, or to the one wanted (READY's resume_gateway_url).
type gatewaySwitch struct {
	mu     sync.Mutex
	target *url.URL // nil: where discordgo asks
	conn   net.Conn // the last connection dialed
	// ending is set when tipbot stops: only then may a close end the
	// session (see closeGuard).
	ending atomic.Bool
}

// want makes the next connection go to rawURL ("" for where discordgo
// asks: the gateway it fetched).
func (g *gatewaySwitch) want(rawURL string) {
	var u *url.URL
	if rawURL != "" {
		if p, err := url.Parse(rawURL); err == nil && (p.Scheme == "ws" || p.Scheme == "wss") && p.Host != "" && !proxied(p) {
			u = p
		}
	}
	g.mu.Lock()
	g.target = u
	g.mu.Unlock()
}

// proxied reports whether websocket.DefaultDialer would reach u through
// a proxy (HTTPS_PROXY...): the dial then goes to the proxy, and the URL
// discordgo holds is kept.
func proxied(u *url.URL) bool {
	h := *u
	h.Scheme = map[string]string{"ws": "http", "wss": "https"}[u.Scheme]
	p, err := http.ProxyFromEnvironment(&http.Request{URL: &h})
	return err != nil || p != nil
}

// newDialer is websocket.DefaultDialer dialing through g.
func (g *gatewaySwitch) newDialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return g.dial(ctx, network, addr, "ws")
	}
	d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return g.dial(ctx, network, addr, "wss")
	}
	return &d
}

// dial connects to addr, or to the wanted URL's host when its scheme is
// the one discordgo dials, and then rewrites the handshake.
func (g *gatewaySwitch) dial(ctx context.Context, network, addr, scheme string) (net.Conn, error) {
	g.mu.Lock()
	target := g.target
	g.mu.Unlock()
	host := ""
	if target != nil && target.Scheme == scheme {
		addr, host = target.Host, target.Hostname()
		if target.Port() == "" {
			addr = net.JoinHostPort(host, map[string]string{"ws": "80", "wss": "443"}[scheme])
		}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if scheme == "wss" {
		serverName := host
		if serverName == "" {
			serverName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(c, &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	c = &closeGuard{Conn: c, ending: &g.ending}
	if host != "" {
		c = &handshakeRewriter{Conn: c, target: target}
	}
	g.mu.Lock()
	g.conn = c
	g.mu.Unlock()
	return c, nil
}

// drop cuts the last connection without a close frame: Discord keeps the
// session, to be resumed.
func (g *gatewaySwitch) drop() {
	g.mu.Lock()
	c := g.conn
	g.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// handshakeRewriter points the websocket handshake (the first request
// written) at target: its path, keeping discordgo's query, and its Host.
type handshakeRewriter struct {
	net.Conn
	target *url.URL
	buf    []byte
	done   bool
}

// Write implements net.Conn.
func (h *handshakeRewriter) Write(p []byte) (int, error) {
	if h.done {
		return h.Conn.Write(p)
	}
	h.buf = append(h.buf, p...)
	end := bytes.Index(h.buf, []byte("\r\n\r\n"))
	if end < 0 {
		return len(p), nil
	}
	h.done = true
	head, rest := string(h.buf[:end]), h.buf[end:]
	lines := strings.Split(head, "\r\n")
	if f := strings.Fields(lines[0]); len(f) == 3 {
		_, query, _ := strings.Cut(f[1], "?")
		path := h.target.EscapedPath()
		if path == "" {
			path = "/"
		}
		if query != "" {
			path += "?" + query
		}
		lines[0] = f[0] + " " + path + " " + f[2]
	}
	for i, l := range lines {
		if name, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(name, "Host") {
			lines[i] = "Host: " + h.target.Host
		}
	}
	out := append([]byte(strings.Join(lines, "\r\n")), rest...)
	h.buf = nil
	if _, err := h.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// watchHeartbeats drops the gateway connection (the session stays
// resumable) when two heartbeat intervals pass without an ACK, until ctx
// ends. The interval is
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
		if interval > 0 && time.Since(ack) > max(2*interval, minZombie) {
			a.log.Warn("discord: no heartbeat ACK for two intervals; reconnecting to resume", "since", time.Since(ack).Round(time.Millisecond))
			a.gw.drop()
			last, interval, acks = time.Time{}, 0, 0
		}
	}
}

// minZombie is the shortest silence taken for a dead connection, so a busy
// machine's delays are not (Discord's interval is about 41 s).
const minZombie = 2 * time.Second

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
