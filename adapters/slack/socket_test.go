package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

func TestSocketMessageAckedAfterCommit(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{RedeliverAfter: 5 * time.Second})
	release := make(chan struct{})
	var once sync.Once
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		if _, ok := ev.(*bot.MessagePosted); ok {
			<-release
		}
		return nil, nil
	}}
	start(t, s, rec, setup{})
	defer once.Do(func() { close(release) })

	id := s.Emit(map[string]any{"type": "message", "user": alice, "text": "tip: use git bisect #git",
		"ts": s.AddMessage(general, alice, "", "tip: use git bisect #git"), "channel": general})
	waitFor(t, s, "the core to get the message", func() bool { return len(rec.byID(id)) == 1 })
	time.Sleep(200 * time.Millisecond)
	if s.Acked(id) {
		t.Fatal("event acknowledged before the core returned")
	}
	once.Do(func() { close(release) })
	waitFor(t, s, "the ack", func() bool { return s.Acked(id) })

	ev := rec.byID(id)[0].(*bot.MessagePosted)
	// Names and flags come from the core's directory, not from Slack.
	if got, want := ev.Author, (bot.User{ID: alice}); got != want {
		t.Errorf("author = %+v, want %+v", got, want)
	}
	if ev.Workspace != (bot.Workspace{Platform: Platform, ID: "T0TEAM001"}) || ev.Channel != general || ev.Text != "tip: use git bisect #git" {
		t.Errorf("event = %+v", ev)
	}
}

func TestSocketFailedEventIsDeliveredAgain(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{RedeliverAfter: 300 * time.Millisecond})
	var fails atomic.Int32
	fails.Store(2)
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		if fails.Add(-1) >= 0 {
			return nil, errors.New("store: disk on fire")
		}
		return nil, nil
	}}
	start(t, s, rec, setup{})
	ts := s.Say(general, bob, "astuce: relire le diff")
	_ = ts
	var id string
	waitFor(t, s, "the event", func() bool {
		if evs := rec.all(); len(evs) > 0 {
			id = bot.MetaOf(evs[0]).ID
			return true
		}
		return false
	})
	waitFor(t, s, "the ack after retries", func() bool { return s.Acked(id) })
	if got := len(rec.byID(id)); got != 3 {
		t.Errorf("core saw the event %d times, want 3 (two failures, one success)", got)
	}
	if got := s.Deliveries(id); got != 3 {
		t.Errorf("Slack delivered it %d times, want 3", got)
	}
}

