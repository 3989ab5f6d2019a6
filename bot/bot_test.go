package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

var (
	alice = user("alice")
	bob   = user("bob")
	carol = user("carol")
	dave  = user("dave")
	robot = bot.User{ID: "B1", Name: "deploybot", Bot: true}
)

// The vote rules SPEC fixes, each as a scripted scenario on a real store.
func TestVoteRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		run   func(h *harness) string // returns the message id of the tip to check
		votes int
	}{
		{"issue scenario: self-vote ignored, emojis of one person count once", func(h *harness) string {
			m := h.post(alice, "tip: use git bisect to find regressions #git")
			h.react(bob, m, "bulb")
			h.react(alice, m, "bulb")
			h.react(carol, m, "+1")
			h.react(carol, m, "bulb")
			h.unreact(carol, m, "+1")
			return m
		}, 2},
		{"removing the last useful reaction removes the vote", func(h *harness) string {
			m := h.post(alice, "tip: x y z")
			h.react(bob, m, "bulb")
			h.react(bob, m, "star")
			h.unreact(bob, m, "bulb")
			h.unreact(bob, m, "star")
			return m
		}, 0},
		{"skin tones count as their base emoji", func(h *harness) string {
			m := h.post(alice, "tip: skin tones")
			h.react(bob, m, "+1::skin-tone-3")
			h.react(bob, m, "+1")
			h.react(carol, m, "+1::skin-tone-5")
			h.unreact(bob, m, "+1::skin-tone-2")
			return m
		}, 1},
		{"variants a platform keeps apart each hold the vote (Discord: 👍, 👍🏽, a super 👍)", func(h *harness) string {
			m := h.post(alice, "tip: variants")
			variant := func(add bool, u bot.User, v string) {
				if add {
					h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: u, Emoji: v, Variant: v, Message: h.msgs[m]})
				} else {
					h.handle(&bot.ReactionRemoved{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: u, Emoji: v, Variant: v})
				}
			}
			variant(true, bob, "+1")
			variant(true, bob, "+1::skin-tone-3")
			variant(false, bob, "+1::skin-tone-3") // 👍 still there: bob's vote stays
			variant(true, carol, "+1::skin-tone-5")
			h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: carol, Emoji: "+1::skin-tone-5",
				Variant: "+1::skin-tone-5 super", Message: h.msgs[m]})
			variant(false, carol, "+1::skin-tone-5") // the super reaction holds carol's vote
			variant(true, user("dave"), "bulb")
			variant(false, user("dave"), "bulb")
			return m
		}, 2},
		{"bots never vote", func(h *harness) string {
			m := h.post(alice, "tip: bots")
			h.react(robot, m, "bulb")
			return m
		}, 0},
		{"other emojis are not votes", func(h *harness) string {
			m := h.post(alice, "tip: emojis")
			h.react(bob, m, "tada")
			h.react(carol, m, "bookmark")
			return m
		}, 0},
		{"removing a reaction never given changes nothing", func(h *harness) string {
			m := h.post(alice, "tip: ghosts")
			h.react(bob, m, "bulb")
			h.unreact(carol, m, "bulb")
			h.unreact(bob, m, "star")
			return m
		}, 1},
		{"votes before capture count once captured, not the author's", func(h *harness) string {
			m := h.post(alice, "plain message worth keeping")
			h.react(bob, m, "bulb")
			h.react(bob, m, "star")
			h.react(alice, m, "bulb")
			h.react(carol, m, "+1")
			h.unreact(carol, m, "+1")
			h.react(dave, m, "bookmark") // capture
			return m
		}, 1},
		{"capture and vote in one reaction set", func(h *harness) string {
			m := h.post(alice, "another plain message")
			h.react(bob, m, "bulb")
			h.react(carol, m, "bookmark")
			h.react(carol, m, "bulb")
			return m
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			m := tc.run(h)
			if got := h.votes(m); got != tc.votes {
				t.Errorf("useful votes = %d, want %d", got, tc.votes)
			}
		})
	}
}

