package slack

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

// Slack's documented signing example
// (https://api.slack.com/authentication/verifying-requests-from-slack).
const (
	exampleSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	exampleTimestamp = "1531420618"
	exampleBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	exampleSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestVerifySignatureSlackExample(t *testing.T) {
	t.Parallel()
	at := time.Unix(1531420618, 0)
	tests := []struct {
		name            string
		secret, ts, sig string
		body            string
		now             time.Time
		want            error
	}{
		{"documented example", exampleSecret, exampleTimestamp, exampleSignature, exampleBody, at.Add(30 * time.Second), nil},
		{"4m59s late", exampleSecret, exampleTimestamp, exampleSignature, exampleBody, at.Add(299 * time.Second), nil},
		{"stale", exampleSecret, exampleTimestamp, exampleSignature, exampleBody, at.Add(5*time.Minute + time.Second), errStale},
		{"from the future", exampleSecret, exampleTimestamp, exampleSignature, exampleBody, at.Add(-6 * time.Minute), errStale},
		{"today", exampleSecret, exampleTimestamp, exampleSignature, exampleBody, time.Now(), errStale},
		{"other secret", "not-the-secret", exampleTimestamp, exampleSignature, exampleBody, at, errBadSignature},
		{"changed body", exampleSecret, exampleTimestamp, exampleSignature, exampleBody + "&x=1", at, errBadSignature},
		{"changed timestamp", exampleSecret, "1531420619", exampleSignature, exampleBody, at, errBadSignature},
		{"v1 scheme", exampleSecret, exampleTimestamp, "v1=" + exampleSignature[3:], exampleBody, at, errBadSignature},
		{"no signature", exampleSecret, exampleTimestamp, "", exampleBody, at, errNoSignature},
		{"no timestamp", exampleSecret, "", exampleSignature, exampleBody, at, errNoSignature},
		{"bad timestamp", exampleSecret, "yesterday", exampleSignature, exampleBody, at, errBadSignature},
	}
	for _, tt := range tests {
		err := verifySignature(tt.secret, tt.ts, tt.sig, []byte(tt.body), tt.now)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: verifySignature() = %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := sign(exampleSecret, exampleTimestamp, []byte(exampleBody)); got != exampleSignature {
		t.Errorf("sign() = %s, want %s", got, exampleSignature)
	}
	if got := slacktest.Sign(exampleSecret, exampleTimestamp, []byte(exampleBody)); got != exampleSignature {
		t.Errorf("slacktest.Sign() = %s, want %s", got, exampleSignature)
	}
}

// startHTTP runs an adapter in http mode behind an httptest server, with
// the fake delivering to it.
func startHTTP(t *testing.T, s *slacktest.Server, h Handler, o setup) (*Adapter, string) {
	t.Helper()
	o.mode = ModeHTTP
	a := start(t, s, h, o)
	mux := http.NewServeMux()
	mux.Handle("/slack/events", a.HTTPHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	u := srv.URL + "/slack/events"
	s.DeliverHTTP(u, "s3cr3t")
	return a, u
}

func postSigned(t *testing.T, u, secret, ctype string, body string, at time.Time, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	ts := strconv.FormatInt(at.Unix(), 10)
	if secret != "" {
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", slacktest.Sign(secret, ts, []byte(body)))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestHTTPRequestsMustBeSigned(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	_, u := startHTTP(t, s, rec, setup{})
	event := string(readTestdata(t, "message.json"))
	now := time.Now()

	if code, body := postSigned(t, u, "s3cr3t", "application/json", string(readTestdata(t, "url_verification.json")), now, nil); code != 200 ||
		body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification = %d %q", code, body)
	}
	for _, tc := range []struct {
		name   string
		secret string
		at     time.Time
		header http.Header
	}{
		{"forged", "guessed-secret", now, nil},
		{"stale", "s3cr3t", now.Add(-5*time.Minute - 10*time.Second), nil},
		{"missing", "", now, nil},
		{"replayed signature on another body", "", now, http.Header{
			"X-Slack-Request-Timestamp": {strconv.FormatInt(now.Unix(), 10)},
			"X-Slack-Signature":         {slacktest.Sign("s3cr3t", strconv.FormatInt(now.Unix(), 10), []byte("{}"))}}},
	} {
		if code, _ := postSigned(t, u, tc.secret, "application/json", event, tc.at, tc.header); code != http.StatusUnauthorized {
			t.Errorf("%s request: %d, want 401", tc.name, code)
		}
		form := url.Values{"command": {"/tips"}, "text": {"forget-me confirm"}, "team_id": {"T0TEAM001"}, "user_id": {alice}}.Encode()
		if code, _ := postSigned(t, u, tc.secret, "application/x-www-form-urlencoded", form, tc.at, tc.header); code != http.StatusUnauthorized {
			t.Errorf("%s command: %d, want 401", tc.name, code)
		}
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("core got %d events from refused requests", n)
	}
	if code, _ := postSigned(t, u, "s3cr3t", "application/json", event, now, nil); code != 200 {
		t.Errorf("signed event: %d", code)
	}
	if code, _ := postSigned(t, u, "s3cr3t", "application/json", event, now, http.Header{"X-Slack-Retry-Num": {"1"},
		"X-Slack-Retry-Reason": {"http_timeout"}}); code != 200 {
		t.Errorf("retried event: %d", code)
	}
	if got := rec.byID("Ev0MSG0001"); len(got) != 2 {
		t.Errorf("core got the event %d times, want 2 (it deduplicates by id)", len(got))
	}
	for _, f := range []string{"unknown_event.json", "malformed_event.json", "bot_message.json"} {
		if code, _ := postSigned(t, u, "s3cr3t", "application/json", string(readTestdata(t, f)), now, nil); code != 200 {
			t.Errorf("%s: %d, want 200", f, code)
		}
	}
	if code, _ := postSigned(t, u, "s3cr3t", "application/json", `{"type":"app_rate_limited","minute_rate_limited":1518467820}`, now, nil); code != 200 {
		t.Errorf("app_rate_limited: %d", code)
	}
	if code, _ := postSigned(t, u, "s3cr3t", "application/json", `{not json`, now, nil); code != 400 {
		t.Errorf("bad json: %d, want 400", code)
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", res.StatusCode)
	}
	if n := len(rec.all()); n != 2 {
		t.Errorf("core got %d events, want 2", n)
	}
}

func TestHTTPInjectedClockAcceptsSlackExample(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	log, _ := testLogger(t)
	a, err := New(Config{Mode: ModeHTTP, BotToken: "xoxb-test", SigningSecret: exampleSecret, APIURL: s.URL(), Logger: log,
		Now: func() time.Time { return time.Unix(1531420618+20, 0) }}, rec)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(exampleBody))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", exampleTimestamp)
	req.Header.Set("X-Slack-Signature", exampleSignature)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("Slack's example request: %d", res.StatusCode)
	}
	evs := rec.all()
	if len(evs) != 1 {
		t.Fatalf("core got %d events", len(evs))
	}
	if c := evs[0].(*bot.CommandInvoked); c.Name != "webhook-collect" || c.User.ID != "U2CERLKJA" || c.Channel != "G8PSS9T3V" ||
		c.Workspace.ID != "T1DC2JH3J" || c.ID != "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c" {
		t.Errorf("command = %+v", c)
	}
}

func TestHTTPModeEndToEndWithFake(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{RedeliverAfter: 200 * time.Millisecond})
	var fail atomic.Bool
	fail.Store(true)
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		switch e := ev.(type) {
		case *bot.MessagePosted:
			if fail.Swap(false) {
				return nil, errors.New("store busy")
			}
		case *bot.CommandInvoked:
			if e.Text == "slow" {
				time.Sleep(600 * time.Millisecond)
			}
			return &bot.Message{Lines: []bot.Line{{Text: "answer to " + e.Text}}}, nil
		case *bot.SaveAsTip:
			return &bot.Message{Lines: []bot.Line{{Text: "saved"}}}, nil
		}
		return nil, nil
	}}
	startHTTP(t, s, rec, setup{tweak: func(a *Adapter) { a.ackDeadline = 300 * time.Millisecond }})

	s.Say(general, alice, "tip: over http")
	var id string
	waitFor(t, s, "the event", func() bool {
		if evs := rec.all(); len(evs) > 0 {
			id = bot.MetaOf(evs[0]).ID
			return s.Acked(id)
		}
		return false
	})
	if got := len(rec.byID(id)); got != 2 {
		t.Errorf("core saw the event %d times, want 2 (a 503, then the retry)", got)
	}
	if got := s.Deliveries(id); got != 2 {
		t.Errorf("fake delivered it %d times, want 2", got)
	}

	ack, after, ok := s.Command(general, bob, "/tips", "me").Ack(5 * time.Second)
	if !ok || ack.ResponseType != "ephemeral" || ack.Text != "answer to me" || after > 3*time.Second {
		t.Errorf("command ack = %+v after %v", ack, after)
	}
	slow := s.Command(general, bob, "/tips", "slow")
	if ack, _, ok := slow.Ack(5 * time.Second); !ok || ack.Raw != nil {
		t.Errorf("slow command ack = %+v, %v; want an empty ack", ack, ok)
	}
	waitFor(t, s, "the late answer", func() bool { return len(slow.Responses()) == 1 })
	if r := slow.Responses()[0]; r.Text != "answer to slow" || r.ResponseType != "ephemeral" {
		t.Errorf("late answer = %+v", r)
	}
	ts := s.AddMessage(general, carol, "", "keep PRs small")
	sc := s.Shortcut(general, ts, dave, "save_tip")
	if ack, _, ok := sc.Ack(5 * time.Second); !ok || ack.Raw != nil {
		t.Errorf("shortcut ack = %+v", ack)
	}
	waitFor(t, s, "the shortcut reply", func() bool { return len(sc.Responses()) == 1 })
}

