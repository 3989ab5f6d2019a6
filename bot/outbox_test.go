package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// outboxStatus returns the outbox's pending and refused counts.
func (h *harness) outboxStatus() (pending, failed int64) {
	h.t.Helper()
	pending, failed, err := h.bot.OutboxStatus(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return pending, failed
}

// crash stops the Bot as kill -9 would: nothing more is sent, the store is
// closed with whatever the outbox holds.
func (h *harness) crash() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.bot.Shutdown(ctx)
	h.close()
}

func (h *harness) setFailPosts(fail bool) {
	h.chat.mu.Lock()
	h.chat.failPosts = fail
	h.chat.mu.Unlock()
}

func (h *harness) tipByID(id bot.TipID) (bot.Tip, error) {
	var t bot.Tip
	err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		t, err = tx.Tip(id)
		return err
	})
	return t, err
}

// A /tip whose post could not be sent before a crash is posted after the
// restart, becomes the tip's message and gets its acknowledgement reaction.
func TestOutboxSurvivesACrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.setFailPosts(true)
	if out := h.command(alice, "tip", "rebase onto main before review #git"); !strings.Contains(out, "t1 is recorded") {
		t.Fatalf("/tip = %q", out)
	}
	if pending, _ := h.outboxStatus(); pending != 1 {
		t.Errorf("pending before the crash = %d, want 1", pending)
	}
	h.crash()
	h.setFailPosts(false)
	h.open()
	if posts := h.postsWith("rebase onto main"); len(posts) != 0 {
		t.Fatalf("posted before the restart: %+v", posts)
	}
	stop := h.runScheduler() // resumes the outbox
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if pending, _ := h.outboxStatus(); pending == 0 {
			break
		}
	}
	stop()
	posts := h.postsWith("rebase onto main")
	if len(posts) != 1 {
		t.Fatalf("posts after restart = %d, want 1", len(posts))
	}
	tip, err := h.tipByID(1)
	if err != nil {
		t.Fatal(err)
	}
	if tip.MessageID != posts[0].ID {
		t.Errorf("tip message id = %q, want the post's %q", tip.MessageID, posts[0].ID)
	}
	_, reactions, _ := h.chat.snapshot()
	if want := "#general/" + posts[0].ID + ":bulb"; len(reactions) != 1 || reactions[0] != want {
		t.Errorf("reactions = %v, want [%s]", reactions, want)
	}
	if pending, failed := h.outboxStatus(); pending != 0 || failed != 0 {
		t.Errorf("outbox after delivery: pending %d, failed %d; want 0, 0", pending, failed)
	}
}

// Temporary failures (network, 5xx) are retried with backoff for as long as
// they last; the message is sent once the platform is back, once.
func TestOutboxRetriesUntilDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), nil)
		h.setFailPosts(true)
		h.command(alice, "tip", "name your branches after the ticket #git")
		time.Sleep(10 * time.Minute) // a long outage
		synctest.Wait()
		if n := len(h.postsWith("name your branches")); n != 0 {
			t.Fatalf("posts during the outage = %d", n)
		}
		h.setFailPosts(false)
		time.Sleep(maxRetry)
		synctest.Wait()
		h.bot.Wait()
		if n := len(h.postsWith("name your branches")); n != 1 {
			t.Fatalf("posts after the outage = %d, want 1", n)
		}
		if pending, _ := h.outboxStatus(); pending != 0 {
			t.Errorf("pending = %d, want 0", pending)
		}
	})
}

// maxRetry is the outbox's longest wait between two attempts.
const maxRetry = time.Minute

// A /tip in a channel where the platform refuses the bot's post is
// withdrawn, its author told why; the refusal is counted.
func TestRefusedTipIsWithdrawn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.chat.refuse = func(dest string) bool { return dest == "#locked" }
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#locked", User: alice, Name: "tip", Text: "keep secrets out of logs"})
	if r == nil || !strings.Contains(r.Text(), "t1") {
		t.Fatalf("/tip reply = %v", r)
	}
	if _, err := h.tipByID(1); err == nil {
		t.Errorf("the refused tip is still recorded")
	}
	_, _, directs := h.chat.snapshot()
	if len(directs) != 1 || directs[0].Channel != "alice" || !strings.Contains(directs[0].Message.Text(), "could not be posted in #locked") {
		t.Errorf("directs = %+v, want one notice to alice", directs)
	}
	if pending, failed := h.outboxStatus(); pending != 0 || failed != 1 {
		t.Errorf("outbox: pending %d, failed %d; want 0, 1", pending, failed)
	}
	report, err := h.bot.Report(context.Background(), h.ws, bot.Month, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.Text(), "Outbox: 0 messages waiting to be sent · 1 refused by the platform") {
		t.Errorf("report does not show the outbox:\n%s", report.Text())
	}
}

// A trainer whose prompt the platform refuses is told privately; the
// session's in-thread recap is dropped quietly, the channel recap refused
// and told too.
func TestRefusedPromptTellsTrainer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer"} })
	h.chat.refuse = func(dest string) bool { return dest == "#gone" }
	h.command(trainer, "tips", "prompt #gone Retro")
	h.command(trainer, "tips", "close s1")
	_, _, directs := h.chat.snapshot()
	var texts []string
	for _, d := range directs {
		if d.Channel == "trainer" {
			texts = append(texts, d.Message.Text())
		}
	}
	if len(texts) != 2 || !strings.Contains(texts[0], "prompt of session s1 could not be posted in #gone") ||
		!strings.Contains(texts[1], "recap of session s1 could not be posted") {
		t.Errorf("trainer's notices = %q", texts)
	}
	if pending, failed := h.outboxStatus(); pending != 0 || failed != 2 {
		t.Errorf("outbox: pending %d, failed %d; want 0, 2", pending, failed)
	}
}