func TestIssueScenarioTop(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.post(alice, "tip: use git bisect to find regressions #git")
	h.react(bob, m, "bulb")
	h.react(alice, m, "bulb")
	h.react(carol, m, "+1")
	h.react(carol, m, "bulb")
	h.unreact(carol, m, "+1")
	tip := h.tip(m)
	if tip.Text != "use git bisect to find regressions #git" || strings.Join(tip.Topics, ",") != "git" || tip.Source != bot.SourcePrefix {
		t.Errorf("tip = %+v", tip)
	}
	top := h.command(bob, "tips", "top")
	if !strings.Contains(top, "use git bisect to find regressions") || !strings.Contains(top, "2 useful votes") || !strings.Contains(top, "Alice") {
		t.Errorf("/tips top:\n%s", top)
	}
	_, reactions, _ := h.chat.snapshot()
	if len(reactions) != 1 || reactions[0] != "#general/"+m+":bulb" {
		t.Errorf("ack reactions = %q", reactions)
	}
}

func TestCaptureRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)

	// Prefix, hashtag; bot messages and plain messages are not captured.
	if tip := h.tip(h.post(alice, "Astuce : Ctrl+Maj+T rouvre l'onglet fermé")); tip.Text != "Ctrl+Maj+T rouvre l'onglet fermé" {
		t.Errorf("astuce text = %q", tip.Text)
	}
	if tip := h.tip(h.post(bob, "always run make lint before pushing #tip #ci")); strings.Join(tip.Topics, ",") != "ci" {
		t.Errorf("hashtag tip topics = %q", tip.Topics)
	}
	for _, m := range []string{h.post(robot, "tip: from a bot"), h.post(carol, "just chatting")} {
		if _, err := h.tryTip(m); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("message %s captured: %v", m, err)
		}
	}
	// A bot's message cannot be captured by reaction either.
	bm := h.post(robot, "deploy done")
	h.react(alice, bm, "bookmark")
	if _, err := h.tryTip(bm); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("bot message captured by reaction: %v", err)
	}

	// The same message is never captured twice.
	m := h.post(carol, "tip: once")
	first := h.tip(m)
	h.react(dave, m, "bookmark")
	r := h.handle(&bot.SaveAsTip{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: bob, Message: h.msgs[m]})
	if r == nil || !strings.Contains(r.Text(), first.ID.String()) {
		t.Errorf("save as tip on a tip: %v", r)
	}
	if again := h.tip(m); again.ID != first.ID {
		t.Errorf("captured twice: %v then %v", first.ID, again.ID)
	}

	// Save as tip credits the message's author, not the one who saved it.
	plain := h.post(dave, "the wiki has a page on VPN setup")
	r = h.handle(&bot.SaveAsTip{EventMeta: h.meta(), Channel: "#general", MessageID: plain, User: alice, Message: h.msgs[plain]})
	saved := h.tip(plain)
	if saved.AuthorID != "dave" || saved.CapturedBy != "alice" || saved.Source != bot.SourceShortcut || !strings.Contains(r.Text(), saved.ID.String()) {
		t.Errorf("saved tip = %+v, reply %v", saved, r)
	}

	// Editing updates the tip (text, topics, search); deleting deletes it.
	h.handle(&bot.MessageEdited{EventMeta: h.meta(), Channel: "#general", MessageID: m, Author: carol, Text: "tip: once more, with #feeling"})
	if tip := h.tip(m); tip.Text != "once more, with #feeling" || strings.Join(tip.Topics, ",") != "feeling" {
		t.Errorf("edited tip = %+v", tip)
	}
	if out := h.command(bob, "tips", "search feeling"); !strings.Contains(out, "once more") {
		t.Errorf("search after edit:\n%s", out)
	}
	h.handle(&bot.MessageDeleted{EventMeta: h.meta(), Channel: "#general", MessageID: m})
	if _, err := h.tryTip(m); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("deleted tip still there: %v", err)
	}
	if out := h.command(bob, "tips", "search feeling"); strings.Contains(out, "once more") {
		t.Errorf("search finds a deleted tip:\n%s", out)
	}

	// A message edited into a tip is captured.
	later := h.post(alice, "use rg instead of grep")
	h.handle(&bot.MessageEdited{EventMeta: h.meta(), Channel: "#general", MessageID: later, Author: alice, Text: "tip: use rg instead of grep"})
	if tip := h.tip(later); tip.Text != "use rg instead of grep" {
		t.Errorf("edited-in tip = %+v", tip)
	}
}

func TestDuplicateDeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.post(alice, "tip: idempotency keys")
	add := &bot.ReactionAdded{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: bob, Emoji: "bulb"}
	remove := &bot.ReactionRemoved{EventMeta: h.meta(), Channel: "#general", MessageID: m, User: bob, Emoji: "bulb"}
	h.handle(add)
	h.handle(add)
	if got := h.votes(m); got != 1 {
		t.Fatalf("votes after duplicate add = %d", got)
	}
	h.handle(remove)
	h.handle(add) // a late redelivery of the add must not resurrect the vote
	h.handle(remove)
	if got := h.votes(m); got != 0 {
		t.Errorf("votes = %d, want 0", got)
	}
	// The same message event twice makes one tip, one acknowledgement.
	ev := &bot.MessagePosted{EventMeta: h.meta(), Channel: "#general", MessageID: "dup", Author: carol, Text: "tip: twice"}
	h.handle(ev)
	h.handle(ev)
	var n int
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(bot.Tip) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("tips = %d, want 2", n)
	}
	if _, reactions, _ := h.chat.snapshot(); len(reactions) != 2 {
		t.Errorf("ack reactions = %q", reactions)
	}
}

func TestHallOfFameOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) {
		c.Threshold = 2
		c.HallOfFame[bot.Shell] = "#hall-of-fame"
	})
	m := h.post(alice, "tip: name your branches after tickets")
	h.react(bob, m, "bulb")
	h.react(carol, m, "star")
	h.unreact(carol, m, "star")
	h.react(carol, m, "+1")
	h.react(dave, m, "bulb")
	posts, _, directs := h.chat.snapshot()
	if len(posts) != 1 || posts[0].Channel != "#hall-of-fame" || !strings.Contains(posts[0].Message.Text(), "name your branches") || !strings.Contains(posts[0].Message.Text(), "Alice") {
		t.Errorf("hall of fame posts = %+v", posts)
	}
	if len(directs) != 1 || directs[0].Channel != "alice" {
		t.Errorf("thanks = %+v", directs)
	}
	if !h.tip(m).HallOfFame {
		t.Error("tip not marked")
	}
}

func TestTipCommandPostsAndCountsVotes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	reply := h.command(alice, "tip", "Press Ctrl+R in the shell to search history #shell")
	if !strings.Contains(reply, "t1") {
		t.Errorf("reply = %q", reply)
	}
	posts, reactions, _ := h.chat.snapshot()
	if len(posts) != 1 || posts[0].Channel != "#general" || !strings.Contains(posts[0].Message.Text(), "Alice") {
		t.Fatalf("posts = %+v", posts)
	}
	msg := posts[0].ID
	if len(reactions) != 1 || reactions[0] != "#general/"+msg+":bulb" {
		t.Errorf("reactions = %q", reactions)
	}
	h.react(bob, msg, "bulb")
	h.react(alice, msg, "bulb")
	tip := h.tip(msg)
	if tip.UsefulVotes != 1 || tip.Source != bot.SourceCommand || tip.AuthorID != "alice" {
		t.Errorf("tip = %+v", tip)
	}
	if got := h.command(alice, "tip", "  "); !strings.Contains(got, "Usage") {
		t.Errorf("empty /tip: %q", got)
	}
}

func TestMemberCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m1 := h.post(alice, "tip: git bisect finds regressions #git")
	m2 := h.post(bob, "tip: git worktree keeps two branches checked out #git")
	h.post(bob, "tip: use a password manager #security")
	h.react(carol, m1, "bulb")
	h.react(dave, m1, "bulb")
	h.react(carol, m2, "bulb")

	if out := h.command(carol, "tips", "search git branches"); !strings.Contains(out, "worktree") || strings.Contains(out, "bisect") {
		t.Errorf("search:\n%s", out)
	}
	if out := h.command(carol, "tips", "search #security"); !strings.Contains(out, "password manager") {
		t.Errorf("topic search:\n%s", out)
	}
	if out := h.command(carol, "tips", "search zzzz"); !strings.Contains(out, "No tip matches") {
		t.Errorf("empty search:\n%s", out)
	}
	out := h.command(carol, "tips", "experts git")
	if i, j := strings.Index(out, "Alice"), strings.Index(out, "Bob"); i < 0 || j < 0 || i > j {
		t.Errorf("experts (alice first):\n%s", out)
	}
	if out := h.command(bob, "tips", "me"); !strings.Contains(out, "2 tips") || !strings.Contains(out, "1 useful vote") || !strings.Contains(out, "Rank: 2 of 2") {
		t.Errorf("me:\n%s", out)
	}
	top := h.command(carol, "tips", "top week")
	if i, j := strings.Index(top, "bisect"), strings.Index(top, "worktree"); i < 0 || j < 0 || i > j {
		t.Errorf("top week (bisect first):\n%s", top)
	}
	if out := h.command(carol, "tips", "help"); !strings.Contains(out, "/tips search") || !strings.Contains(out, "/tip <text>") {
		t.Errorf("help:\n%s", out)
	}
	for _, bad := range []string{"frobnicate", "top decade", "experts", "search", "me now", "forget-me please"} {
		if out := h.command(carol, "tips", bad); !strings.Contains(out, "Usage") && !strings.Contains(out, "Unknown") {
			t.Errorf("/tips %s: %q", bad, out)
		}
	}
}

