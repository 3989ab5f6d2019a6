package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// historyChat is a recordingChat whose channels have a history that
// recovery reads back.
type historyChat struct {
	*recordingChat
	mu      sync.Mutex
	history map[string][]bot.HistoryMessage // channel → messages, oldest first
	since   map[string]time.Time            // channel → the since of the last read
	// during, when set, runs once the history is read, before it is
	// handed over: live events arriving meanwhile.
	during func()
}

func (c *historyChat) History(_ context.Context, _ bot.Workspace, channel string, since time.Time, fn func(bot.HistoryMessage) error) error {
	c.mu.Lock()
	msgs := append([]bot.HistoryMessage(nil), c.history[channel]...)
	c.since[channel] = since
	during := c.during
	c.mu.Unlock()
	if during != nil {
		during()
	}
	for _, m := range msgs {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (c *historyChat) set(channel string, msgs ...bot.HistoryMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.history[channel] = msgs
}

// TestRecoverAfterDowntime: what was said while tipbot was away is caught
// up at the next start, once, whatever arrives live meanwhile.
func TestRecoverAfterDowntime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	hc := &historyChat{recordingChat: h.chat, history: map[string][]bot.HistoryMessage{}, since: map[string]time.Time{}}
	h.bot.Attach(bot.Shell, hc)
	tipMsg := h.post(alice, "tip: use git bisect #git")
	h.react(bob, tipMsg, "bulb")
	h.react(dave, tipMsg, "star")
	edited := h.post(carol, "tip: pin your deps")
	gone := h.post(carol, "tip: this one will be deleted")
	h.close() // tipbot stops

	// While it is away: three new tip messages, an edit, a deletion,
	// useful reactions from six people on alice's tip, dave's star taken
	// back, and a 🔖 on a plain message.
	h.advance(2 * time.Hour)
	users := func(ids ...string) []string { return ids }
	hc.set("#general",
		bot.HistoryMessage{MessageID: tipMsg, Author: alice, Text: "tip: use git bisect #git", Reactions: []bot.Reaction{
			{Emoji: "bulb", Users: users("bob", "p1", "p2", "p3")},
			{Emoji: "+1::skin-tone-3", Users: users("p4", "p5", "p6", "alice")},
		}},
		bot.HistoryMessage{MessageID: edited, Author: carol, Text: "tip: pin your dependencies and check the lockfile"},
		bot.HistoryMessage{MessageID: "x1", Author: dave, Text: "tip: squash before merging"},
		bot.HistoryMessage{MessageID: "x2", Author: erin(), Text: "we could try #tip review checklists"},
		bot.HistoryMessage{MessageID: "x3", Author: bob, Text: "astuce: relisez vos diffs"},
		bot.HistoryMessage{MessageID: "x4", Author: carol, Text: "plain words worth keeping", Reactions: []bot.Reaction{{Emoji: "bookmark", Users: users("bob")}}},
		bot.HistoryMessage{MessageID: "x5", Author: robot, Text: "tip: bots are never captured"},
	)
	h.open()
	h.bot.Attach(bot.Shell, hc)
	for range 2 { // a second run changes nothing
		counts, err := h.bot.Recover(context.Background(), h.ws)
		if err != nil {
			t.Fatal(err)
		}
		h.bot.Wait()
		if counts.Channels != 1 {
			t.Errorf("channels read back = %d, want 1", counts.Channels)
		}
	}
	if got := h.votes(tipMsg); got != 7 {
		t.Errorf("votes on alice's tip = %d, want 7 (bob, p1–p6; dave took his back, alice's own never counts)", got)
	}
	if tip := h.tip(edited); tip.Text != "pin your dependencies and check the lockfile" {
		t.Errorf("edited tip text = %q", tip.Text)
	}
	if _, err := h.tryTip(gone); err == nil {
		t.Errorf("the tip whose message is gone is still there")
	}
	for _, id := range []string{"x1", "x2", "x3", "x4"} {
		if _, err := h.tryTip(id); err != nil {
			t.Errorf("message %s not captured: %v", id, err)
		}
	}
	if tip, _ := h.tryTip("x4"); tip.Source != bot.SourceReaction || tip.CapturedBy != "bob" {
		t.Errorf("🔖 tip = %+v", tip)
	}
	if _, err := h.tryTip("x5"); err == nil {
		t.Errorf("a bot's message was captured")
	}
	hc.mu.Lock()
	since := hc.since["#general"]
	hc.mu.Unlock()
	if want := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC); !since.Equal(want) {
		t.Errorf("read back from %v, want an hour before the last event (%v)", since, want)
	}
	// Each new tip got its acknowledgement reaction once.
	_, reactions, _ := h.chat.snapshot()
	acks := 0
	for _, r := range reactions {
		if strings.HasSuffix(r, ":bulb") && strings.Contains(r, "/x") {
			acks++
		}
	}
	if acks != 4 {
		t.Errorf("acknowledgements on recovered tips = %d, want 4: %v", acks, reactions)
	}
}