func TestSocketIgnoresBotsAndOwnMessages(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	a := start(t, s, rec, setup{})
	ts, err := a.Post(context.Background(), team, general, bot.Message{Lines: []bot.Line{{Text: "tip: from the bot itself"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The bot's post comes back as a message event, and its reaction as a
	// reaction event from a bot user.
	if err := a.React(context.Background(), team, general, ts, "bulb"); err != nil {
		t.Fatal(err)
	}
	bid := s.Emit(map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER01", "text": "tip: deploy",
		"ts": "1714000000.000001", "channel": general})
	waitFor(t, s, "acks", func() bool { return len(s.Unacked()) == 0 && s.Acked(bid) })
	for _, ev := range rec.all() {
		switch e := ev.(type) {
		case *bot.MessagePosted:
			t.Errorf("bot message handed to the core: %+v", e)
		case *bot.ReactionAdded:
			if !e.User.Bot {
				t.Errorf("the bot's own reaction is not marked Bot: %+v", e.User)
			}
		}
	}
}

func TestSocketReactions(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	start(t, s, rec, setup{})
	// Messages from before tipbot joined: their text must be fetched.
	old := s.AddMessage(general, alice, "", "tip: always read the logs first")
	parent := s.AddMessage(train, bob, "", "What did you retain?")
	reply := s.AddMessage(train, carol, parent, "astuce: le pair programming")

	s.React(general, old, bob, "bookmark")
	s.React(train, reply, dave, "bookmark")
	s.React(general, old, carol, "+1::skin-tone-3")
	s.Unreact(general, old, carol, "+1::skin-tone-3")
	waitFor(t, s, "four events", func() bool { return len(rec.distinct()) == 4 && len(s.Unacked()) == 0 })

	var added []*bot.ReactionAdded
	var removed []*bot.ReactionRemoved
	for _, ev := range rec.distinct() {
		switch e := ev.(type) {
		case *bot.ReactionAdded:
			added = append(added, e)
		case *bot.ReactionRemoved:
			removed = append(removed, e)
		}
	}
	if len(added) != 3 || len(removed) != 1 {
		t.Fatalf("added %d, removed %d; want 3 and 1", len(added), len(removed))
	}
	byMsg := map[string]*bot.ReactionAdded{}
	for _, e := range added {
		byMsg[e.MessageID+e.Emoji] = e
	}
	if e := byMsg[old+"bookmark"]; e == nil || e.Message.Text != "tip: always read the logs first" ||
		e.Message.Author != (bot.User{ID: alice}) || e.User != (bot.User{ID: bob}) {
		t.Errorf("capture reaction = %+v", e)
	}
	if e := byMsg[reply+"bookmark"]; e == nil || e.Message.Text != "astuce: le pair programming" || e.Message.ThreadID != parent ||
		e.Message.Author.ID != carol {
		t.Errorf("capture reaction on a thread reply = %+v", e)
	}
	if e := byMsg[old+"+1"]; e == nil || e.User.ID != carol {
		t.Errorf("skin-toned +1 = %+v", e)
	}
	if removed[0].Emoji != "+1" || removed[0].User.ID != carol {
		t.Errorf("removal = %+v", removed[0])
	}
	// Only the capture reaction reads messages; the cache serves repeats.
	if n := len(s.Calls("conversations.history")); n != 2 {
		t.Errorf("conversations.history called %d times, want 2", n)
	}
	if n := len(s.Calls("conversations.replies")); n != 1 {
		t.Errorf("conversations.replies called %d times, want 1", n)
	}
	// People are named by the core's directory: no event asks Slack.
	if n := len(s.Calls("users.info")); n != 0 {
		t.Errorf("users.info called %d times", n)
	}
}

func TestSocketThreadReplyAndEdits(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	start(t, s, rec, setup{})
	parent := s.Say(train, bob, "What did you retain?")
	reply := s.Reply(train, parent, carol, "that tests come first")
	s.Edit(train, reply, "that tests come first, always")
	s.Delete(train, reply)
	waitFor(t, s, "four events", func() bool { return len(rec.distinct()) == 4 && len(s.Unacked()) == 0 })
	evs := rec.distinct()
	// One channel's events reach the core in Slack's order.
	if e, ok := evs[1].(*bot.MessagePosted); !ok || e.ThreadID != parent || e.MessageID != reply {
		t.Errorf("reply = %#v", evs[1])
	}
	if e, ok := evs[2].(*bot.MessageEdited); !ok || e.ThreadID != parent || e.Text != "that tests come first, always" || e.Author != (bot.User{ID: carol}) {
		t.Errorf("edit = %#v", evs[2])
	}
	if e, ok := evs[3].(*bot.MessageDeleted); !ok || e.MessageID != reply {
		t.Errorf("delete = %#v", evs[3])
	}
}

func TestSocketCommands(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		c, ok := ev.(*bot.CommandInvoked)
		if !ok {
			return nil, nil
		}
		switch c.Text {
		case "fail":
			return nil, errors.New("store closed")
		case "slow":
			time.Sleep(700 * time.Millisecond)
			return &bot.Message{Lines: []bot.Line{{Text: "slow answer for " + c.User.ID}}}, nil
		case "quiet":
			return nil, nil
		}
		return &bot.Message{Title: "Help", Lines: []bot.Line{{Text: "help for " + c.User.ID}}}, nil
	}}
	start(t, s, rec, setup{tweak: func(a *Adapter) { a.ackDeadline = 300 * time.Millisecond }})

	t.Run("reply in the ack", func(t *testing.T) {
		in := s.Command(general, admin, "/tips", "help")
		ack, after, ok := in.Ack(5 * time.Second)
		if !ok {
			t.Fatal("no ack")
		}
		if after > 3*time.Second {
			t.Errorf("ack after %v", after)
		}
		if ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, "help for "+admin) || !strings.Contains(string(ack.Blocks), `"header"`) {
			t.Errorf("ack = %+v %s", ack, ack.Blocks)
		}
	})
	t.Run("empty reply", func(t *testing.T) {
		ack, _, ok := s.Command(general, bob, "/tips", "quiet").Ack(5 * time.Second)
		if !ok || ack.Raw != nil {
			t.Errorf("ack = %+v, %v; want an empty ack", ack, ok)
		}
	})
	t.Run("failure is told", func(t *testing.T) {
		ack, _, ok := s.Command(general, bob, "/tips", "fail").Ack(5 * time.Second)
		if !ok || ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, "did not work") {
			t.Errorf("ack = %+v", ack)
		}
	})
	t.Run("slow reply via response_url", func(t *testing.T) {
		// The core is still at work at the ack deadline: the empty ack
		// promises nothing, the answer follows through response_url.
		in := s.Command(general, carol, "/tips", "slow")
		ack, _, ok := in.Ack(5 * time.Second)
		if !ok || ack.Raw != nil {
			t.Errorf("ack = %+v, %v; want an empty ack", ack, ok)
		}
		waitFor(t, s, "the late reply", func() bool { return len(in.Responses()) == 1 })
		if r := in.Responses()[0]; r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "slow answer for "+carol) {
			t.Errorf("response = %+v", r)
		}
	})
	for _, ev := range rec.all() {
		c := ev.(*bot.CommandInvoked)
		if c.Name != "tips" || c.Channel != general || c.ID == "" || c.Workspace != team {
			t.Errorf("command = %+v", c)
		}
	}
}

