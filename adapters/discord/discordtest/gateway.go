package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// gwConn is one gateway connection. Frames are queued and written by one
// goroutine, so the fake never blocks on a slow client while holding its lock.
type gwConn struct {
	ws     *websocket.Conn
	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

func newGwConn(ws *websocket.Conn) *gwConn {
	c := &gwConn{ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.writer()
	return c
}

func (c *gwConn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	if !c.closed {
		c.queue = append(c.queue, b)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeWith queues a close frame with a code; the connection ends after it.
func (c *gwConn) closeWith(code int, text string) {
	c.mu.Lock()
	if !c.closed {
		c.queue = append(c.queue, append([]byte{0}, websocket.FormatCloseMessage(code, text)...))
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *gwConn) writer() {
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		for {
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.mu.Unlock()
				break
			}
			b := c.queue[0]
			c.queue = c.queue[1:]
			c.mu.Unlock()
			if len(b) > 0 && b[0] == 0 {
				_ = c.ws.WriteControl(websocket.CloseMessage, b[1:], time.Now().Add(time.Second))
				time.Sleep(50 * time.Millisecond)
				c.close()
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.close()
				return
			}
		}
	}
}

// close drops the connection at once (no close frame).
func (c *gwConn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.queue = nil
	c.mu.Unlock()
	close(c.done)
	c.ws.Close()
}

type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := newGwConn(ws)
	c.send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}})
	defer func() {
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
		}
		s.mu.Unlock()
		c.close()
	}()
	path := r.URL.Path
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				s.mu.Lock()
				s.closes = append(s.closes, ce.Code)
				if (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) && s.conn == c {
					s.sessionID = "" // Discord ends the session: no resume
				}
				s.mu.Unlock()
			}
			return
		}
		var p payload
		if err := json.Unmarshal(data, &p); err != nil {
			c.closeWith(4002, "Error while decoding payload.")
			return
		}
		switch p.Op {
		case 1:
			s.mu.Lock()
			s.beats++
			muted := s.muted
			s.mu.Unlock()
			if !muted {
				c.send(map[string]any{"op": 11})
			}
		case 2:
			var id struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
			}
			_ = json.Unmarshal(p.D, &id)
			s.identify(c, id.Token, id.Intents, path)
		case 6:
			var rs struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(p.D, &rs)
			s.resume(c, rs.Token, rs.SessionID, rs.Seq, path)
		}
	}
}

func (s *Server) tokenOK(t string) bool {
	return strings.TrimPrefix(t, "Bot ") == s.opts.Token
}

func (s *Server) identify(c *gwConn, token string, intents int, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idents = append(s.idents, Identify{Token: token, Intents: intents, Path: path, At: time.Now()})
	if !s.tokenOK(token) {
		c.closeWith(4004, "Authentication failed.")
		return
	}
	if s.opts.RefuseMessageContent && intents&intentContent != 0 {
		c.closeWith(4014, "Disallowed intent(s).")
		return
	}
	if s.conn != nil && s.conn != c {
		s.conn.close()
	}
	s.conn = c
	s.sessionID = s.newID()
	s.seq = 0
	s.frames = nil
	s.intents = intents
	var guilds []map[string]any
	for _, g := range s.sortedGuilds() {
		guilds = append(guilds, map[string]any{"id": g.ID, "unavailable": true})
	}
	s.dispatchLocked("READY", map[string]any{
		"v":                  9,
		"user":               s.userJSON(AppID, BotName, true),
		"guilds":             guilds,
		"session_id":         s.sessionID,
		"resume_gateway_url": s.resumeURL(),
		"application":        map[string]any{"id": AppID, "flags": 0},
		"private_channels":   []any{},
	})
	for _, g := range s.sortedGuilds() {
		s.dispatchLocked("GUILD_CREATE", s.guildJSON(g))
	}
}

func (s *Server) resume(c *gwConn, token, session string, seq int64, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokenOK(token) || session == "" || session != s.sessionID {
		s.invalid = time.Now()
		c.send(map[string]any{"op": 9, "d": false})
		return
	}
	if s.conn != nil && s.conn != c {
		s.conn.close()
	}
	s.conn = c
	s.resumes = append(s.resumes, Resume{Path: path, At: time.Now()})
	from := seq
	if seq > 0 {
		from = max(seq-int64(s.opts.ReplayOverlap), 0)
	}
	for _, f := range s.frames {
		if f.seq > from {
			c.send(map[string]any{"op": 0, "s": f.seq, "t": f.t, "d": f.data})
		}
	}
	s.dispatchLocked("RESUMED", map[string]any{})
}

func (s *Server) wsURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/gateway" }

// resumeURL is READY's resume_gateway_url: another address of the same
// gateway, so tests can tell where a client resumed.
func (s *Server) resumeURL() string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/resume-gateway"
}

// Dispatch sends a gateway event (op 0) and returns its sequence number.
// With no client connected it is kept for the next Resume, as Discord does.
func (s *Server) Dispatch(t string, d any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dispatchLocked(t, d)
}

func (s *Server) dispatchLocked(t string, d any) int64 {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	s.seq++
	s.frames = append(s.frames, frame{seq: s.seq, t: t, data: b})
	if s.conn != nil {
		s.conn.send(map[string]any{"op": 0, "s": s.seq, "t": t, "d": json.RawMessage(b)})
	}
	return s.seq
}

// Seq returns the last sequence number dispatched.
func (s *Server) Seq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Connected reports whether a client holds the gateway.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// Reconnect sends op 7: the client should close and resume.
func (s *Server) Reconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.send(map[string]any{"op": 7, "d": nil})
	}
}

// InvalidSession sends op 9 (not resumable): the client should identify.
func (s *Server) InvalidSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.invalid = time.Now()
		s.conn.send(map[string]any{"op": 9, "d": false})
	}
}

// Drop cuts the gateway connection without a close frame.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// CloseGateway closes the gateway connection with a close code.
func (s *Server) CloseGateway(code int, text string) {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.closeWith(code, text)
	}
}
