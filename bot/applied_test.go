package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// appliedCounter reads the applied marks counted in this month.
func (h *harness) appliedCounter() int64 {
	h.t.Helper()
	var n int64
	key := "applied:" + bot.PeriodKey(bot.Month, h.clock(), h.cfg.Location)
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		n, err = tx.Counter(key)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// appliedPeople returns who holds an applied mark on a tip.
func (h *harness) appliedPeople(id bot.TipID) []string {
	h.t.Helper()
	var people []string
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		raw, err := tx.Record("applied", strings.Repeat("0", 20-len(id.String()[1:]))+id.String()[1:])
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		marks := map[string]bot.AppliedMark{}
		if err := json.Unmarshal(raw, &marks); err != nil {
			return err
		}
		for p := range marks {
			people = append(people, p)
		}
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
	return people
}

func TestAppliedReactionIsNotAUsefulVote(t *testing.T) {
	h := newHarness(t, nil)
	alice, bob, carol := user("alice"), user("bob"), user("carol")
	msg := h.post(alice, "tip: git worktree keeps two branches checked out")
	h.react(bob, msg, "white_check_mark")
	if got := h.tip(msg); got.Applied != 1 || got.UsefulVotes != 0 {
		t.Fatalf("after bob's ✅: applied %d, votes %d; want 1 and 0", got.Applied, got.UsefulVotes)
	}
	// The same delivery again changes nothing.
	ev := &bot.ReactionAdded{EventMeta: h.meta(), Channel: "#general", MessageID: msg, User: carol, Emoji: ":white_check_mark:", Message: h.msgs[msg]}
	h.handle(ev)
	h.handle(ev)
	// The author may mark their own tip; bots never count.
	h.react(alice, msg, "white_check_mark")
	h.react(bot.User{ID: "B1", Name: "robot", Bot: true}, msg, "white_check_mark")
	h.react(bob, msg, "white_check_mark") // once per person
	if got := h.tip(msg); got.Applied != 3 || got.UsefulVotes != 0 {
		t.Fatalf("applied %d, votes %d; want 3 (bob, carol, alice) and 0", got.Applied, got.UsefulVotes)
	}
	if got := h.appliedCounter(); got != 3 {
		t.Errorf("applied marks this month = %d, want 3", got)
	}
	// A useful reaction is a vote, not a mark.
	h.react(bob, msg, "bulb")
	if got := h.tip(msg); got.Applied != 3 || got.UsefulVotes != 1 {
		t.Errorf("after 💡: applied %d, votes %d; want 3 and 1", got.Applied, got.UsefulVotes)
	}
	h.unreact(carol, msg, "white_check_mark")
	if got := h.tip(msg).Applied; got != 2 {
		t.Errorf("after carol took ✅ off: applied %d, want 2", got)
	}
	if got := h.appliedCounter(); got != 2 {
		t.Errorf("applied marks this month = %d, want 2", got)
	}
}

func TestAppliedCommand(t *testing.T) {
	h := newHarness(t, nil)
	alice, bob := user("alice"), user("bob")
	msg := h.post(alice, "tip: ctrl+r searches the shell history")
	id := h.tip(msg).ID.String()
	if got := h.command(bob, "tips", "applied "+id); !strings.Contains(got, "applied by 1 person") {
		t.Errorf("applied: %q", got)
	}
	if got := h.command(bob, "tips", "applied "+id); !strings.Contains(got, "already") {
		t.Errorf("applied twice: %q", got)
	}
	// The command's mark stays when a reaction of the same person goes.
	h.react(bob, msg, "white_check_mark")
	h.unreact(bob, msg, "white_check_mark")
	if got := h.tip(msg).Applied; got != 1 {
		t.Errorf("applied %d after a ✅ on and off, want the command's 1", got)
	}
	if got := h.command(bob, "tips", "applied "+id+" undo"); !strings.Contains(got, "taken back") {
		t.Errorf("undo: %q", got)
	}
	if got := h.command(bob, "tips", "applied "+id+" undo"); !strings.Contains(got, "had not") {
		t.Errorf("undo twice: %q", got)
	}
	if got := h.tip(msg).Applied; got != 0 {
		t.Errorf("applied %d after undo, want 0", got)
	}
	if got := h.command(bob, "tips", "applied t999"); !strings.Contains(got, "no tip") {
		t.Errorf("unknown tip: %q", got)
	}
	if got := h.command(bob, "tips", "applied"); !strings.Contains(got, "Usage") {
		t.Errorf("no tip: %q", got)
	}
	// Search results and /tips me show the count.
	h.command(bob, "tips", "applied "+id)
	if got := h.command(bob, "tips", "search history"); !strings.Contains(got, "applied by 1 person") {
		t.Errorf("search: %q", got)
	}
	if got := h.command(alice, "tips", "me"); !strings.Contains(got, "applied by 1 person") || !strings.Contains(got, "put into practice 1 time") {
		t.Errorf("me: %q", got)
	}
}

func TestAppliedRestrictedTipOnlyInItsChannel(t *testing.T) {
	h := newHarness(t, nil)
	h.announce(bot.Channel{ID: "#hr", Name: "hr", Kind: bot.ChannelPrivate})
	msg := h.postIn("#hr", "", user("alice"), "tip: the payroll cut-off is the 20th")
	var id bot.TipID
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		tip, err := tx.TipByMessage("#hr", msg)
		id = tip.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := h.command(user("bob"), "tips", "applied "+id.String()); !strings.Contains(got, "no tip") {
		t.Errorf("applied from #general: %q, want the tip unknown there", got)
	}
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#hr", User: user("bob"), Name: "tips", Text: "applied " + id.String()})
	if r == nil || !strings.Contains(r.Text(), "applied by 1 person") {
		t.Errorf("applied in #hr: %v", r)
	}
}

func TestAppliedMarksUnderEditsDeletesAndClears(t *testing.T) {
	h := newHarness(t, nil)
	alice, bob, carol := user("alice"), user("bob"), user("carol")
	msg := h.post(alice, "tip: go vet finds printf mistakes")
	h.react(bob, msg, "white_check_mark")
	h.command(carol, "tips", "applied "+h.tip(msg).ID.String())
	h.handle(&bot.MessageEdited{EventMeta: h.meta(), Channel: "#general", MessageID: msg, Author: alice, Text: "tip: go vet finds printf mistakes early"})
	if got := h.tip(msg); got.Applied != 2 || !strings.HasSuffix(got.Text, "early") {
		t.Fatalf("after edit: %q applied %d, want the new text and 2", got.Text, got.Applied)
	}
	// Clearing every reaction takes the reaction's mark, not the command's.
	h.handle(&bot.ReactionsCleared{EventMeta: h.meta(), Channel: "#general", MessageID: msg})
	if got := h.appliedPeople(h.tip(msg).ID); len(got) != 1 || got[0] != "carol" {
		t.Errorf("after clear: marks of %q, want carol's", got)
	}
	if got := h.tip(msg).Applied; got != 1 {
		t.Errorf("after clear: applied %d, want 1", got)
	}
	id := h.tip(msg).ID
	h.handle(&bot.MessageDeleted{EventMeta: h.meta(), Channel: "#general", MessageID: msg})
	if got := h.appliedPeople(id); len(got) != 0 {
		t.Errorf("marks of a deleted tip: %q", got)
	}
	if got := h.appliedCounter(); got != 0 {
		t.Errorf("applied marks this month = %d after the tip was deleted, want 0", got)
	}
}

func TestForgetMeKeepsAppliedMarksUnlinked(t *testing.T) {
	h := newHarness(t, nil)
	alice, bob := user("alice"), user("bob")
	msg := h.post(alice, "tip: gofmt -s simplifies composite literals")
	h.react(bob, msg, "white_check_mark")
	h.react(alice, msg, "white_check_mark")
	h.command(bob, "tips", "forget-me confirm")
	if got := h.tip(msg).Applied; got != 2 {
		t.Errorf("applied %d after bob forgot himself, want 2 (his mark stays counted)", got)
	}
	people := h.appliedPeople(h.tip(msg).ID)
	if len(people) != 2 {
		t.Fatalf("marks of %q, want two", people)
	}
	for _, p := range people {
		if p == "bob" {
			t.Errorf("bob's mark still names him: %q", people)
		}
	}
	if got := h.appliedCounter(); got != 2 {
		t.Errorf("applied marks this month = %d, want 2", got)
	}
	// The author forgetting herself deletes her tip, and its marks.
	h.command(alice, "tips", "forget-me confirm")
	if got := h.appliedCounter(); got != 0 {
		t.Errorf("applied marks this month = %d after the tip went, want 0", got)
	}
}

func TestShowTipWithHistory(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) {
		c.Admins = []string{"trainer"}
		c.Threshold = 2
	})
	alice, bob, carol := user("alice"), user("bob"), user("carol")
	msg := h.post(alice, "tip: git add -p stages hunks one by one")
	id := h.tip(msg).ID.String()
	h.handle(&bot.MessageEdited{EventMeta: h.meta(), Channel: "#general", MessageID: msg, Author: alice, Text: "tip: git add -p stages hunks one at a time"})
	h.react(bob, msg, "bulb")
	h.react(carol, msg, "+1") // the hall of fame
	h.react(bob, msg, "white_check_mark")
	h.command(user("trainer"), "tips", "feature "+id)
	got := h.command(carol, "tips", "show "+id)
	for _, want := range []string{
		"Tip " + id, "«git add -p stages hunks one at a time»", "By Alice, in #general",
		"2 useful votes · applied by 1 person", "Status: featured · in the hall of fame", "Training paths: none",
		"— captured (prefix or hashtag) by alice", "— edited by alice", "— entered the hall of fame\n", "— featured by trainer",
	} {
		if !strings.Contains(got+"\n", want) {
			t.Errorf("/tips show lacks %q:\n%s", want, got)
		}
	}
	if i, j := strings.Index(got, "captured"), strings.Index(got, "featured by"); i < 0 || j < i {
		t.Errorf("history not oldest first:\n%s", got)
	}
	if got := h.command(carol, "tips", "show t999"); !strings.Contains(got, "no tip") {
		t.Errorf("show t999: %q", got)
	}
	// A rejected tip is shown to its author and trainers only.
	h.command(user("trainer"), "tips", "reject "+id)
	if got := h.command(carol, "tips", "show "+id); !strings.Contains(got, "no tip") {
		t.Errorf("carol sees a rejected tip: %q", got)
	}
	if got := h.command(alice, "tips", "show "+id); !strings.Contains(got, "— rejected by trainer") {
		t.Errorf("the author's view of her rejected tip: %q", got)
	}
	// Forgetting the trainer keeps what happened, not who did it.
	h.command(user("trainer"), "tips", "forget-me confirm")
	got = h.command(alice, "tips", "show "+id)
	if strings.Contains(got, "trainer") || !strings.Contains(got, "— rejected") {
		t.Errorf("after the trainer forgot himself:\n%s", got)
	}
}