func TestForgetMe(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m1 := h.post(alice, "tip: alice's secret trick")
	m2 := h.post(bob, "tip: bob's trick")
	h.react(alice, m2, "bulb")
	h.react(bob, m1, "bulb")
	if out := h.command(alice, "tips", "forget-me"); !strings.Contains(out, "confirm") {
		t.Fatalf("forget-me without confirm: %q", out)
	}
	if _, err := h.tryTip(m1); err != nil {
		t.Fatalf("asking deleted the tip: %v", err)
	}
	out := h.command(alice, "tips", "forget-me confirm")
	if !strings.Contains(out, "1 tip") {
		t.Errorf("forget-me confirm: %q", out)
	}
	if _, err := h.tryTip(m1); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("alice's tip survived: %v", err)
	}
	if got := h.votes(m2); got != 1 {
		t.Errorf("alice's vote on bob's tip = %d, want still 1", got)
	}
	// Her vote is no longer linked to her: removing it as alice changes nothing.
	h.unreact(alice, m2, "bulb")
	if got := h.votes(m2); got != 1 {
		t.Errorf("votes after alice unreacts = %d", got)
	}
	for _, cmd := range []string{"top all", "experts git", "search secret"} {
		if out := h.command(carol, "tips", cmd); strings.Contains(out, "Alice") || strings.Contains(out, "alice") {
			t.Errorf("/tips %s still names alice:\n%s", cmd, out)
		}
	}
}

func TestWorkspacesAreApart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.post(alice, "tip: only in local")
	other := bot.Workspace{Platform: bot.Slack, ID: "T2"}
	r, err := h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: bot.EventMeta{ID: "x", Workspace: other}, Channel: "C1", User: bob, Name: "tips", Text: "top all"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Text(), "only in local") {
		t.Errorf("another workspace sees the tip:\n%s", r.Text())
	}
	r, _ = h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: bot.EventMeta{ID: "y", Workspace: other}, Channel: "C1", User: bob, Name: "tips", Text: "search local"})
	if strings.Contains(r.Text(), "only in local") {
		t.Errorf("search crosses workspaces:\n%s", r.Text())
	}
}

func TestFrenchReplies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.Locale = "fr" })
	m := h.post(alice, "astuce: utilisez git bisect #git")
	h.react(bob, m, "bulb")
	if out := h.command(bob, "tips", "top"); !strings.Contains(out, "Classement") || !strings.Contains(out, "1 vote utile") {
		t.Errorf("top in French:\n%s", out)
	}
	if out := h.command(bob, "tips", "nimportequoi"); !strings.Contains(out, "Sous-commande inconnue") {
		t.Errorf("unknown in French: %q", out)
	}
}

func TestBadEventsAreRefusedNotPanics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, ev := range []bot.Event{
		&bot.MessagePosted{EventMeta: bot.EventMeta{Workspace: bot.Workspace{Platform: "irc", ID: "x"}}},
		&bot.MessagePosted{EventMeta: bot.EventMeta{Workspace: bot.Workspace{Platform: bot.Slack}}},
	} {
		if _, err := h.bot.Handle(context.Background(), ev); err == nil {
			t.Errorf("%+v accepted", ev)
		}
	}
	// Harmless oddities are ignored: empty ids, empty text, huge text.
	h.handle(&bot.MessagePosted{EventMeta: h.meta(), Channel: "#general", Author: alice, Text: "tip: no id"})
	h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: "#general", MessageID: "nope", User: bob, Emoji: ""})
	// A text over the limit is refused with a reply naming it, never cut.
	huge := h.nextID("m")
	r := h.handle(&bot.MessagePosted{EventMeta: h.meta(), Channel: "#general", MessageID: huge, Author: alice,
		Text: "tip: " + strings.Repeat("très long ", 100000)})
	if r == nil || !strings.Contains(r.Text(), "40000 characters") || !strings.Contains(r.Text(), "999999") {
		t.Errorf("huge tip: reply %v, want a refusal naming the limit and the length", r)
	}
	if _, err := h.tryTip(huge); err == nil {
		t.Errorf("huge tip recorded")
	}
	invalid := h.post(alice, "tip: bad \xff\xfe utf8")
	if got := h.tip(invalid).Text; !strings.Contains(got, "bad") || strings.Contains(got, "\xff") {
		t.Errorf("invalid utf-8 kept: %q", got)
	}
}

