package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// countTips returns how many tips the workspace holds.
func countTips(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(bot.Tip) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRetriedTipIsOneTip is issue 23's "a person's retry is not a second
// tip": the same /tip sent again by the same person in the same channel
// within 10 minutes is answered privately "already recorded as t1" and
// recorded once; another channel, another person or a later retry makes a
// new tip. Shortcuts on two messages of the same text count once too.
func TestRetriedTipIsOneTip(t *testing.T) {
	h := newHarness(t, nil)
	alice, bob := user("alice"), user("bob")
	tip := func(u bot.User, channel, text string) bot.Reply {
		t.Helper()
		return h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: channel, User: u, Name: "tip", Text: text})
	}
	if r := tip(alice, "#general", "use git bisect to find regressions"); !strings.Contains(r.Text(), "t1") {
		t.Fatalf("first /tip: %q", r.Text())
	}
	h.advance(time.Minute)
	r := tip(alice, "#general", "  use git bisect   to find regressions ")
	if r == nil || !strings.Contains(r.Text(), "Already recorded as t1") {
		t.Fatalf("the same /tip a minute later: %#v, want a private \"already recorded as t1\"", r)
	}
	if n := countTips(t, h); n != 1 {
		t.Fatalf("after a retry: %d tips, want 1", n)
	}
	posts, _, _ := h.chat.snapshot()
	if len(posts) != 1 {
		t.Errorf("a retry posted again: %d posts", len(posts))
	}
	// Not retries: another channel, another person, a different text.
	tip(alice, "#random", "use git bisect to find regressions")
	tip(bob, "#general", "use git bisect to find regressions")
	tip(alice, "#general", "use git bisect run to find regressions")
	if n := countTips(t, h); n != 4 {
		t.Fatalf("other channel, person, text: %d tips, want 4", n)
	}
	// Past the window, the same text is a new tip.
	h.advance(10 * time.Minute)
	if r := tip(alice, "#general", "use git bisect to find regressions"); strings.Contains(r.Text(), "Already") {
		t.Errorf("11 minutes later: %q", r.Text())
	}
	if n := countTips(t, h); n != 5 {
		t.Fatalf("after the window: %d tips, want 5", n)
	}

	// Shortcuts: the author posted the same text twice (a retry), both
	// saved by a colleague.
	m1 := h.post(bob, "docker system prune frees space")
	m2 := h.post(bob, "docker system prune frees space")
	save := func(m string) bot.Reply {
		return h.handle(&bot.SaveAsTip{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: alice, Message: h.msgs[m]})
	}
	first := save(m1)
	if first == nil || strings.Contains(first.Text(), "Already") {
		t.Fatalf("first shortcut: %#v", first)
	}
	r = save(m2)
	if r == nil || !strings.Contains(r.Text(), "Already recorded as t6") {
		t.Errorf("shortcut on the retried message: %#v", r)
	}
	if n := countTips(t, h); n != 6 {
		t.Errorf("after the shortcuts: %d tips, want 6", n)
	}
	// French.
	h2 := newHarness(t, func(c *bot.Config) { c.Locale = "fr" })
	for range 2 {
		r = h2.handle(&bot.CommandInvoked{EventMeta: h2.meta(), Channel: "#general", User: alice, Name: "tip", Text: "git stash"})
	}
	if !strings.Contains(r.Text(), "Déjà enregistrée sous t1") {
		t.Errorf("French retry: %q", r.Text())
	}
}