// capture.max_per_minute: beyond it a person's tips are not recorded and
// they are told, once a minute for messages, every time for /tip.
func TestCaptureRate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.MaxPerMinute = 3 })
	var replies []string
	for i := range 5 {
		id := h.nextID("m")
		text := fmt.Sprintf("tip: number %d", i)
		h.msgs[id] = bot.MessageInfo{Author: alice, Text: text}
		r := h.handle(&bot.MessagePosted{EventMeta: h.meta(), Channel: "#general", MessageID: id, Author: alice, Text: text})
		if r != nil {
			replies = append(replies, r.Text())
		}
		if _, err := h.tryTip(id); (err == nil) != (i < 3) {
			t.Errorf("message %d recorded = %v, want %v", i, err == nil, i < 3)
		}
	}
	if len(replies) != 1 || !strings.Contains(replies[0], "at most 3 tips a minute") {
		t.Errorf("replies to messages = %q, want one slow-down", replies)
	}
	if out := h.command(alice, "tip", "one more"); !strings.Contains(out, "Slow down") {
		t.Errorf("/tip over the limit = %q", out)
	}
	if out := h.command(bob, "tip", "bob is not limited by alice"); !strings.Contains(out, "recorded") {
		t.Errorf("bob's /tip = %q", out)
	}
	h.advance(time.Minute)
	if out := h.command(alice, "tip", "a minute later"); !strings.Contains(out, "recorded") {
		t.Errorf("/tip a minute later = %q", out)
	}
}

// One person's burst of /tip in a channel does not hold up a trainer's
// prompt or another person's tip there: prompts go first, people take
// turns. The chat takes a second per post, as Slack paces a channel.
func TestOneChannelIsServedFairly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), func(c *bot.Config) { c.MaxPerMinute = 10 })
		h.chat.postDelay = time.Second
		slowDowns := 0
		for i := range 300 {
			r, err := h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general",
				User: alice, Name: "tip", Text: fmt.Sprintf("burst number %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.Text(), "Slow down") {
				slowDowns++
			}
		}
		if slowDowns != 290 {
			t.Errorf("slow-down replies = %d, want 290", slowDowns)
		}
		if _, err := h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general",
			User: bob, Name: "tip", Text: "bob's own tip"}); err != nil {
			t.Fatal(err)
		}
		asked := time.Now()
		if _, err := h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general",
			User: trainer, Name: "tips", Text: "prompt Onboarding"}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(time.Minute)
		synctest.Wait()
		h.bot.Wait()
		prompts := h.postsWith("What did you retain from «Onboarding»")
		if len(prompts) != 1 {
			t.Fatalf("prompts = %d, want 1", len(prompts))
		}
		if took := prompts[0].At.Sub(asked); took > 5*time.Second {
			t.Errorf("prompt posted %v after it was asked, want ≤ 5s", took)
		}
		posts, _, _ := h.chat.snapshot()
		if len(posts) != 12 {
			t.Errorf("posts = %d, want 12 (10 of alice's tips, bob's, the prompt)", len(posts))
		}
		for i, p := range posts {
			if strings.Contains(p.Message.Text(), "bob's own tip") && i > 3 {
				t.Errorf("bob's tip was post %d: alice's burst held it up", i+1)
			}
		}
	})
}

// stuckChat posts, then never hears back: tipbot dies before it can record
// the post as sent.
type stuckChat struct{ *recordingChat }

func (c stuckChat) Post(ctx context.Context, ws bot.Workspace, channel string, m bot.Message) (string, error) {
	if _, err := c.recordingChat.Post(ctx, ws, channel, m); err != nil {
		return "", err
	}
	<-ctx.Done()
	return "", ctx.Err()
}

// findingChat can look for the posts it made (bot.PostFinder).
type findingChat struct{ *recordingChat }

func (c findingChat) FindPost(_ context.Context, _ bot.Workspace, channel string, m bot.Message, since time.Time) (string, error) {
	posts, _, _ := c.snapshot()
	for _, p := range posts {
		if p.Channel == channel && p.Message.Text() == m.Text() && p.Message.Thread == m.Thread && !p.At.Before(since) {
			return p.ID, nil
		}
	}
	return "", nil
}

// A post that went out just before a crash, unrecorded, is found at the
// restart and not made again: the tip links to it.
func TestOutboxDoesNotRepostWhatWentOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.bot.Attach(bot.Shell, stuckChat{h.chat})
	// Not h.handle: its Wait would wait for the stuck post.
	r, err := h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: alice,
		Name: "tip", Text: "read the diff before the review"})
	if err != nil || r == nil || !strings.Contains(r.Text(), "t1") {
		t.Fatalf("/tip = %v, %v", r, err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(h.postsWith("read the diff")) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the post never went out")
		}
	}
	h.crash()
	h.open()
	h.bot.Attach(bot.Shell, findingChat{h.chat})
	stop := h.runScheduler()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if pending, _ := h.outboxStatus(); pending == 0 {
			break
		}
	}
	stop()
	posts := h.postsWith("read the diff")
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want 1 (found, not posted again)", len(posts))
	}
	tip, err := h.tipByID(1)
	if err != nil || tip.MessageID != posts[0].ID {
		t.Errorf("tip = %+v, %v; want it linked to %s", tip, err, posts[0].ID)
	}
	_, reactions, _ := h.chat.snapshot()
	if want := "#general/" + posts[0].ID + ":bulb"; len(reactions) != 1 || reactions[0] != want {
		t.Errorf("reactions = %v, want [%s]", reactions, want)
	}
}