func TestShowRestrictedTipOnlyInItsChannel(t *testing.T) {
	h := newHarness(t, nil)
	h.announce(bot.Channel{ID: "#hr", Name: "hr", Kind: bot.ChannelPrivate})
	h.postIn("#hr", "", user("alice"), "tip: the payroll cut-off is the 20th")
	if got := h.command(user("bob"), "tips", "show t1"); strings.Contains(got, "payroll") || !strings.Contains(got, "no tip") {
		t.Errorf("show in #general: %q", got)
	}
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#hr", User: user("bob"), Name: "tips", Text: "show t1"})
	if r == nil || !strings.Contains(r.Text(), "payroll") {
		t.Errorf("show in #hr: %v", r)
	}
}

func TestAppliedMarksOfABotAreRemoved(t *testing.T) {
	h := newHarness(t, nil)
	msg := h.post(user("alice"), "tip: make -j runs jobs in parallel")
	h.react(user("deploybot"), msg, "white_check_mark") // not known as a bot yet
	h.react(user("bob"), msg, "white_check_mark")
	if got := h.tip(msg).Applied; got != 2 {
		t.Fatalf("applied %d, want 2", got)
	}
	h.handle(&bot.PeopleUpdated{EventMeta: h.meta(), Resolved: true, Members: []bot.Member{{ID: "deploybot", Name: "deploybot", Bot: true}}})
	if got := h.tip(msg).Applied; got != 1 {
		t.Errorf("applied %d once deploybot turned out a bot, want bob's 1", got)
	}
	if got := h.appliedCounter(); got != 1 {
		t.Errorf("applied marks this month = %d, want 1", got)
	}
}