func erin() bot.User { return user("erin") }

// Recovery is off with recovery.window 0, and skips channels quiet for
// longer than the window.
func TestRecoverWindow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.RecoveryWindow = 48 * time.Hour })
	hc := &historyChat{recordingChat: h.chat, history: map[string][]bot.HistoryMessage{}, since: map[string]time.Time{}}
	h.bot.Attach(bot.Shell, hc)
	h.post(alice, "tip: an old one")
	h.advance(49 * time.Hour)
	hc.set("#general", bot.HistoryMessage{MessageID: "late", Author: bob, Text: "tip: said while away"})
	counts, err := h.bot.Recover(context.Background(), h.ws)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Channels != 0 {
		t.Errorf("channels read = %d, want 0 (quiet for longer than the window)", counts.Channels)
	}
	off := newHarness(t, func(c *bot.Config) { c.RecoveryWindow = 0 })
	offChat := &historyChat{recordingChat: off.chat, history: map[string][]bot.HistoryMessage{}, since: map[string]time.Time{}}
	off.bot.Attach(bot.Shell, offChat)
	off.post(alice, "tip: something")
	offChat.set("#general", bot.HistoryMessage{MessageID: "late", Author: bob, Text: "tip: said while away"})
	if counts, err := off.bot.Recover(context.Background(), off.ws); err != nil || counts.Channels != 0 {
		t.Errorf("recovery with window 0: %+v, %v", counts, err)
	}
}

// A reaction taken back live while recovery runs is not brought back by
// the older history read; one added live is not taken away.
func TestRecoverLeavesLiveVotes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	hc := &historyChat{recordingChat: h.chat, history: map[string][]bot.HistoryMessage{}, since: map[string]time.Time{}}
	h.bot.Attach(bot.Shell, hc)
	m := h.post(alice, "tip: keep commits small")
	other := h.post(alice, "tip: write the why in commit messages")
	h.react(bob, m, "bulb")
	// The history, read before the live events below: bob's bulb on m, and
	// carol's bulb on the other tip.
	hc.set("#general",
		bot.HistoryMessage{MessageID: m, Author: alice, Text: "tip: keep commits small", Reactions: []bot.Reaction{{Emoji: "bulb", Users: []string{"bob"}}}},
		bot.HistoryMessage{MessageID: other, Author: alice, Text: "tip: write the why in commit messages", Reactions: []bot.Reaction{{Emoji: "bulb", Users: []string{"carol"}}}},
	)
	hc.during = func() {
		h.unreact(bob, m, "bulb")    // taken back live
		h.react(dave, other, "star") // added live
	}
	if _, err := h.bot.Recover(context.Background(), h.ws); err != nil {
		t.Fatal(err)
	}
	if got := h.votes(m); got != 0 {
		t.Errorf("votes on m = %d, want 0 (bob took his back live)", got)
	}
	if got := h.votes(other); got != 1 {
		t.Errorf("votes on the other tip = %d, want 1 (dave's, live)", got)
	}
}

// TestRecoverAppliedMarks: ✅ put or taken off while tipbot was away mark
// or unmark the tip at the next start, once; a mark given by command stays.
func TestRecoverAppliedMarks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	hc := &historyChat{recordingChat: h.chat, history: map[string][]bot.HistoryMessage{}, since: map[string]time.Time{}}
	h.bot.Attach(bot.Shell, hc)
	msg := h.post(alice, "tip: use git bisect #git")
	h.react(bob, msg, "white_check_mark")
	h.command(carol, "tips", "applied "+h.tip(msg).ID.String())
	h.close()

	h.advance(2 * time.Hour)
	hc.set("#general", bot.HistoryMessage{MessageID: msg, Author: alice, Text: "tip: use git bisect #git", Reactions: []bot.Reaction{
		{Emoji: "white_check_mark", Users: []string{"dave", "alice"}}, // bob took his off; dave and alice put theirs
	}})
	h.open()
	h.bot.Attach(bot.Shell, hc)
	for range 2 { // a second run changes nothing
		if _, err := h.bot.Recover(context.Background(), h.ws); err != nil {
			t.Fatal(err)
		}
		h.bot.Wait()
	}
	got := h.appliedPeople(h.tip(msg).ID)
	slices.Sort(got)
	if want := []string{"alice", "carol", "dave"}; !slices.Equal(got, want) {
		t.Errorf("applied marks of %q, want %q", got, want)
	}
	if tip := h.tip(msg); tip.Applied != 3 || tip.UsefulVotes != 0 {
		t.Errorf("applied %d, votes %d; want 3 and 0", tip.Applied, tip.UsefulVotes)
	}
}
