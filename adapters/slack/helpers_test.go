package slack

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

// recorder is a Handler that records events; reply, when set, decides the
// answer.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	reply  func(ev bot.Event) (bot.Reply, error)
}

func (r *recorder) Handle(ctx context.Context, ev bot.Event) (bot.Reply, error) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	reply := r.reply
	r.mu.Unlock()
	if reply != nil {
		return reply(ev)
	}
	return nil, nil
}

func (r *recorder) all() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

// distinct returns the recorded events, once per event id (the first
// delivery): on a loaded machine an ack can come after the fake's
// RedeliverAfter and an event reach the handler twice, as it may from
// Slack; the core drops the repeat by its id.
func (r *recorder) distinct() []bot.Event {
	seen := map[string]bool{}
	var out []bot.Event
	for _, ev := range r.all() {
		if id := bot.MetaOf(ev).ID; !seen[id] {
			seen[id] = true
			out = append(out, ev)
		}
	}
	return out
}

// byID returns the recorded events with that event id.
func (r *recorder) byID(id string) []bot.Event {
	var out []bot.Event
	for _, ev := range r.all() {
		if bot.MetaOf(ev).ID == id {
			out = append(out, ev)
		}
	}
	return out
}

// syncBuffer collects logs; they are printed when the test fails.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func testLogger(t *testing.T) (*slog.Logger, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("adapter log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// The people of the fake workspace.
const (
	alice   = "U0ALICE01"
	bob     = "U0BOB0001"
	carol   = "U0CAROL01"
	dave    = "U0DAVE001"
	admin   = "U0ADMIN01"
	general = "C0GENERAL"
	train   = "C0TRAINING"
	fame    = "C0FAME001"
)

func newFake(t *testing.T, o slacktest.Options) *slacktest.Server {
	t.Helper()
	if o.RedeliverAfter == 0 {
		o.RedeliverAfter = 400 * time.Millisecond
	}
	s := slacktest.NewServer(o)
	t.Cleanup(func() {
		s.Close()
		if errs := s.Errors(); len(errs) > 0 {
			t.Errorf("fake Slack saw bad requests:\n%s", strings.Join(errs, "\n"))
		}
	})
	s.AddUser(slacktest.User{ID: alice, Name: "alice", DisplayName: "Alice", RealName: "Alice Martin"})
	s.AddUser(slacktest.User{ID: bob, Name: "bob", RealName: "Bob Stone"})
	s.AddUser(slacktest.User{ID: carol, Name: "carol", DisplayName: "Carol"})
	s.AddUser(slacktest.User{ID: dave, Name: "dave", DisplayName: "Dave"})
	s.AddUser(slacktest.User{ID: admin, Name: "boss", DisplayName: "Boss", Admin: true})
	s.AddChannel(general, "general")
	s.AddChannel(train, "training")
	s.AddChannel(fame, "hall-of-fame")
	return s
}

type setup struct {
	mode   string
	tweak  func(*Adapter)
	now    func() time.Time
	locale string
}

// start runs an adapter against the fake until the test ends, and waits
// until it is connected.
func start(t *testing.T, s *slacktest.Server, h Handler, o setup) *Adapter {
	t.Helper()
	log, _ := testLogger(t)
	mode := o.mode
	if mode == "" {
		mode = ModeSocket
	}
	a, err := New(Config{Mode: mode, BotToken: "xoxb-test", AppToken: "xapp-test", SigningSecret: "s3cr3t",
		APIURL: s.URL(), Logger: log, Now: o.now, Locale: o.locale}, h)
	if err != nil {
		t.Fatal(err)
	}
	a.pingInterval = time.Second
	if o.tweak != nil {
		o.tweak(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if !s.WaitFor(5*time.Second, func() bool {
		return a.Connected() && (mode == ModeHTTP || s.Connected())
	}) {
		t.Fatal("adapter did not connect")
	}
	return a
}

func waitFor(t *testing.T, s *slacktest.Server, what string, cond func() bool) {
	t.Helper()
	if !s.WaitFor(10*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
