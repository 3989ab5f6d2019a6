package slack

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// world is tipbot as a new user runs it: the real core on a real bbolt
// file, the adapter, and a fake Slack standing in for slack.com through
// the API URL.
type world struct {
	t   *testing.T
	s   *slacktest.Server
	db  *store.DB
	bot *bot.Bot
	a   *Adapter
	// shift moves the core's clock ahead of the system's (follow-ups).
	shift *atomic.Int64
}

func newWorld(t *testing.T, mode string) *world {
	t.Helper()
	s := newFake(t, slacktest.Options{RedeliverAfter: 500 * time.Millisecond})
	s.Join(general, alice, bob, carol, dave, admin)
	s.Join(train, bob, carol, admin)
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.DefaultConfig()
	cfg.Threshold = 3
	cfg.HallOfFame[Platform] = fame
	log, _ := testLogger(t)
	shift := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())).UTC() }
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: cfg, Store: db, Now: now, Cron: cron.Parse, Logger: log.With("component", "core")})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, s: s, db: db, bot: b, shift: shift}
	// Cleanups run last in, first out: the adapter stops, then the core's
	// deliveries finish, then the store is checked and closed.
	t.Cleanup(func() {
		b.Wait()
		b.Shutdown(context.Background())
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	tweak := func(a *Adapter) { b.Attach(Platform, a) }
	if mode == ModeHTTP {
		w.a, _ = startHTTP(t, s, b, setup{tweak: tweak})
	} else {
		w.a = start(t, s, b, setup{tweak: tweak})
	}
	// At first start the adapter lists the workspace's members.
	waitFor(t, s, "the directory of people listed", func() bool {
		at, err := b.DirectoryListedAt(context.Background(), team)
		return err == nil && !at.IsZero()
	})
	return w
}

// settle waits until Slack has every event acknowledged and the core has
// delivered everything (which causes events again: the bot's own posts and
// reactions), until nothing moves.
func (w *world) settle() {
	w.t.Helper()
	for range 20 {
		waitFor(w.t, w.s, "every delivery acknowledged", func() bool { return len(w.s.Unacked()) == 0 && w.s.Quiet() })
		w.bot.Wait()
		before := len(w.s.Calls(""))
		time.Sleep(30 * time.Millisecond)
		if len(w.s.Unacked()) == 0 && len(w.s.Calls("")) == before {
			return
		}
	}
	w.t.Fatal("the world does not settle")
}

func (w *world) tip(channel, ts string) (bot.Tip, error) {
	var tip bot.Tip
	err := w.db.View(context.Background(), team, func(tx bot.ReadTx) error {
		var err error
		tip, err = tx.TipByMessage(channel, ts)
		return err
	})
	return tip, err
}

func (w *world) mustTip(channel, ts string) bot.Tip {
	w.t.Helper()
	tip, err := w.tip(channel, ts)
	if err != nil {
		w.t.Fatalf("tip of %s/%s: %v", channel, ts, err)
	}
	return tip
}

func (w *world) votes(channel, ts string) int { return w.mustTip(channel, ts).UsefulVotes }

// ask runs a slash command and returns its private answer (the ack, or,
// after an empty ack, the response_url message for slow ones).
func (w *world) ask(user, command, text string) string {
	w.t.Helper()
	in := w.s.Command(general, user, command, text)
	ack, after, ok := in.Ack(5 * time.Second)
	if !ok {
		w.t.Fatalf("%s %s: no acknowledgement", command, text)
	}
	if after > 3*time.Second {
		w.t.Errorf("%s %s: acknowledged after %v", command, text, after)
	}
	answer := ack
	if ack.Raw == nil {
		waitFor(w.t, w.s, "the late answer to "+text, func() bool { return len(in.Responses()) > 0 })
		answer = in.Responses()[0]
	}
	if answer.ResponseType != "ephemeral" {
		w.t.Errorf("%s %s: answer is not private: %+v", command, text, answer)
	}
	if strings.TrimSpace(answer.Text) == "" || strings.Contains(answer.Text, catalog["en"].failed) {
		w.t.Errorf("%s %s: answer %q", command, text, answer.Text)
	}
	return answer.Text
}

func TestEndToEndSocket(t *testing.T) {
	t.Parallel()
	endToEnd(t, ModeSocket)
}

func TestEndToEndHTTP(t *testing.T) {
	t.Parallel()
	endToEnd(t, ModeHTTP)
}

// endToEnd is the "done when", tried as a new user would: tips
// from every source, votes tallied exactly (duplicates, redeliveries and
// removals included), the hall of fame posted once, every /tips command
// answered privately, and, in socket mode, all of it across forced
// reconnects.
func endToEnd(t *testing.T, mode string) {
	w := newWorld(t, mode)
	s := w.s

	// 1. Capture by prefix, acknowledged with the bulb reaction.
	gitTip := s.Say(general, alice, "tip: use git bisect to find regressions #git")
	w.settle()
	tip := w.mustTip(general, gitTip)
	if tip.Source != bot.SourcePrefix || tip.AuthorID != alice || tip.AuthorName != "Alice" || tip.Topics[0] != "git" {
		t.Errorf("prefix tip = %+v", tip)
	}
	if got := s.Reactions(general, gitTip)["bulb"]; len(got) != 1 || got[0] != "U0TIPBOT1" {
		t.Errorf("ack reaction = %v", got)
	}

	// 2. Votes: one per person whatever the emojis and skin tones; not the
	// author, not the bot; a removal takes the vote back.
	s.React(general, gitTip, bob, "bulb")
	s.React(general, gitTip, bob, "+1")
	s.React(general, gitTip, carol, "+1::skin-tone-2")
	s.React(general, gitTip, alice, "bulb")
	s.React(general, gitTip, dave, "star")
	s.Unreact(general, gitTip, dave, "star")
	w.settle()
	if got := w.votes(general, gitTip); got != 2 {
		t.Errorf("votes = %d, want 2 (bob, carol)", got)
	}

	// Redelivered envelopes change nothing and are acknowledged again.
	for _, id := range s.Unacked() {
		t.Fatalf("event %s left unacknowledged", id)
	}
	votes := w.reactionEvents()
	for _, id := range votes {
		s.Redeliver(id)
	}
	// An event counts as acknowledged once any delivery was: wait for the
	// second ones before settling.
	waitFor(t, s, "the redeliveries acknowledged", func() bool {
		for _, id := range votes {
			if !s.AllAcked(id) || s.Deliveries(id) < 2 {
				return false
			}
		}
		return true
	})
	w.settle()
	if got := w.votes(general, gitTip); got != 2 {
		t.Errorf("votes after redelivery = %d, want 2", got)
	}
	for _, id := range votes {
		if !s.AllAcked(id) || s.Deliveries(id) < 2 {
			t.Errorf("event %s: delivered %d times, all acked %v", id, s.Deliveries(id), s.AllAcked(id))
		}
	}

	if mode == ModeSocket {
		// A forced reconnect in the middle of the votes.
		s.Drop()
		s.React(general, gitTip, dave, "bulb")
		waitFor(t, s, "a new connection", func() bool { return s.Connections() >= 2 && s.Connected() })
		s.Disconnect()
		s.Unreact(general, gitTip, carol, "+1::skin-tone-2")
		s.React(general, gitTip, carol, "star")
		waitFor(t, s, "a third connection", func() bool { return s.Connections() >= 3 && s.Connected() })
	} else {
		s.React(general, gitTip, dave, "bulb")
		s.Unreact(general, gitTip, carol, "+1::skin-tone-2")
		s.React(general, gitTip, carol, "star")
	}
	w.settle()
	if got := w.votes(general, gitTip); got != 3 {
		t.Errorf("votes = %d, want 3 (bob, carol, dave)", got)
	}

	// 3. The hall of fame: posted once at the threshold (3), and the
	// author thanked privately, even when votes go down and up again.
	s.Unreact(general, gitTip, dave, "bulb")
	s.React(general, gitTip, dave, "bulb")
	w.settle()
	if posts := s.BotMessages(fame); len(posts) != 1 || !strings.Contains(posts[0].Text, "git bisect") {
		t.Errorf("hall of fame posts = %+v", posts)
	}
	if dms := s.BotMessages(s.DMChannel(alice)); len(dms) != 1 || !strings.Contains(dms[0].Text, "hall of fame") {
		t.Errorf("thanks to alice = %+v", dms)
	}

	// 4. Capture by reaction on an older message, by someone else.
	old := s.AddMessage(general, carol, "", "Keep pull requests under 400 lines #reviews")
	s.React(general, old, dave, "bookmark")
	w.settle()
	if tip := w.mustTip(general, old); tip.Source != bot.SourceReaction || tip.AuthorID != carol || tip.AuthorName != "Carol" ||
		tip.Text != "Keep pull requests under 400 lines #reviews" {
		t.Errorf("reaction tip = %+v", tip)
	}

	// 5. Votes before capture count once the message is a tip: here by
	// the "Save as tip" shortcut.
	later := s.AddMessage(general, dave, "", "Write the test before the fix")
	s.React(general, later, bob, "bulb")
	w.settle()
	if _, err := w.tip(general, later); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("message captured before the shortcut: %v", err)
	}
	sc := s.Shortcut(general, later, carol, "save_tip")
	w.settle()
	waitFor(t, s, "the shortcut's answer", func() bool { return len(sc.Responses()) == 1 })
	if tip := w.mustTip(general, later); tip.Source != bot.SourceShortcut || tip.AuthorID != dave || tip.UsefulVotes != 1 {
		t.Errorf("shortcut tip = %+v", tip)
	}
	if r := sc.Responses()[0]; r.ResponseType != "ephemeral" {
		t.Errorf("shortcut answer = %+v", r)
	}

	// 6. Capture by /tip: the bot posts the tip, that post is the tip's
	// message and collects the votes.
	answer := w.ask(alice, "/tip", "always pin your dependencies &amp; check the lockfile #go")
	if !strings.Contains(answer, "recorded") {
		t.Errorf("/tip answer = %q", answer)
	}
	w.settle()
	var post slacktest.Message
	for _, m := range s.BotMessages(general) {
		if strings.Contains(m.Text, "pin your dependencies") {
			post = m
		}
	}
	if post.TS == "" {
		t.Fatalf("no /tip post in %+v", s.BotMessages(general))
	}
	s.React(general, post.TS, bob, "+1")
	w.settle()
	if tip := w.mustTip(general, post.TS); tip.Source != bot.SourceCommand || tip.AuthorID != alice || tip.UsefulVotes != 1 {
		t.Errorf("/tip tip = %+v", tip)
	}

	// 7. A session prompt and a thread reply to it.
	w.ask(admin, "/tips", "prompt <#"+train+"|training> in 2h Git basics")
	w.settle()
	var prompt slacktest.Message
	for _, m := range s.BotMessages(train) {
		if strings.Contains(m.Text, "Git basics") {
			prompt = m
		}
	}
	if prompt.TS == "" {
		t.Fatalf("no prompt in %+v", s.BotMessages(train))
	}
	reply := s.Reply(train, prompt.TS, carol, "git rebase -i lets you clean history before a review")
	w.settle()
	if tip := w.mustTip(train, reply); tip.Source != bot.SourceSession || tip.ThreadID != prompt.TS || tip.SessionID == 0 {
		t.Errorf("session tip = %+v", tip)
	}

	// 8. Edits update tips, deletes delete them.
	s.Edit(general, old, "Keep pull requests under 300 lines #reviews")
	w.settle()
	if tip := w.mustTip(general, old); tip.Text != "Keep pull requests under 300 lines #reviews" {
		t.Errorf("edited tip = %q", tip.Text)
	}
	s.Delete(general, old)
	w.settle()
	if _, err := w.tip(general, old); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("deleted message's tip: %v", err)
	}

	// 9. Every /tips command answers privately.
	for _, c := range []struct{ user, text, want string }{
		{bob, "help", "/tips"},
		{bob, "top", "git bisect"},
		{bob, "top week", ""},
		{bob, "search git", "bisect"},
		{alice, "me", ""},
		{bob, "experts git", "Alice"},
		{bob, "forget-me", ""},
		{admin, "sessions", "Git basics"},
		{admin, "schedule list", ""},
		{admin, "report", ""},
		{admin, "pending", ""},
		{admin, "trainer add <@" + bob + "|bob>", ""},
		{bob, "report month <#" + general + "|general>", ""},
		{admin, "feature t1", ""},
		{bob, "export", ""},
		{bob, "frobnicate", "frobnicate"},
	} {
		got := w.ask(c.user, "/tips", c.text)
		t.Logf("/tips %s → %q", c.text, got)
		if !strings.Contains(got, c.want) {
			t.Errorf("/tips %s = %q, want it to mention %q", c.text, got, c.want)
		}
	}
	if got := w.ask(admin, "/tips", "export csv"); !strings.Contains(got, ".csv") {
		t.Errorf("export answer = %q", got)
	}
	w.settle()
	waitFor(t, s, "the export file", func() bool { return len(s.Files()) == 1 })
	if f := s.Files()[0]; f.Channel != s.DMChannel(admin) || !strings.Contains(string(f.Data), "git bisect") {
		t.Errorf("export file = %+v", f)
	}
	w.settle()
	if posts := s.BotMessages(fame); len(posts) != 1 {
		t.Errorf("%d hall of fame posts at the end, want 1", len(posts))
	}
	if n := s.RateLimited(); n != 0 {
		t.Errorf("%d calls rate limited", n)
	}
}

// reactionEvents returns the ids of the reaction events Slack sent so far.
func (w *world) reactionEvents() []string {
	var ids []string
	for _, id := range w.s.EventIDs() {
		if typ := w.s.EventType(id); typ == "reaction_added" || typ == "reaction_removed" {
			ids = append(ids, id)
		}
	}
	return ids
}
