package discord

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestCloseGuardKeepsSessionsResumable sends, through a real gorilla
// websocket client over closeGuard, messages of each length encoding
// (with bytes that look like close frames inside them) and then a close:
// while tipbot runs the server reads 4000, when it stops 1000 as written.
func TestCloseGuardKeepsSessionsResumable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		ending bool
		want   int
	}{
		{"normal closure while running", websocket.CloseNormalClosure, false, sessionKeepingClose},
		{"going away while running", websocket.CloseGoingAway, false, sessionKeepingClose},
		{"service restart while running", websocket.CloseServiceRestart, false, websocket.CloseServiceRestart},
		{"normal closure when stopping", websocket.CloseNormalClosure, true, websocket.CloseNormalClosure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan int, 1)
			var texts atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
				if err != nil {
					return
				}
				defer ws.Close()
				for {
					_, _, err := ws.ReadMessage()
					var ce *websocket.CloseError
					if errors.As(err, &ce) {
						got <- ce.Code
						return
					}
					if err != nil {
						got <- -1
						return
					}
					texts.Add(1)
				}
			}))
			defer srv.Close()

			var ending atomic.Bool
			d := *websocket.DefaultDialer
			d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				var nd net.Dialer
				c, err := nd.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &closeGuard{Conn: c, ending: &ending}, nil
			}
			ws, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			lookalike := []byte{0x88, 0x82, 0x03, 0xe8}
			for _, n := range []int{4, 125, 126, 70000} {
				if err := ws.WriteMessage(websocket.BinaryMessage, bytes.Repeat(lookalike, n/4+1)[:n]); err != nil {
					t.Fatal(err)
				}
			}
			ending.Store(tc.ending)
			if err := ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(tc.code, "")); err != nil {
				t.Fatal(err)
			}
			select {
			case code := <-got:
				if code != tc.want {
					t.Errorf("the server read close code %d, want %d", code, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server never read the close frame")
			}
			if n := texts.Load(); n != 4 {
				t.Errorf("the server read %d messages before the close, want 4", n)
			}
		})
	}
}

// TestCloseGuardPassesSplitHeaders gives up, passing bytes unchanged, when
// a frame header is split across writes.
func TestCloseGuardPassesSplitHeaders(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	var ending atomic.Bool
	g := &closeGuard{Conn: a, ending: &ending, handshake: true}
	frame := []byte{0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2}
	read := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 64)
		var all []byte
		for len(all) < len(frame) {
			n, err := b.Read(buf)
			if err != nil {
				break
			}
			all = append(all, buf[:n]...)
		}
		read <- all
	}()
	for _, part := range [][]byte{frame[:1], frame[1:]} {
		if _, err := g.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	if got := <-read; !bytes.Equal(got, frame) {
		t.Errorf("wrote % x, want % x unchanged", got, frame)
	}
	if !g.lost {
		t.Error("the guard did not give up on a split header")
	}
}
