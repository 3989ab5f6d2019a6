package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

func TestFollowUpButtonsSocket(t *testing.T) {
	t.Parallel()
	followUpButtons(t, ModeSocket)
}

func TestFollowUpButtonsHTTP(t *testing.T) {
	t.Parallel()
	followUpButtons(t, ModeHTTP)
}

// followUpButtons: a session's answerer gets the follow-up as a direct
// message with Block Kit buttons; clicking them (block_actions through
// the fake's interactivity, over Socket Mode or the /slack/events URL)
// marks the tip applied, changes the answer, and is answered privately.
func followUpButtons(t *testing.T, mode string) {
	w := newWorld(t, mode)
	s := w.s
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
	if tip := w.mustTip(train, reply); tip.SessionID != 1 {
		t.Fatalf("the reply is not an answer of s1: %+v", tip)
	}
	w.ask(admin, "/tips", "close s1")
	w.settle()

	w.shift.Add(int64(7*24*time.Hour + time.Minute))
	if err := w.bot.TickNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.settle()
	dm := s.DMChannel(carol)
	var followUp slacktest.Message
	for _, m := range s.BotMessages(dm) {
		if strings.Contains(m.Text, "7 days ago in «Git basics» you retained") {
			followUp = m
		}
	}
	if followUp.TS == "" || !strings.Contains(followUp.Text, "git rebase -i") {
		t.Fatalf("carol's follow-up: %+v", s.BotMessages(dm))
	}
	click := func(action, want string) {
		t.Helper()
		in := s.Click(dm, followUp.TS, carol, action)
		if in == nil {
			t.Fatalf("the follow-up has no button %s: %s", action, followUp.Blocks)
		}
		if _, _, ok := in.Ack(5 * time.Second); !ok {
			t.Fatalf("click %s: not acknowledged", action)
		}
		waitFor(t, s, "the answer to the click", func() bool { return len(in.Responses()) > 0 })
		if ans := in.Responses()[0]; ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, want) {
			t.Errorf("click %s: answer %+v, want a private %q", action, ans, want)
		}
	}
	applied := func() int { t.Helper(); return w.mustTip(train, reply).Applied }
	click("tips:0", "applied by 1 person") // Applied
	if got := applied(); got != 1 {
		t.Errorf("applied = %d after Applied, want 1", got)
	}
	click("tips:0", "already") // a second click never double-counts
	click("tips:1", "not yet") // Not yet: the answer changes
	if got := applied(); got != 0 {
		t.Errorf("applied = %d after Not yet, want 0", got)
	}
	click("tips:2", "not for you") // Not for me
	// ✅ on the tip counts as applied, not useful.
	s.React(train, reply, bob, "white_check_mark")
	w.settle()
	if cur := w.mustTip(train, reply); cur.Applied != 1 || cur.UsefulVotes != 0 {
		t.Errorf("after bob's ✅: applied %d, votes %d; want 1 and 0", cur.Applied, cur.UsefulVotes)
	}
	report, err := w.bot.Report(context.Background(), team, bot.All, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.Text(), "after 7 days: 1 sent — applied 0 · not yet 0 · not for me 1 · no answer 0") {
		t.Errorf("report:\n%s", report.Text())
	}
}
