package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// followUps returns the follow-up messages sent, by person.
func (h *harness) followUps() map[string][]string {
	_, _, directs := h.chat.snapshot()
	out := map[string][]string{}
	for _, d := range directs {
		if text := d.Message.Text(); strings.HasPrefix(text, "Did you put it into practice?") {
			out[d.Channel] = append(out[d.Channel], text)
		}
	}
	return out
}

// followUpRecord reads a session's follow-ups.
func (h *harness) followUpRecord(id bot.SessionID) bot.FollowUps {
	h.t.Helper()
	var f bot.FollowUps
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		raw, err := tx.Record("followup", strings.Repeat("0", 19)+id.String()[1:])
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, &f)
	}); err != nil {
		h.t.Fatal(err)
	}
	return f
}

// settle lets the scheduler and the outbox do what is due.
func (h *harness) settle() {
	synctest.Wait()
	h.bot.Wait()
	synctest.Wait()
}

// TestFollowUpsAfterSevenAndThirtyDays is issue 12's "Done when" on the
// core: three answers, a follow-up to each a week later naming their own
// answer, answers recorded once, a restart in between, and the second
// follow-up to all three 30 days after the close.
func TestFollowUpsAfterSevenAndThirtyDays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), nil)
		alice, bob, carol := user("alice"), user("bob"), user("carol")
		stop := h.runScheduler()
		h.command(trainer, "tips", "prompt in 1h Git basics")
		p := h.postsWith("What did you retain from «Git basics»")[0].ID
		h.reply(p, alice, "git bisect finds the bad commit")
		h.reply(p, bob, "rebase -i squashes commits")
		h.reply(p, carol, "worktrees keep two branches checked out")
		time.Sleep(time.Hour + time.Minute)
		h.settle()
		if len(h.postsWith("Recap of «Git basics»")) != 2 {
			t.Fatal("the session did not close")
		}
		time.Sleep(7*24*time.Hour - 2*time.Minute)
		h.settle()
		if got := h.followUps(); len(got) != 0 {
			t.Fatalf("follow-ups before 7 days: %q", got)
		}
		time.Sleep(2 * time.Minute)
		h.settle()
		got := h.followUps()
		for name, answer := range map[string]string{"alice": "git bisect", "bob": "rebase -i", "carol": "worktrees"} {
			if len(got[name]) != 1 {
				t.Fatalf("%s got %d follow-ups, want 1: %q", name, len(got[name]), got)
			}
			text := got[name][0]
			if !strings.Contains(text, "7 days ago in «Git basics» you retained:") || !strings.Contains(text, answer) {
				t.Errorf("%s's follow-up lacks their answer %q:\n%s", name, answer, text)
			}
			for other, a := range map[string]string{"alice": "git bisect", "bob": "rebase -i", "carol": "worktrees"} {
				if other != name && strings.Contains(text, a) {
					t.Errorf("%s's follow-up names %s's answer:\n%s", name, other, text)
				}
			}
		}
		_, _, directs := h.chat.snapshot()
		for _, d := range directs {
			if strings.HasPrefix(d.Message.Text(), "Did you") {
				if n := len(d.Message.Lines[1].Buttons); n != 3 {
					t.Errorf("follow-up offers %d buttons, want Applied, Not yet, Not for me: %+v", n, d.Message.Lines[1])
				}
			}
		}
		if out := h.command(alice, "tips", "applied t1"); !strings.Contains(out, "applied by 1 person") {
			t.Errorf("alice applied: %q", out)
		}
		if out := h.command(bob, "tips", "not-for-me t2"); !strings.Contains(out, "not for you") {
			t.Errorf("bob not for me: %q", out)
		}
		if out := h.command(bob, "tips", "not-yet t2"); !strings.Contains(out, "not yet") { // a second answer replaces the first
			t.Errorf("bob not yet: %q", out)
		}
		if out := h.command(carol, "tips", "not-yet t1"); !strings.Contains(out, "No follow-up asked you") {
			t.Errorf("carol on alice's tip: %q", out)
		}
		f := h.followUpRecord(1)
		if got := f.Steps[0].People["alice"].Answers[1]; got != bot.AnswerApplied {
			t.Errorf("alice's answer = %q", got)
		}
		if got := f.Steps[0].People["bob"].Answers; len(got) != 1 || got[2] != bot.AnswerNotYet {
			t.Errorf("bob's answers = %v, want not-yet once", got)
		}
		if got := f.Steps[0].People["carol"].Answers; len(got) != 0 {
			t.Errorf("carol's answers = %v, want none", got)
		}
		report := h.command(trainer, "tips", "report")
		for _, want := range []string{"Applied marks: 1", "Follow-up of s1 «Git basics» after 7 days: 3 sent — applied 1 · not yet 1 · not for me 0 · no answer 1"} {
			if !strings.Contains(report, want) {
				t.Errorf("report lacks %q:\n%s", want, report)
			}
		}
		if !f.Steps[0].Done || f.Steps[1].Done {
			t.Errorf("steps done = %v, %v; want the first only", f.Steps[0].Done, f.Steps[1].Done)
		}

		// A restart in between sends nothing twice.
		stop()
		h.close()
		time.Sleep(24 * time.Hour)
		h.open()
		stop = h.runScheduler()
		defer func() { stop() }()
		h.settle()
		for name, list := range h.followUps() {
			if len(list) != 1 {
				t.Errorf("%s got %d follow-ups after a restart, want 1", name, len(list))
			}
		}
		// 30 days after the close, the second goes to all three.
		time.Sleep(22 * 24 * time.Hour)
		h.settle()
		got = h.followUps()
		for _, name := range []string{"alice", "bob", "carol"} {
			if len(got[name]) != 2 || !strings.Contains(got[name][1], "30 days ago in «Git basics»") {
				t.Errorf("%s's follow-ups after 30 days: %q", name, got[name])
			}
		}
		h.command(bob, "tips", "applied t2")
		f = h.followUpRecord(1)
		if got := f.Steps[1].People["bob"].Answers[2]; got != bot.AnswerApplied {
			t.Errorf("bob's second answer = %q", got)
		}
		if got := f.Steps[0].People["bob"].Answers[2]; got != bot.AnswerNotYet {
			t.Errorf("bob's first answer changed to %q", got)
		}
		applied := 0
		if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
			return tx.ForEachTip(func(t bot.Tip) error { applied += t.Applied; return nil })
		}); err != nil {
			t.Fatal(err)
		}
		if applied != 2 {
			t.Errorf("applied marks = %d, want 2 (alice's, then bob's)", applied)
		}
		report = h.command(trainer, "tips", "report")
		for _, want := range []string{"Applied marks: 2",
			"Follow-up of s1 «Git basics» after 7 days: 3 sent — applied 1 · not yet 1 · not for me 0 · no answer 1",
			"Follow-up of s1 «Git basics» after 30 days: 3 sent — applied 1 · not yet 0 · not for me 0 · no answer 2"} {
			if !strings.Contains(report, want) {
				t.Errorf("report lacks %q:\n%s", want, report)
			}
		}
	})
}