func TestChannelReportCountsAppliedMarks(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer"} })
	h.announce(bot.Channel{ID: "#dev", Name: "dev", Kind: bot.ChannelPublic})
	general := h.post(user("alice"), "tip: git stash -p stashes hunks")
	dev := h.postIn("#dev", "", user("alice"), "tip: go test -count=1 skips the cache")
	h.react(user("bob"), general, "white_check_mark")
	h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: "#dev", MessageID: dev, User: user("bob"), Emoji: "white_check_mark"})
	h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: "#dev", MessageID: dev, User: user("carol"), Emoji: "white_check_mark"})
	if got := h.command(user("trainer"), "tips", "report"); !strings.Contains(got, "Applied marks: 3") {
		t.Errorf("workspace report:\n%s", got)
	}
	if got := h.command(user("trainer"), "tips", "report #dev"); !strings.Contains(got, "Applied marks: 2") {
		t.Errorf("#dev report:\n%s", got)
	}
}

// TestAppliedReactionBeforeCapture: ✅ on a message that is not a tip yet
// counts once it is captured; taken off, deleted or forgotten, it does not.
func TestAppliedReactionBeforeCapture(t *testing.T) {
	h := newHarness(t, nil)
	alice, bob, carol, dave := user("alice"), user("bob"), user("carol"), user("dave")
	msg := h.post(alice, "keep pull requests small")
	h.react(bob, msg, "white_check_mark")
	h.react(carol, msg, "white_check_mark")
	h.react(dave, msg, "white_check_mark")
	h.react(alice, msg, "white_check_mark")
	h.unreact(carol, msg, "white_check_mark")
	h.command(dave, "tips", "forget-me confirm")
	h.react(bob, msg, "bookmark") // captured now
	if got := h.tip(msg); got.Applied != 2 || got.UsefulVotes != 0 {
		t.Errorf("captured tip: applied %d, votes %d; want 2 (bob, alice) and 0", got.Applied, got.UsefulVotes)
	}
	gone := h.post(alice, "a message that goes")
	h.react(bob, gone, "white_check_mark")
	h.handle(&bot.MessageDeleted{EventMeta: h.meta(), Channel: "#general", MessageID: gone})
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		n := 0
		err := tx.ForEachRecord("applied.pending", func(string, []byte) error { n++; return nil })
		if n != 0 {
			t.Errorf("%d pending applied records left, want none", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := h.appliedCounter(); got != 2 {
		t.Errorf("applied marks this month = %d, want 2", got)
	}
}
