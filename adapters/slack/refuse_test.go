package slack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// watchedBody is a request body that counts the bytes read from it.
type watchedBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *watchedBody) Close() error { return nil }

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newRefusingHandler(t *testing.T, now func() time.Time) (*httpHandler, *syncBuffer) {
	t.Helper()
	log, buf := testLogger(t)
	a, err := New(Config{Mode: ModeHTTP, BotToken: "xoxb-test", SigningSecret: "s3cr3t", APIURL: "http://127.0.0.1:9/",
		Logger: log, Now: now}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	return a.HTTPHandler().(*httpHandler), buf
}

// serve sends one request straight to the handler and returns the status
// and how much of the body the handler read.
func serve(h http.Handler, body string, header http.Header) (int, int64) {
	b := &watchedBody{r: strings.NewReader(body)}
	r := httptest.NewRequest(http.MethodPost, "/slack/events", nil)
	r.Body = b
	r.ContentLength = int64(len(body))
	r.Header = header
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, b.read.Load()
}

func slackHeaders(ts time.Time, signature string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if !ts.IsZero() {
		h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	}
	if signature != "" {
		h.Set("X-Slack-Signature", signature)
	}
	return h
}

func TestHTTPRefusedBeforeTheBodyIsRead(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	h, _ := newRefusingHandler(t, c.now)
	body := `{"type":"url_verification","challenge":"abc"}`
	now := c.now()
	sig := func(at time.Time) string {
		return slacktest.Sign("s3cr3t", strconv.FormatInt(at.Unix(), 10), []byte(body))
	}
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"no headers", slackHeaders(time.Time{}, "")},
		{"no signature", slackHeaders(now, "")},
		{"no timestamp", slackHeaders(time.Time{}, sig(now))},
		{"stale", slackHeaders(now.Add(-6*time.Minute), sig(now.Add(-6*time.Minute)))},
		{"from the future", slackHeaders(now.Add(6*time.Minute), sig(now.Add(6*time.Minute)))},
		{"bad timestamp", http.Header{"X-Slack-Request-Timestamp": {"soon"}, "X-Slack-Signature": {sig(now)}}},
	} {
		if code, read := serve(h, body, tc.header); code != http.StatusUnauthorized || read != 0 {
			t.Errorf("%s: %d, %d bytes of body read; want 401 before reading", tc.name, code, read)
		}
	}
	large := strings.Repeat("a", maxBody+1)
	if code, read := serve(h, large, slackHeaders(now, "v0=00")); code != http.StatusRequestEntityTooLarge || read != 0 {
		t.Errorf("announced body over 1 MB: %d, %d bytes read; want 413 before reading", code, read)
	}
	// A fresh, signed request is read and answered.
	if code, read := serve(h, body, slackHeaders(now, sig(now))); code != http.StatusOK || read != int64(len(body)) {
		t.Errorf("signed request: %d, %d bytes read", code, read)
	}
}

func TestHTTPForgedRequestsLoggedOnceAMinute(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	h, logs := newRefusingHandler(t, c.now)
	secretWords := "do-not-log-this-body"
	// Large enough to go through the recycled buffers.
	body := `{"type":"event_callback","event":{"text":"` + secretWords + strings.Repeat("x", largeBody) + `"}}`
	forged := slackHeaders(c.now(), "v0="+strings.Repeat("0", 64))
	for range 50 {
		if code, read := serve(h, body, forged); code != http.StatusUnauthorized || read != int64(len(body)) {
			t.Fatalf("forged request: %d after reading %d bytes, want 401 after reading it", code, read)
		}
	}
	if code, _ := serve(h, "{}", slackHeaders(time.Time{}, "")); code != http.StatusUnauthorized {
		t.Fatalf("unsigned request: %d", code)
	}
	lines := func() []string {
		var out []string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "refused requests") {
				out = append(out, l)
			}
		}
		return out
	}
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], "count=1 ") {
		t.Errorf("log lines after 51 refusals in a minute: %q, want the first one only", got)
	}
	c.add(time.Minute)
	if code, _ := serve(h, body, slackHeaders(c.now(), "v0="+strings.Repeat("0", 64))); code != http.StatusUnauthorized {
		t.Fatalf("forged request: %d", code)
	}
	if got := lines(); len(got) != 2 || !strings.Contains(got[1], "count=51 ") {
		t.Errorf("log lines a minute later: %q, want a second one counting 51 refusals", got)
	}
	if strings.Contains(logs.String(), secretWords) {
		t.Error("a forged request's body is in the log")
	}
	// The buffers of forged requests are recycled cleared.
	buf := new([maxBody]byte)
	n := copy(buf[:], secretWords)
	h.recycle(buf, buf[:n])
	if strings.Contains(string(buf[:]), secretWords) {
		t.Error("a recycled buffer still holds a forged request's body")
	}
}