func TestSocketFrenchNotSaved(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	// A core whose store is too busy to take the command before the
	// context ends, as store.DB.Update is.
	rec := &recorder{}
	busy := busyHandler{rec}
	start(t, s, busy, setup{locale: "fr", tweak: func(a *Adapter) { a.ackDeadline = 100 * time.Millisecond }})
	in := s.Command(general, bob, "/tip", "une astuce")
	ack, _, ok := in.Ack(5 * time.Second)
	if !ok {
		t.Fatal("no ack")
	}
	// Told in the ack, or through response_url when the ack deadline came
	// first; never "working on it".
	told := ack
	if ack.Raw == nil {
		waitFor(t, s, "the answer", func() bool { return len(in.Responses()) == 1 })
		told = in.Responses()[0]
	}
	if told.ResponseType != "ephemeral" || told.Text != catalog["fr"].busy || !strings.Contains(told.Text, "Non enregistré") {
		t.Errorf("told %+v, want %q", told, catalog["fr"].busy)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("core got %d commands, want 1", n)
	}
}

func TestSocketShortcut(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		if e, ok := ev.(*bot.SaveAsTip); ok {
			return &bot.Message{Lines: []bot.Line{{Text: "Saved the tip of " + e.Message.Author.ID}}}, nil
		}
		return nil, nil
	}}
	start(t, s, rec, setup{})
	ts := s.AddMessage(general, alice, "", "Squash before merging")
	in := s.Shortcut(general, ts, bob, "save_tip")
	ack, _, ok := in.Ack(5 * time.Second)
	if !ok || ack.Raw != nil {
		t.Fatalf("ack = %+v, %v; shortcuts are acknowledged empty", ack, ok)
	}
	waitFor(t, s, "the reply", func() bool { return len(in.Responses()) == 1 })
	if r := in.Responses()[0]; r.ResponseType != "ephemeral" || r.Text != "Saved the tip of "+alice {
		t.Errorf("response = %+v", r)
	}
	other := s.Shortcut(general, ts, bob, "something_else")
	if _, _, ok := other.Ack(5 * time.Second); !ok {
		t.Error("unknown shortcut not acknowledged")
	}
	evs := rec.all()
	if len(evs) != 1 {
		t.Fatalf("core got %d events, want 1", len(evs))
	}
	e := evs[0].(*bot.SaveAsTip)
	if e.MessageID != ts || e.Message.Text != "Squash before merging" || e.User != (bot.User{ID: bob}) || e.ID != in.TriggerID {
		t.Errorf("shortcut = %+v", e)
	}
}