// TestFollowUpsOneADayAndQuiet checks that a person gets at most one
// follow-up message a day (those due together are combined, a later one
// waits for the next day) and none after /tips quiet.
func TestFollowUpsOneADayAndQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), func(c *bot.Config) {
			c.FollowUp = []time.Duration{7 * 24 * time.Hour}
		})
		alice, bob := user("alice"), user("bob")
		stop := h.runScheduler()
		open := func(title string) {
			h.command(trainer, "tips", "prompt in 1h "+title)
			p := h.postsWith("What did you retain from «" + title + "»")[0].ID
			h.reply(p, alice, "alice on "+title)
			h.reply(p, bob, "bob on "+title)
		}
		open("Morning") // closes at 9:00
		time.Sleep(2 * time.Hour)
		open("Noon") // closes at 11:00
		time.Sleep(6 * time.Hour)
		open("Evening") // closes at 17:00
		h.settle()
		time.Sleep(10 * time.Hour) // day 1, 02:00
		h.settle()
		if out := h.command(bob, "tips", "quiet"); !strings.Contains(out, "No more follow-ups") {
			t.Errorf("quiet: %q", out)
		}
		// tipbot is down when Morning's and Noon's follow-ups fall due.
		stop()
		h.close()
		time.Sleep(6*24*time.Hour + 10*time.Hour) // day 7, 12:00
		h.open()
		stop = h.runScheduler()
		defer func() { stop() }()
		h.settle()
		got := h.followUps()
		if len(got["alice"]) != 1 || !strings.Contains(got["alice"][0], "alice on Morning") || !strings.Contains(got["alice"][0], "alice on Noon") {
			t.Fatalf("alice's follow-ups on day 7: %q, want Morning and Noon combined in one", got["alice"])
		}
		if len(got["bob"]) != 0 {
			t.Errorf("bob asked for quiet but got %q", got["bob"])
		}
		time.Sleep(6 * time.Hour) // Evening's falls due at 17:00: tomorrow
		h.settle()
		if n := len(h.followUps()["alice"]); n != 1 {
			t.Errorf("alice got %d follow-ups on day 7, want 1", n)
		}
		time.Sleep(7 * time.Hour) // day 8, 01:00
		h.settle()
		got = h.followUps()
		if len(got["alice"]) != 2 || !strings.Contains(got["alice"][1], "alice on Evening") {
			t.Errorf("alice's follow-ups on day 8: %q", got["alice"])
		}
		if out := h.command(bob, "tips", "quiet off"); !strings.Contains(out, "resumed") {
			t.Errorf("quiet off: %q", out)
		}
		f := h.followUpRecord(1)
		if item := f.Steps[0].People["bob"]; item == nil || !item.Skipped {
			t.Errorf("bob's Morning follow-up = %+v, want skipped", item)
		}
	})
}

// TestForgetMeUnlinksFollowUps: a person who forgets themselves leaves
// the follow-ups counted, not linked to them.
func TestForgetMeUnlinksFollowUps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), nil)
		alice, bob := user("alice"), user("bob")
		stop := h.runScheduler()
		defer func() { stop() }()
		h.command(trainer, "tips", "prompt in 1h Git basics")
		p := h.postsWith("What did you retain from «Git basics»")[0].ID
		h.reply(p, alice, "git bisect finds the bad commit")
		h.reply(p, bob, "rebase -i squashes commits")
		time.Sleep(7*24*time.Hour + 2*time.Hour)
		h.settle()
		h.command(bob, "tips", "not-yet t2")
		h.command(bob, "tips", "quiet")
		h.command(bob, "tips", "forget-me confirm")
		f := h.followUpRecord(1)
		if len(f.Steps[0].People) != 2 || f.Steps[0].People["bob"] != nil {
			t.Fatalf("after bob forgot himself: %+v", f.Steps[0].People)
		}
		for who, item := range f.Steps[0].People {
			if who != "alice" && (!strings.HasPrefix(who, "forgotten-") || item.Answers[2] != bot.AnswerNotYet) {
				t.Errorf("bob's follow-up kept as %q: %+v", who, item)
			}
		}
		if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
			for _, kind := range []string{"quiet", "followup.last"} {
				if _, err := tx.Record(kind, "bob"); err == nil {
					t.Errorf("%s record of bob kept", kind)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
