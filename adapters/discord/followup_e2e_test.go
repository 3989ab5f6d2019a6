package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// TestFollowUpButtonsEndToEnd: a session's answerer gets the follow-up as
// a direct message with Applied / Not yet / Not for me buttons; clicking
// them (MESSAGE_COMPONENT interactions through the fake gateway) marks
// the tip applied, changes the answer, and is answered privately.
func TestFollowUpButtonsEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, nil)
	fd := w.fd
	w.ask(mod, "tips", discordtest.Sub("prompt", discordtest.Str("title", "Git basics"), discordtest.Str("duration", "2h")))
	prompt := w.botMessage("the prompt", general, "Git basics")
	w.bot.Wait()
	answer := fd.Say(general, carol, "stash before switching branches", discordtest.ReplyTo(prompt.ID))
	tip := w.mustTip(general, answer.ID)
	w.ask(mod, "tips", discordtest.Sub("close", discordtest.Str("session", "s1")))

	w.shift.Add(int64(7*24*time.Hour + time.Minute))
	if err := w.bot.TickNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	var dm discordtest.Message
	fd.Wait(t, "carol's follow-up", func() bool {
		for _, m := range fd.DirectMessages(carol) {
			if strings.Contains(m.Text(), "7 days ago in «Git basics» you retained") {
				dm = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(dm.Text(), "stash before switching branches") {
		t.Errorf("follow-up lacks carol's answer:\n%s", dm.Text())
	}
	ids := map[string]string{}
	for _, b := range dm.Buttons {
		ids[b.Label] = b.CustomID
	}
	want := map[string]string{
		"Applied · " + tip.ID.String():    "tips:" + guildID + ":applied " + tip.ID.String(),
		"Not yet · " + tip.ID.String():    "tips:" + guildID + ":not-yet " + tip.ID.String(),
		"Not for me · " + tip.ID.String(): "tips:" + guildID + ":not-for-me " + tip.ID.String(),
	}
	for label, id := range want {
		if ids[label] != id {
			t.Errorf("button %q = %q, want %q (buttons: %+v)", label, ids[label], id, dm.Buttons)
		}
	}
	click := func(label, reply string) {
		t.Helper()
		ix := fd.Click(carol, dm.ID, want[label])
		ans := fd.Answer(t, ix)
		if !ans.Ephemeral() || !strings.Contains(ans.Text(), reply) {
			t.Errorf("click %q: answer %+v, want a private %q", label, ans, reply)
		}
	}
	applied := func() int {
		t.Helper()
		cur, err := w.tip(general, answer.ID)
		if err != nil {
			t.Fatal(err)
		}
		return cur.Applied
	}
	click("Applied · "+tip.ID.String(), "applied by 1 person")
	if got := applied(); got != 1 {
		t.Errorf("applied = %d after Applied, want 1", got)
	}
	click("Applied · "+tip.ID.String(), "already") // a second click never double-counts
	click("Not yet · "+tip.ID.String(), "not yet")
	if got := applied(); got != 0 {
		t.Errorf("applied = %d after Not yet, want 0 (the answer changed)", got)
	}
	click("Applied · "+tip.ID.String(), "applied by 1 person")
	if got := applied(); got != 1 {
		t.Errorf("applied = %d, want 1", got)
	}
	// ✅ on the tip counts as applied, not useful.
	seq := fd.React(answer.ID, bob, "✅")
	fd.Wait(t, "bob's ✅", func() bool { return w.tap.handled(":" + itoa(seq)) })
	if cur, err := w.tip(general, answer.ID); err != nil || cur.Applied != 2 || cur.UsefulVotes != 0 {
		t.Errorf("after bob's ✅: %+v (%v), want applied 2 and no useful vote", cur, err)
	}
	report, err := w.bot.Report(context.Background(), bot.Workspace{Platform: Platform, ID: guildID}, bot.All, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.Text(), "after 7 days: 1 sent — applied 1 · not yet 0 · not for me 0 · no answer 0") {
		t.Errorf("report:\n%s", report.Text())
	}
}
