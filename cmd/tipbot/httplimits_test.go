package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack"
	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

// testLimits are small limits, so that tests see them at work quickly.
var testLimits = httpLimits{
	readHeader:  200 * time.Millisecond,
	body:        200 * time.Millisecond,
	idle:        200 * time.Millisecond,
	maxHeader:   4 << 10,
	maxBody:     1000,
	maxInFlight: 2,
	bodyBudget:  1500,
}

// limitedServer serves h within l on 127.0.0.1 until the test ends and
// returns its address.
func limitedServer(t *testing.T, h http.Handler, l httpLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, l, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// slackOps is the ops handler with a Slack adapter in http mode (not run:
// these requests never reach the core).
func slackOps(t *testing.T) http.Handler {
	t.Helper()
	ops, _, _ := newOps(t)
	a, err := slack.New(slack.Config{Mode: slack.ModeHTTP, BotToken: "xoxb-test", SigningSecret: "s3cr3t",
		APIURL: "http://127.0.0.1:9/"}, refusingCore{})
	if err != nil {
		t.Fatal(err)
	}
	ops.slack = a.HTTPHandler()
	return ops.handler()
}

// refusingCore is a core that must not be reached.
type refusingCore struct{}

func (refusingCore) Handle(context.Context, bot.Event) (bot.Reply, error) {
	return nil, errors.New("a request within the limits reached the core")
}

// dial opens a raw connection whose reads fail after a generous test
// timeout, so that a connection the server keeps open fails the test
// instead of hanging it.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c
}

// readUntilClosed reads what the server sends until it closes the
// connection; it fails the test if the server keeps it open.
func readUntilClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatalf("the server kept the connection open; read so far: %q", b)
	}
	return string(b)
}

func signedHeaders(body string) string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return fmt.Sprintf("X-Slack-Request-Timestamp: %s\r\nX-Slack-Signature: %s\r\n", ts, slacktest.Sign("s3cr3t", ts, []byte(body)))
}

func TestHTTPSlowBodyIsDisconnected(t *testing.T) {
	t.Parallel()
	addr := limitedServer(t, slackOps(t), testLimits)
	c := dial(t, addr)
	body := `{"type":"url_verification","challenge":"abc"}`
	// The headers and half the body, then nothing more.
	if _, err := fmt.Fprintf(c, "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s",
		len(body), signedHeaders(body), body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	if got := readUntilClosed(t, c); !strings.HasPrefix(got, "HTTP/1.1 408 ") {
		t.Errorf("answer to a slow body = %q, want 408", got)
	}
}

func TestHTTPSlowHeadersAreDisconnected(t *testing.T) {
	t.Parallel()
	addr := limitedServer(t, slackOps(t), testLimits)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Ty"); err != nil {
		t.Fatal(err)
	}
	readUntilClosed(t, c)
}

func TestHTTPIdleConnectionIsClosed(t *testing.T) {
	t.Parallel()
	addr := limitedServer(t, slackOps(t), testLimits)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.Close {
		t.Fatal("the server closed the connection after the answer: nothing left to test")
	}
	// Kept alive, then closed once idle.
	if b, err := io.ReadAll(r); err != nil || len(b) != 0 {
		t.Errorf("after the answer: %q, %v; want the connection closed", b, err)
	}
}

func TestHTTPHeadersTooLarge(t *testing.T) {
	t.Parallel()
	addr := limitedServer(t, slackOps(t), testLimits)
	c := dial(t, addr)
	if _, err := fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 16<<10)); err != nil {
		t.Fatal(err)
	}
	if got := readUntilClosed(t, c); !strings.HasPrefix(got, "HTTP/1.1 431 ") {
		t.Errorf("answer = %.40q, want 431", got)
	}
}

