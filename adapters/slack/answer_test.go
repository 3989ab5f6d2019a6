package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// busyHandler is a core whose store never takes the command in time: like
// store.DB.Update while its writer is held, it returns the context's error
// once the context ends, having committed nothing.
type busyHandler struct{ rec *recorder }

func (b busyHandler) Handle(ctx context.Context, ev bot.Event) (bot.Reply, error) {
	_, _ = b.rec.Handle(ctx, ev)
	<-ctx.Done()
	return nil, ctx.Err()
}

// funcHandler is a Handler made of a function.
type funcHandler func(ctx context.Context, ev bot.Event) (bot.Reply, error)

func (f funcHandler) Handle(ctx context.Context, ev bot.Event) (bot.Reply, error) { return f(ctx, ev) }

const hookURL = "https://hooks.slack.com/commands/T0TEAM001/1/secret"

// hookPost is a message sent to response_url, and when, from the start of
// the test's bubble.
type hookPost struct {
	at  time.Duration
	msg slackapi.WebhookMessage
}

// fakeHooks stands in for Slack's response_url endpoint, in memory, so
// that answer can run under testing/synctest.
type fakeHooks struct {
	start time.Time
	mu    sync.Mutex
	posts []hookPost
}

func (f *fakeHooks) RoundTrip(req *http.Request) (*http.Response, error) {
	var m slackapi.WebhookMessage
	err := json.NewDecoder(req.Body).Decode(&m)
	req.Body.Close()
	if err != nil || req.URL.String() != hookURL {
		return nil, errors.New("fake hooks: unexpected request")
	}
	f.mu.Lock()
	f.posts = append(f.posts, hookPost{at: time.Since(f.start), msg: m})
	f.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("ok")), Request: req}, nil
}

func (f *fakeHooks) all() []hookPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hookPost(nil), f.posts...)
}

// answerRun is what one call of answer did.
type answerRun struct {
	start time.Time // arrival
	acks  int
	ack   *slackapi.WebhookMessage
	after time.Duration // from arrival to the ack
	late  []hookPost
}

// runAnswer answers /tip from Bob with h as the core, in a synctest bubble
// (call it inside synctest.Test), and waits for the late deliveries.
func runAnswer(t *testing.T, h Handler, locale string, carriesReply bool) answerRun {
	t.Helper()
	log, _ := testLogger(t)
	a, err := New(Config{Mode: ModeHTTP, BotToken: "xoxb-test", SigningSecret: "s3cr3t", APIURL: "http://127.0.0.1:9/",
		Locale: locale, Logger: log}, h)
	if err != nil {
		t.Fatal(err)
	}
	hooks := &fakeHooks{start: time.Now()}
	a.hooks = &http.Client{Transport: hooks}
	ev, err := translateCommand(slackapi.SlashCommand{TeamID: team.ID, ChannelID: general, UserID: bob, Command: "/tip",
		Text: "squash before merging", ResponseURL: hookURL, TriggerID: "1.2.3"}, "")
	if err != nil {
		t.Fatal(err)
	}
	run := answerRun{start: time.Now()}
	a.answer(ev, hookURL, carriesReply, func(p *slackapi.WebhookMessage) {
		run.acks++
		run.ack = p
		run.after = time.Since(run.start)
	})
	a.tasks.Wait()
	run.late = hooks.all()
	return run
}

func reply(text string) bot.Reply { return &bot.Message{Lines: []bot.Line{{Text: text}}} }

func TestAnswerCommittedInTimeIsInTheAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var deadline time.Time
		run := runAnswer(t, funcHandler(func(ctx context.Context, ev bot.Event) (bot.Reply, error) {
			deadline, _ = ctx.Deadline()
			time.Sleep(500 * time.Millisecond) // a commit
			return reply("Tip saved"), nil
		}), "en", true)
		if run.acks != 1 || run.ack == nil || run.ack.Text != "Tip saved" || run.ack.ResponseType != "ephemeral" {
			t.Fatalf("ack = %+v (%d acks)", run.ack, run.acks)
		}
		if run.after != 500*time.Millisecond {
			t.Errorf("acknowledged after %v, want as soon as committed (500ms)", run.after)
		}
		// The core had until 1.8 s after arrival to commit.
		if got := deadline.Sub(run.start); got != 1800*time.Millisecond {
			t.Errorf("core's deadline %v after arrival, want 1.8s", got)
		}
		if len(run.late) != 0 {
			t.Errorf("late messages %+v, want none", run.late)
		}
	})
}

func TestAnswerNotCommittedInTimeSaysNotSaved(t *testing.T) {
	for _, locale := range []string{"en", "fr"} {
		t.Run(locale, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				run := runAnswer(t, busyHandler{rec}, locale, true)
				if run.acks != 1 || run.ack == nil || run.ack.Text != catalog[locale].busy || run.ack.ResponseType != "ephemeral" {
					t.Fatalf("ack = %+v (%d acks), want %q", run.ack, run.acks, catalog[locale].busy)
				}
				if run.after != 1800*time.Millisecond {
					t.Errorf("acknowledged after %v, want when the core's context ended (1.8s)", run.after)
				}
				if len(run.late) != 0 {
					t.Errorf("late messages %+v, want none", run.late)
				}
				if len(rec.all()) != 1 {
					t.Errorf("core got %d commands", len(rec.all()))
				}
			})
		})
	}
	if !strings.HasPrefix(catalog["en"].busy, "⏳ Not saved: tipbot is busy") || !strings.Contains(catalog["fr"].busy, "Non enregistré") {
		t.Errorf("busy texts = %q, %q", catalog["en"].busy, catalog["fr"].busy)
	}
}

func TestAnswerCommitUnderWayAtTheDeadline(t *testing.T) {
	// The core took the command before its context ended (the store then
	// waits for the commit) but finishes after the ack deadline: the ack
	// is empty, the answer follows through response_url.
	synctest.Test(t, func(t *testing.T) {
		run := runAnswer(t, funcHandler(func(ctx context.Context, ev bot.Event) (bot.Reply, error) {
			time.Sleep(2500 * time.Millisecond)
			return reply("Tip saved"), nil
		}), "en", true)
		if run.acks != 1 || run.ack != nil || run.after != 2*time.Second {
			t.Fatalf("ack = %+v after %v (%d acks), want an empty ack at 2s", run.ack, run.after, run.acks)
		}
		if len(run.late) != 1 || run.late[0].msg.Text != "Tip saved" || run.late[0].msg.ResponseType != "ephemeral" ||
			run.late[0].at != 2500*time.Millisecond {
			t.Errorf("late messages %+v, want the reply at 2.5s", run.late)
		}
	})
	// Given up late: the person learns it was not saved.
	synctest.Test(t, func(t *testing.T) {
		run := runAnswer(t, funcHandler(func(ctx context.Context, ev bot.Event) (bot.Reply, error) {
			<-ctx.Done()
			time.Sleep(time.Second)
			return nil, ctx.Err()
		}), "en", true)
		if run.acks != 1 || run.ack != nil || run.after != 2*time.Second {
			t.Fatalf("ack = %+v after %v (%d acks), want an empty ack at 2s", run.ack, run.after, run.acks)
		}
		if len(run.late) != 1 || run.late[0].msg.Text != catalog["en"].busy {
			t.Errorf("late messages %+v, want %q", run.late, catalog["en"].busy)
		}
	})
}

func TestAnswerShortcutNotSaved(t *testing.T) {
	// Shortcuts are acknowledged empty: the person is told through
	// response_url.
	synctest.Test(t, func(t *testing.T) {
		run := runAnswer(t, busyHandler{&recorder{}}, "en", false)
		if run.acks != 1 || run.ack != nil || run.after != 1800*time.Millisecond {
			t.Fatalf("ack = %+v after %v (%d acks), want an empty ack at 1.8s", run.ack, run.after, run.acks)
		}
		if len(run.late) != 1 || run.late[0].msg.Text != catalog["en"].busy || run.late[0].at != 1800*time.Millisecond {
			t.Errorf("late messages %+v, want %q at once", run.late, catalog["en"].busy)
		}
	})
}

func TestAnswerTooLargeForTheAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		long := &bot.Message{}
		for range 300 {
			long.Lines = append(long.Lines, bot.Line{Text: strings.Repeat("x", 100)})
		}
		run := runAnswer(t, funcHandler(func(ctx context.Context, ev bot.Event) (bot.Reply, error) {
			time.Sleep(100 * time.Millisecond)
			return long, nil
		}), "en", true)
		if run.acks != 1 || run.ack != nil || run.after != 100*time.Millisecond {
			t.Fatalf("ack = %+v after %v (%d acks), want an empty ack once committed", run.ack, run.after, run.acks)
		}
		if len(run.late) != 1 || !strings.Contains(run.late[0].msg.Text, strings.Repeat("x", 100)) {
			t.Errorf("late messages: %d, want the long reply", len(run.late))
		}
	})
}

func TestAnswerFailureIsTold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		run := runAnswer(t, funcHandler(func(ctx context.Context, ev bot.Event) (bot.Reply, error) {
			return nil, errors.New("store closed")
		}), "en", true)
		if run.acks != 1 || run.ack == nil || run.ack.Text != catalog["en"].failed || run.after != 0 {
			t.Fatalf("ack = %+v after %v (%d acks)", run.ack, run.after, run.acks)
		}
	})
}

// TestSlashCommandNotSavedWhileStoreBusy runs /tip through the real core
// and store while the store's one writer is held: the command is never
// committed, and the person is told so rather than "working on it".
func TestSlashCommandNotSavedWhileStoreBusy(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	s.Join(general, alice, bob)
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, _ := testLogger(t)
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return time.Now().UTC() },
		Logger: log.With("component", "core")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Wait()
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	start(t, s, b, setup{tweak: func(a *Adapter) { b.Attach(Platform, a) }})
	tips := func() int {
		n := 0
		if err := db.View(context.Background(), team, func(tx bot.ReadTx) error {
			return tx.ForEachTip(func(bot.Tip) error { n++; return nil })
		}); err != nil && !errors.Is(err, bot.ErrNotFound) {
			t.Fatal(err)
		}
		return n
	}

	held, release := make(chan struct{}), make(chan struct{})
	writer := make(chan error, 1)
	go func() {
		writer <- db.Update(context.Background(), team, func(bot.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	in := s.Command(general, bob, "/tip", "pin your dependencies")
	ack, after, ok := in.Ack(10 * time.Second)
	close(release)
	if err := <-writer; err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("no ack")
	}
	if after > 3*time.Second {
		t.Errorf("acknowledged after %v, past Slack's 3 s", after)
	}
	told := ack
	if ack.Raw == nil { // the ack deadline came first
		waitFor(t, s, "the answer", func() bool { return len(in.Responses()) == 1 })
		told = in.Responses()[0]
	}
	if told.Text != catalog["en"].busy || told.ResponseType != "ephemeral" {
		t.Errorf("told %+v, want %q", told, catalog["en"].busy)
	}
	if n := tips(); n != 0 {
		t.Errorf("%d tips stored by a command told it was not saved", n)
	}

	// Once the store is free, the same command is saved and answered.
	again := s.Command(general, bob, "/tip", "pin your dependencies")
	ack, _, ok = again.Ack(10 * time.Second)
	if !ok || ack.Raw == nil || ack.Text == catalog["en"].busy || strings.Contains(ack.Text, catalog["en"].failed) {
		t.Errorf("second ack = %+v, %v; want the core's answer", ack, ok)
	}
	b.Wait()
	if n := tips(); n != 1 {
		t.Errorf("%d tips stored, want 1", n)
	}
}
