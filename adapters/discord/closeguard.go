package discord

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync/atomic"
)

// closeGuard keeps discordgo from ending a gateway session by accident.
// discordgo closes with code 1000 (normal closure) whenever it closes: on a
// heartbeat it could not write, on a read error, and also from the
// heartbeat goroutine of an older connection that wakes up after a
// reconnect and then closes the *current* one. Discord ends the session on
// a 1000 or 1001 close, so the next resume is refused and tipbot has to
// identify again and catch up. closeGuard sits under the websocket (on the
// connection tipbot dials) and rewrites a client close frame's 1000 or
// 1001 to 4000, which keeps the session resumable, unless tipbot is
// stopping (ending), when the session should end.
//
// It reads the client's frames as gorilla/websocket writes them: the
// handshake first (up to its blank line), then frames, each header at the
// start of a Write. Anything it cannot follow it passes on untouched.
type closeGuard struct {
	net.Conn
	ending *atomic.Bool // set when tipbot stops: closes pass unchanged

	handshake bool   // the handshake's blank line was written
	tail      []byte // the handshake's last bytes written, to find "\r\n\r\n" across writes
	remaining uint64 // payload bytes of the current frame still to come
	lost      bool   // a frame header was split across writes: pass everything on
}

// sessionKeepingClose is the close code written instead of 1000 or 1001:
// any 4000-range code leaves the session resumable.
const sessionKeepingClose = 4000

// Write implements net.Conn.
func (g *closeGuard) Write(p []byte) (int, error) {
	if g.lost {
		return g.Conn.Write(p)
	}
	if !g.handshake {
		buf := append(g.tail, p...)
		end := bytes.Index(buf, []byte("\r\n\r\n"))
		if end < 0 {
			g.tail = append(g.tail[:0], buf[max(0, len(buf)-3):]...)
			return g.Conn.Write(p)
		}
		g.handshake, g.tail = true, nil
		// Frames written in the same call after the handshake are not
		// expected (the client waits for the server's answer first).
		return g.Conn.Write(p)
	}
	out := p
	for off := 0; off < len(p); {
		if g.remaining > 0 {
			n := min(g.remaining, uint64(len(p)-off))
			g.remaining -= n
			off += int(n)
			continue
		}
		h, ok := parseFrameHeader(p[off:])
		if !ok {
			g.lost = true
			break
		}
		payload := p[off+h.size:]
		if h.opcode == 8 && h.masked && h.length >= 2 && len(payload) >= 2 && !g.ending.Load() {
			code := binary.BigEndian.Uint16([]byte{payload[0] ^ h.key[0], payload[1] ^ h.key[1]})
			if code == 1000 || code == 1001 {
				if &out[0] == &p[0] {
					out = bytes.Clone(p)
				}
				var b [2]byte
				binary.BigEndian.PutUint16(b[:], sessionKeepingClose)
				at := off + h.size
				out[at], out[at+1] = b[0]^h.key[0], b[1]^h.key[1]
			}
		}
		off += h.size
		g.remaining = h.length
	}
	if _, err := g.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// frameHeader is a websocket frame's header (RFC 6455, section 5.2).
type frameHeader struct {
	opcode byte
	masked bool
	key    [4]byte
	length uint64 // payload length
	size   int    // header size in bytes
}

// parseFrameHeader reads the frame header at the start of b; ok is false
// when b does not hold a whole header.
func parseFrameHeader(b []byte) (h frameHeader, ok bool) {
	if len(b) < 2 {
		return h, false
	}
	h.opcode = b[0] & 0x0f
	h.masked = b[1]&0x80 != 0
	h.length = uint64(b[1] & 0x7f)
	h.size = 2
	switch h.length {
	case 126:
		if len(b) < 4 {
			return h, false
		}
		h.length = uint64(binary.BigEndian.Uint16(b[2:4]))
		h.size = 4
	case 127:
		if len(b) < 10 {
			return h, false
		}
		h.length = binary.BigEndian.Uint64(b[2:10])
		h.size = 10
	}
	if h.masked {
		if len(b) < h.size+4 {
			return h, false
		}
		copy(h.key[:], b[h.size:h.size+4])
		h.size += 4
	}
	return h, true
}