func TestHTTPBodyTooLarge(t *testing.T) {
	t.Parallel()
	addr := limitedServer(t, slackOps(t), testLimits)
	u := "http://" + addr + "/slack/events"
	body := `{"type":"url_verification","challenge":"` + strings.Repeat("a", 2000) + `"}`
	post := func(r io.Reader, length int64) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, u, r)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", slacktest.Sign("s3cr3t", ts, []byte(body)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	// Announced: refused before it is read.
	if res := post(strings.NewReader(body), int64(len(body))); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("announced large body: %d, want 413", res.StatusCode)
	}
	// Not announced (chunked): refused once the limit is read.
	if res := post(io.MultiReader(strings.NewReader(body)), -1); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked large body: %d, want 413", res.StatusCode)
	}
	// Within the limit, the same signed request is answered.
	small := `{"type":"url_verification","challenge":"abc"}`
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(small))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slacktest.Sign("s3cr3t", ts, []byte(small)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != "abc" {
		t.Errorf("small body: %d %q, want 200 abc", res.StatusCode, b)
	}
}

// blockingHandler holds each request, after reading its body, until
// released.
type blockingHandler struct {
	entered chan struct{}
	release chan struct{}
}

func (h *blockingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.entered <- struct{}{}
	<-h.release
	w.WriteHeader(http.StatusNoContent)
}

func TestHTTPRequestsInFlightAreBounded(t *testing.T) {
	t.Parallel()
	h := &blockingHandler{entered: make(chan struct{}), release: make(chan struct{})}
	l := testLimits
	l.maxInFlight = 2
	l.bodyBudget = 1 << 20
	addr := limitedServer(t, h, l)
	u := "http://" + addr + "/"
	held := make(chan int, 2)
	for range 2 {
		go func() {
			res, err := http.Post(u, "text/plain", strings.NewReader("x"))
			if err != nil {
				held <- 0
				return
			}
			res.Body.Close()
			held <- res.StatusCode
		}()
		<-h.entered
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("third request: %d Retry-After %q, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	close(h.release)
	for range 2 {
		if code := <-held; code != http.StatusNoContent {
			t.Errorf("held request: %d", code)
		}
	}
	// Served again once the others are done.
	go func() { <-h.entered }()
	res, err = http.Post(u, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("request after the others: %d", res.StatusCode)
	}
}

func TestHTTPBodyBytesInFlightAreBounded(t *testing.T) {
	t.Parallel()
	h := &blockingHandler{entered: make(chan struct{}), release: make(chan struct{})}
	l := testLimits
	l.maxInFlight = 10
	l.bodyBudget = 1500
	addr := limitedServer(t, h, l)
	u := "http://" + addr + "/"
	held := make(chan int, 1)
	go func() {
		res, err := http.Post(u, "text/plain", strings.NewReader(strings.Repeat("a", 1000)))
		if err != nil {
			held <- 0
			return
		}
		res.Body.Close()
		held <- res.StatusCode
	}()
	<-h.entered
	res, err := http.Post(u, "text/plain", bytes.NewReader(bytes.Repeat([]byte("b"), 600)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("body over the budget: %d, want 503 with Retry-After", res.StatusCode)
	}
	close(h.release)
	if code := <-held; code != http.StatusNoContent {
		t.Errorf("held request: %d", code)
	}
	go func() { <-h.entered }()
	res, err = http.Post(u, "text/plain", bytes.NewReader(bytes.Repeat([]byte("b"), 600)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("body within the budget: %d", res.StatusCode)
	}
}

// TestHTTPBodyDeadlineEndsWithTheBody checks that a handler still at work
// after the body deadline keeps its request context: the deadline bounds
// the reading of the body only.
func TestHTTPBodyDeadlineEndsWithTheBody(t *testing.T) {
	t.Parallel()
	l := testLimits
	l.body = 50 * time.Millisecond
	errc := make(chan error, 1)
	addr := limitedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			errc <- err
			return
		}
		time.Sleep(4 * l.body) // past the body deadline, whatever the machine's speed
		errc <- r.Context().Err()
		w.WriteHeader(http.StatusNoContent)
	}), l)
	res, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := <-errc; err != nil {
		t.Errorf("handler after the body deadline: %v", err)
	}
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("status %d", res.StatusCode)
	}
}