// FuzzCommand feeds arbitrary command lines through the real core: every
// line gets a reply, nothing panics, the store stays consistent.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{"", "help", "top", "top year", "top \"", "search #git bisect", "experts #", "me",
		"forget-me", "forget-me confirm", "search \x00\xff", "schedule add \"CRON_TZ=Europe/Paris 0 17 * * FRI\" #general Git",
		"prompt in 1h30m Git basics", "report month <#C1|x>", "approve t1", "trainer add <@U1|bob>", strings.Repeat("top ", 1000)} {
		f.Add("tips", seed)
	}
	f.Add("tip", "a tip from the fuzzer #fuzz")
	f.Add("tip", "")
	h := newHarness(f, nil)
	f.Fuzz(func(t *testing.T, name, text string) {
		r, err := h.bot.Handle(context.Background(), &bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: alice, Name: name, Text: text})
		if err != nil {
			t.Fatalf("/%s %q: %v", name, text, err)
		}
		if r == nil || r.Text() == "" {
			t.Fatalf("/%s %q: no reply", name, text)
		}
	})
}

// TestReactionsCleared: a moderator takes reactions off a message at once
// (Discord's "remove all reactions", or all of one emoji): the votes they
// were go, on a tip and on a message that is captured later.
func TestReactionsCleared(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.post(alice, "tip: rebase before merging #git")
	h.react(bob, m, "bulb")
	h.react(bob, m, "star")
	h.react(carol, m, "bulb")
	h.react(dave, m, "+1")
	if got := h.votes(m); got != 3 {
		t.Fatalf("votes = %d, want 3", got)
	}
	clear := func(msg, emoji string) {
		h.handle(&bot.ReactionsCleared{EventMeta: h.meta(), Channel: "#general", MessageID: msg, Emoji: emoji})
	}
	clear(m, "bulb") // bob keeps his ⭐, carol's only vote goes
	if got := h.votes(m); got != 2 {
		t.Errorf("votes after clearing bulb = %d, want 2", got)
	}
	clear(m, "tada") // not a useful reaction: nothing changes
	if got := h.votes(m); got != 2 {
		t.Errorf("votes after clearing tada = %d, want 2", got)
	}
	h.react(carol, m, "bulb") // she can vote again
	if got := h.votes(m); got != 3 {
		t.Errorf("votes after carol votes again = %d, want 3", got)
	}
	clear(m, "")
	if got := h.votes(m); got != 0 {
		t.Errorf("votes after clearing all = %d, want 0", got)
	}
	if out := h.command(admin, "tips", "report"); !strings.Contains(out, "Useful votes: 0") {
		t.Errorf("report after clearing:\n%s", out)
	}
	// On a message that is not a tip, the pending votes go too.
	p := h.post(bob, "a plain message")
	h.react(carol, p, "bulb")
	h.react(dave, p, "star")
	clear(p, "bulb")
	h.react(alice, p, "bookmark") // captured now: only dave's ⭐ counts
	if got := h.votes(p); got != 1 {
		t.Errorf("votes on the captured message = %d, want 1 (dave's star)", got)
	}
}

// TestTipInThread: /tip run in a thread is posted in that thread.
func TestTipInThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", ThreadID: "m-parent", User: bob, Name: "tip", Text: "squash fixups #git"})
	h.bot.Wait()
	posts, _, _ := h.chat.snapshot()
	if len(posts) != 1 || posts[0].Channel != "#general" || posts[0].Message.Thread != "m-parent" {
		t.Fatalf("posts = %+v, want one in the thread of m-parent", posts)
	}
	if tip := h.tip(posts[0].ID); tip.ThreadID != "m-parent" || tip.AuthorID != "bob" {
		t.Errorf("tip = %+v", tip)
	}
}
