package slack

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

// fuzzTarget is an adapter in http mode, not running, whose real handler
// the fuzz targets call with signed raw bodies; the fake Slack answers the
// look-ups the adapter makes (user names, permalinks).
type fuzzTarget struct {
	h   http.Handler
	rec *recorder
	now time.Time
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	s := slacktest.NewServer(slacktest.Options{})
	f.Cleanup(s.Close)
	s.AddUser(slacktest.User{ID: alice, Name: "alice"})
	s.AddChannel(general, "general")
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	rec := &recorder{}
	a, err := New(Config{Mode: ModeHTTP, BotToken: "xoxb-test", SigningSecret: "s3cr3t", APIURL: s.URL(),
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}, rec)
	if err != nil {
		f.Fatal(err)
	}
	// Look-ups the fake paces (rate limits) must not slow the fuzzing:
	// an event not handled in time is answered 503, as it would be.
	a.eventTimeout, a.fetchTimeout, a.ackDeadline = 200*time.Millisecond, 50*time.Millisecond, 500*time.Millisecond
	f.Cleanup(a.tasks.Wait)
	return &fuzzTarget{h: a.HTTPHandler(), rec: rec, now: now}
}

// post sends a signed body through the handler and checks what every
// request must get: an answer Slack understands (200, 400 for what is
// malformed, 503 to be sent again), and events fit for the core.
func (ft *fuzzTarget) post(t *testing.T, ctype, body string) {
	ft.rec.mu.Lock()
	ft.rec.events = nil
	ft.rec.mu.Unlock()
	ts := strconv.FormatInt(ft.now.Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", slacktest.Sign("s3cr3t", ts, []byte(body)))
	w := httptest.NewRecorder()
	ft.h.ServeHTTP(w, r)
	switch w.Code {
	case http.StatusOK, http.StatusBadRequest, http.StatusServiceUnavailable:
	default:
		t.Fatalf("status %d for %q", w.Code, body)
	}
	for _, ev := range ft.rec.all() {
		m := bot.MetaOf(ev)
		if m.Workspace.Platform != Platform || m.Workspace.ID == "" || strings.TrimSpace(m.Workspace.ID) != m.Workspace.ID {
			t.Fatalf("%T with workspace %q from %q", ev, m.Workspace.Key(), body)
		}
		if got, err := bot.ParseWorkspace(m.Workspace.Key()); err != nil || got != m.Workspace {
			t.Fatalf("%T with a workspace that does not parse back: %q (%v)", ev, m.Workspace.Key(), err)
		}
		if c, ok := ev.(*bot.CommandInvoked); ok {
			if c.Name == "" || strings.HasPrefix(c.Name, "/") || c.User.ID == "" {
				t.Fatalf("command %q by %q from %q", c.Name, c.User.ID, body)
			}
		}
	}
}

// seeds returns the files of testdata whose names start with prefix.
func seeds(f *testing.F, prefixes ...string) [][]byte {
	var out [][]byte
	for _, p := range prefixes {
		names, err := filepath.Glob(filepath.Join("testdata", p+"*.json"))
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// FuzzSlackEvent sends Events API bodies (JSON) through the real handler.
func FuzzSlackEvent(f *testing.F) {
	for _, b := range seeds(f, "message", "reaction", "thread", "bot", "channel", "file", "malformed", "own", "unknown", "url") {
		f.Add(b)
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ft.post(t, "application/json", string(body))
	})
}

// FuzzSlackInteraction sends interactivity payloads (a form whose payload
// field is JSON) through the real handler.
func FuzzSlackInteraction(f *testing.F) {
	for _, b := range seeds(f, "shortcut") {
		f.Add(string(b))
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, payload string) {
		ft.post(t, "application/x-www-form-urlencoded", url.Values{"payload": {payload}}.Encode())
	})
}

// FuzzSlackCommand sends raw slash-command form bodies through the real
// handler.
func FuzzSlackCommand(f *testing.F) {
	for _, b := range seeds(f, "command") {
		var fields map[string]string
		if err := json.Unmarshal(b, &fields); err != nil {
			f.Fatal(err)
		}
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		f.Add(form.Encode())
	}
	f.Add("team_id=T1&user_id=U1&command=%2F%2F&text=x")
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, body string) {
		ft.post(t, "application/x-www-form-urlencoded", body)
	})
}

// broadcast finds a Slack special mention that notifies many people.
var broadcast = regexp.MustCompile(`(?i)<!(here|channel|everyone|subteam)`)

// FuzzSlackBlocks renders arbitrary text: no broadcast mention survives in
// the blocks or the notification text, and no block exceeds Slack's limits.
func FuzzSlackBlocks(f *testing.F) {
	for _, s := range []string{"tip: <!channel> look", "<!here|here> and <!everyone>", "<@U0ALICE01> says <#C0GENERAL|general>",
		"<https://go.dev|Go> &amp; <b>", "<!subteam^S123|@devs> ping", "<!date^1392734382^{date}|Feb 18>", "<<!channel>>"} {
		f.Add("Title", s)
	}
	f.Fuzz(func(t *testing.T, title, text string) {
		m := bot.Message{Title: title, Lines: []bot.Line{{Text: text}, {Text: text + " " + text}}}
		fallback, blocks := render(m, nil)
		texts := []string{fallback}
		for _, b := range blocks {
			if s, ok := b.(*slackapi.SectionBlock); ok && s.Text != nil {
				if utf8.RuneCountInString(s.Text.Text) > maxSectionChars {
					t.Fatalf("a section of %d characters", utf8.RuneCountInString(s.Text.Text))
				}
				texts = append(texts, s.Text.Text)
			}
		}
		if len(blocks) > maxBlocks {
			t.Fatalf("%d blocks", len(blocks))
		}
		for _, s := range texts {
			if broadcast.MatchString(s) {
				t.Fatalf("a broadcast mention survives rendering %q: %q", text, s)
			}
		}
	})
}