func TestSocketRedeliveredEnvelopes(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	start(t, s, rec, setup{})
	ts := s.Say(general, alice, "tip: one")
	var id string
	waitFor(t, s, "the first delivery", func() bool {
		if evs := rec.all(); len(evs) == 1 {
			id = bot.MetaOf(evs[0]).ID
			return s.Acked(id)
		}
		return false
	})
	s.Redeliver(id)
	s.Redeliver(id)
	waitFor(t, s, "every delivery acked", func() bool { return s.AllAcked(id) && len(rec.byID(id)) == 3 })
	for _, ev := range rec.byID(id) {
		if e := ev.(*bot.MessagePosted); e.MessageID != ts {
			t.Errorf("redelivery changed the event: %+v", e)
		}
	}
}

func TestSocketReconnects(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{PingInterval: 100 * time.Millisecond, RedeliverAfter: 500 * time.Millisecond})
	rec := &recorder{}
	a := start(t, s, rec, setup{tweak: func(a *Adapter) { a.pingInterval = 600 * time.Millisecond }})
	var ids []string
	say := func(text string) {
		s.Say(general, alice, text)
	}
	say("tip: before")
	s.Disconnect()
	say("tip: during a disconnect request")
	waitFor(t, s, "a second connection", func() bool { return s.Connections() >= 2 && s.Connected() })
	s.Drop()
	say("tip: while the line is cut")
	waitFor(t, s, "a third connection", func() bool { return s.Connections() >= 3 && s.Connected() })
	s.SetPinging(false)
	say("tip: while pings are missing")
	waitFor(t, s, "a fourth connection", func() bool { return s.Connections() >= 4 })
	s.SetPinging(true)
	say("tip: after")
	waitFor(t, s, "every event acked", func() bool {
		return len(s.Unacked()) == 0 && len(rec.all()) >= 5
	})
	seen := map[string]bool{}
	for _, ev := range rec.all() {
		e := ev.(*bot.MessagePosted)
		if !seen[e.ID] {
			ids = append(ids, e.ID)
		}
		seen[e.ID] = true
	}
	if len(ids) != 5 {
		t.Errorf("core saw %d distinct events, want 5", len(ids))
	}
	if !a.Connected() {
		t.Error("adapter not connected at the end")
	}
}

func TestSocketUnknownEnvelopesAreAcked(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{}
	start(t, s, rec, setup{})
	unknown := s.Emit(map[string]any{"type": "emoji_changed", "subtype": "add", "name": "x", "event_ts": "1.2"})
	garbage := s.Emit(map[string]any{"type": "message", "text": 42, "channel": general, "ts": "1.3"})
	waitFor(t, s, "acks", func() bool { return s.Acked(unknown) && s.Acked(garbage) })
	if n := len(rec.all()); n != 0 {
		t.Errorf("core got %d events", n)
	}
}

func TestSocketRefusedToken(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{AppToken: "xapp-other"})
	log, _ := testLogger(t)
	a, err := New(Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: s.URL(), Logger: log}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Run(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v, want an error about the token", err)
	}
	bad, err := New(Config{BotToken: "xoxb-wrong", AppToken: "xapp-test", APIURL: strings.TrimSuffix(s.URL(), "/"), Logger: log}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Run(ctx); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Run = %v, want invalid_auth", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{
		{},
		{BotToken: "xoxb"},
		{Mode: "http", BotToken: "xoxb"},
		{Mode: "rtm", BotToken: "xoxb", AppToken: "xapp"},
		{BotToken: "xoxb", AppToken: "xapp", APIURL: "ftp://x"},
		{BotToken: "xoxb", AppToken: "xapp", Locale: "de"},
	} {
		if _, err := New(c, &recorder{}); err == nil {
			t.Errorf("New(%+v) = nil error", c)
		}
	}
	if _, err := New(Config{BotToken: "xoxb", AppToken: "xapp"}, nil); err == nil {
		t.Error("New with no handler = nil error")
	}
}

