package slacktest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// postAPI calls a Web API method with the bot token and returns the HTTP
// status and the decoded answer (nil when there was none).
func postAPI(t *testing.T, s *Server, method string, form url.Values) (int, map[string]any, error) {
	t.Helper()
	form.Set("token", "xoxb-test")
	res, err := http.Post(s.URL()+method, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, nil
}

func TestOutage(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.AddChannel("C1", "general")
	post := url.Values{"channel": {"C1"}, "text": {"hello"}}

	s.SetOutage(OutageError)
	if code, _, err := postAPI(t, s, "chat.postMessage", post); err != nil || code != http.StatusInternalServerError {
		t.Errorf("OutageError: chat.postMessage answered %d, %v; want 500", code, err)
	}
	s.SetOutage(OutageHangUp)
	if code, _, err := postAPI(t, s, "chat.postMessage", post); err == nil {
		t.Errorf("OutageHangUp: chat.postMessage answered %d; want the connection closed", code)
	}
	if got := s.BotMessages("C1"); len(got) != 0 {
		t.Errorf("calls during the outage posted %v", got)
	}

	s.SetOutage(OutageNone)
	code, res, err := postAPI(t, s, "chat.postMessage", post)
	if err != nil || code != http.StatusOK || res["ok"] != true {
		t.Fatalf("after the outage: %d %v %v; want 200 ok", code, res, err)
	}
	if got := s.BotMessages("C1"); len(got) != 1 || got[0].Text != "hello" || got[0].TS != res["ts"] {
		t.Errorf("after the outage, the bot's messages are %v; want hello at %v", got, res["ts"])
	}
	var statuses []int
	for _, c := range s.Calls("chat.postMessage") {
		statuses = append(statuses, c.Status)
	}
	if want := []int{500, 0, 200}; len(statuses) != 3 || statuses[0] != want[0] || statuses[1] != want[1] || statuses[2] != want[2] {
		t.Errorf("recorded statuses %v, want %v", statuses, want)
	}
}

func TestEventIDs(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.AddChannel("C1", "general")
	s.AddUser(User{ID: "U1", Name: "alice"})
	ts, ev := s.SayEvent("C1", "U1", "tip: hello")
	if ts == "" || s.EventType(ev) != "message" {
		t.Errorf("SayEvent: ts %q, event %q of type %q; want a message event", ts, ev, s.EventType(ev))
	}
	r := s.ReactEvent("C1", ts, "U1", "bulb")
	if s.EventType(r) != "reaction_added" {
		t.Errorf("ReactEvent: event %q of type %q, want reaction_added", r, s.EventType(r))
	}
	if again := s.ReactEvent("C1", ts, "U1", "bulb"); again != "" {
		t.Errorf("a second identical reaction sent event %q, want none", again)
	}
}

func TestInteractionRefused(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.AddChannel("C1", "general")
	s.AddUser(User{ID: "U1", Name: "alice"})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer app.Close()
	s.DeliverHTTP(app.URL, "secret")
	if _, _, ok := s.Command("C1", "U1", "/tip", "hello").Ack(time.Minute); ok {
		t.Error("a command answered 503 counts as acknowledged")
	}
}