// The handler's recycled HMACs give the documented signature every time,
// whatever the request before (a forged one, another timestamp) left.
func TestPooledSignatureCheck(t *testing.T) {
	t.Parallel()
	h := (&Adapter{cfg: Config{SigningSecret: exampleSecret}}).HTTPHandler().(*httpHandler)
	for i := range 4 {
		if err := h.checkSignature(exampleTimestamp, exampleSignature, []byte(exampleBody)); err != nil {
			t.Fatalf("round %d: documented example refused: %v", i, err)
		}
		if err := h.checkSignature("1531420619", exampleSignature, []byte(exampleBody)); !errors.Is(err, errBadSignature) {
			t.Fatalf("round %d: changed timestamp = %v, want %v", i, err, errBadSignature)
		}
		if err := h.checkSignature(exampleTimestamp, exampleSignature, []byte(exampleBody+"&x=1")); !errors.Is(err, errBadSignature) {
			t.Fatalf("round %d: changed body = %v, want %v", i, err, errBadSignature)
		}
		if err := h.checkSignature(exampleTimestamp, exampleSignature[:len(exampleSignature)-1], []byte(exampleBody)); !errors.Is(err, errBadSignature) {
			t.Fatalf("round %d: cut signature = %v, want %v", i, err, errBadSignature)
		}
	}
}