func TestSocketCaptureWaitsOutHistoryRateLimit(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{RedeliverAfter: 300 * time.Millisecond})
	rec := &recorder{}
	start(t, s, rec, setup{tweak: func(a *Adapter) { a.fetchTimeout = 400 * time.Millisecond }})
	old := s.AddMessage(general, alice, "", "tip: read the error message twice")
	s.FailNext("conversations.history", 1, 2*time.Second)
	s.React(general, old, bob, "bookmark")
	var id string
	waitFor(t, s, "the capture reaction", func() bool {
		for _, ev := range rec.all() {
			if e, ok := ev.(*bot.ReactionAdded); ok && e.Message.Text != "" {
				id = e.ID
				return true
			}
		}
		return false
	})
	waitFor(t, s, "the ack", func() bool { return s.Acked(id) })
	// The history is read once more, after Retry-After (the limiter's
	// wait is timed in TestRetryAfterIsWaitedOut).
	var statuses []int
	for _, c := range s.Calls("conversations.history") {
		statuses = append(statuses, c.Status)
	}
	// A redelivery that arrives while the first read waits may read
	// again: one 429, then only successes.
	if len(statuses) < 2 || statuses[0] != http.StatusTooManyRequests ||
		slices.ContainsFunc(statuses[1:], func(c int) bool { return c != http.StatusOK }) {
		t.Errorf("conversations.history answered %v, want a 429 then 200s", statuses)
	}
	if n := s.Deliveries(id); n < 2 {
		t.Errorf("event delivered %d times; want Slack to send it again while rate limited", n)
	}
	for _, ev := range rec.byID(id) {
		if e := ev.(*bot.ReactionAdded); e.Message.Text != "tip: read the error message twice" {
			t.Errorf("core got the reaction without the message: %+v", e)
		}
	}
}

func TestSocketLargeReplyGoesThroughResponseURL(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{reply: func(bot.Event) (bot.Reply, error) {
		m := &bot.Message{Title: "Search"}
		for i := range 40 {
			m.Lines = append(m.Lines, bot.Line{Text: fmt.Sprintf("%d. %s", i, strings.Repeat("long tip text ", 60))})
		}
		return m, nil
	}}
	start(t, s, rec, setup{})
	in := s.Command(general, bob, "/tips", "search long")
	ack, _, ok := in.Ack(5 * time.Second)
	if !ok || ack.Raw != nil {
		t.Fatalf("ack = %+v; a reply over Socket Mode's 20 KiB must not be in the ack", ack)
	}
	waitFor(t, s, "the reply", func() bool { return len(in.Responses()) == 1 })
	if r := in.Responses()[0]; !strings.Contains(string(r.Blocks), "39. long tip") || r.ResponseType != "ephemeral" {
		t.Errorf("response = %.200s", r.Raw)
	}
}

func TestTrustedResponseURL(t *testing.T) {
	t.Parallel()
	a, err := New(Config{BotToken: "x", AppToken: "y", APIURL: "http://127.0.0.1:8099/api/"}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	for u, want := range map[string]bool{
		"https://hooks.slack.com/commands/T1/2/3":  true,
		"https://hooks.slack-gov.com/app/T1/2/3":   true,
		"http://127.0.0.1:8099/hooks/1":            true,
		"http://hooks.slack.com/commands/T1/2/3":   false,
		"https://hooks.slack.com.evil.io/x":        false,
		"https://evil.io/?https://hooks.slack.com": false,
		"http://127.0.0.1:8100/hooks/1":            false,
		"::":                                       false,
	} {
		if got := a.trustedURL(u); got != want {
			t.Errorf("trustedURL(%q) = %v, want %v", u, got, want)
		}
	}
}
