package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// TestRecoveryAfterDowntime is issue 22's "Done when": tipbot captures a tip
// and is stopped; meanwhile three tip messages are posted and six people
// find the tip useful, which Slack could not deliver; at the next start
// tipbot reads the channel back: the export holds the three new tips and
// the six votes, and nothing is posted or reacted twice. Then a longer stop
// whose history spans several pages.
func TestRecoveryAfterDowntime(t *testing.T) {
	t.Parallel()
	bin := e2eBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := platSlack(t)
	people := []string{psBob, psCarol, psDave, "U0ERIN001", "U0FRANK01", "U0GRACE01"}
	for _, id := range people[3:] {
		s.AddUser(slacktest.User{ID: id, Name: strings.ToLower(id[3:7]), DisplayName: id[3:7]})
	}
	config := fmt.Sprintf(`store:
  path: %s
slack:
  enabled: true
  mode: socket
  bot_token: ${SLACK_BOT_TOKEN}
  app_token: ${SLACK_APP_TOKEN}
  api_url: %s
http:
  addr: 127.0.0.1:0
`, db, s.URL())
	env := []string{"SLACK_BOT_TOKEN=" + psBotToken, "SLACK_APP_TOKEN=" + psAppToken}
	start := func() *tipbotProc {
		p := startTipbot(t, bin, dir, config, env...)
		p.waitHealthy(t)
		return p
	}

	p := start()
	bisect := s.Say(psGeneral, psAlice, "tip: use git bisect to find regressions #git")
	platSlackAck(t, s, "the tip before the stop", bisect)
	platSlackSettle(t, s)
	p.stop(t)

	// While tipbot is away.
	var missed []string
	for i, who := range []string{psBob, psCarol, psDave} {
		missed = append(missed, s.AddMessage(psGeneral, who, "", fmt.Sprintf("tip: said while away, number %d", i+1)))
	}
	s.AddMessage(psGeneral, psCarol, "", "a plain message, not a tip")
	for _, who := range people {
		s.AddReaction(psGeneral, bisect, who, "bulb")
	}

	p = start()
	for i, ts := range missed {
		platSlackAck(t, s, fmt.Sprintf("missed tip %d", i+1), ts)
	}
	waitLog(t, p, "recovery: caught up")
	platSlackSettle(t, s)
	p.stop(t)
	e2eContains(t, "tipbot's log", p.log(), "tips=3", "votes_added=6")

	recs := platExport(t, bin, dir, db)
	want := []platTip{{"slack", psTeam, psGeneral, bisect, "use git bisect to find regressions #git", "prefix", 6}}
	for i, ts := range missed {
		want = append(want, platTip{"slack", psTeam, psGeneral, ts, fmt.Sprintf("said while away, number %d", i+1), "prefix", 0})
	}
	platWantTips(t, recs, want)
	noRepeats(t, s)

	// A longer stop: 250 messages, two of them tips, over two pages.
	before := s.HistoryPages()
	var late []string
	for i := range 250 {
		text := fmt.Sprintf("chatter %d", i)
		if i == 10 || i == 240 {
			text = fmt.Sprintf("tip: found in page %d", i)
		}
		ts := s.AddMessage(psGeneral, psBob, "", text)
		if strings.HasPrefix(text, "tip:") {
			late = append(late, ts)
		}
	}
	p = start()
	for _, ts := range late {
		platSlackAck(t, s, "a tip of the long stop", ts)
	}
	waitLog(t, p, "recovery: caught up")
	platSlackSettle(t, s)
	p.stop(t)
	if pages := s.HistoryPages() - before; pages < 2 {
		t.Errorf("history read in %d pages, want at least 2", pages)
	}
	recs = platExport(t, bin, dir, db)
	if len(recs) != 6 {
		t.Errorf("export has %d tips after the long stop, want 6", len(recs))
	}
	noRepeats(t, s)
}

// waitLog waits (a minute at most) for a line of tipbot's log.
func waitLog(t *testing.T, p *tipbotProc, text string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.log(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("tipbot's log never says %q", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noRepeats checks that tipbot reacted at most once to each message and
// posted nothing twice.
func noRepeats(t *testing.T, s *slacktest.Server) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range s.Calls("reactions.add") {
		if c.Status == 200 {
			seen[c.Params.Get("channel")+"/"+c.Params.Get("timestamp")+":"+c.Params.Get("name")]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("reaction %s added %d times", k, n)
		}
	}
	posts := map[string]int{}
	for _, m := range s.BotMessages(psGeneral) {
		posts[m.Text]++
	}
	for text, n := range posts {
		if n > 1 {
			t.Errorf("posted %d times: %q", n, text)
		}
	}
}
