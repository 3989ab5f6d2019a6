package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

// TestMentionsPingNobody is issue 18's "done when" on Slack: tips holding
// broadcasts and a person's mention, captured by prefix and by /tip, then
// reposted in the hall of fame and the thanks: no post holds a broadcast,
// none sets link_names, the hall of fame names the person mentioned instead
// of pinging them, the /tip post keeps its author's mention, and the export
// keeps the words as written.
func TestMentionsPingNobody(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ModeSocket)
	s := w.s

	prefixText := "tip: before a deploy give <!channel> and <!here> a heads-up, ask <@" + dave + "> or <!subteam^S1|@devs> #deploy"
	byPrefix := s.Say(general, alice, prefixText)
	w.settle()
	commandText := "<!everyone> rotate the staging keys every Friday, <@" + dave + "> knows how <!subteam^S1|@devs>"
	w.ask(bob, "/tip", commandText)
	w.settle()
	var tipPost string
	for _, m := range s.BotMessages(general) {
		if strings.Contains(m.Text, "rotate the staging keys") {
			tipPost = m.TS
		}
	}
	if tipPost == "" {
		t.Fatalf("no /tip post in %v", s.BotMessages(general))
	}
	// Dave has not spoken: the adapter learns his name before the hall of
	// fame (users.info when he votes).
	for _, ts := range []string{byPrefix, tipPost} {
		for _, voter := range []string{carol, dave, admin} {
			s.React(general, ts, voter, "bulb")
		}
	}
	w.settle()

	posts := append(s.BotMessages(general), s.BotMessages(fame)...)
	posts = append(posts, s.BotMessages(s.DMChannel(alice))...)
	posts = append(posts, s.BotMessages(s.DMChannel(bob))...)
	fameTexts := 0
	for _, m := range posts {
		for _, part := range []string{m.Text, string(m.Blocks)} {
			// Blocks are JSON: undo its \u003c escapes before looking.
			part = strings.ReplaceAll(part, `\u003c`, "<")
			for _, bad := range broadcasts {
				if strings.Contains(part, bad) {
					t.Errorf("post in %s holds %s: %s", m.Channel, bad, part)
				}
			}
		}
		if m.Channel == fame {
			fameTexts++
			if strings.Contains(m.Text, "<@"+dave) || strings.Contains(string(m.Blocks), "<@"+dave) {
				t.Errorf("hall of fame post pings dave: %s", m.Text)
			}
			if !strings.Contains(m.Text, "@Dave") || !strings.Contains(m.Text, "@devs") ||
				!strings.Contains(m.Text, "@channel and @here") && !strings.Contains(m.Text, "@everyone rotate") {
				t.Errorf("hall of fame post lost the words: %s", m.Text)
			}
		}
	}
	if fameTexts != 2 {
		t.Errorf("hall of fame posts = %d, want 2", fameTexts)
	}
	if m := s.BotMessages(general); !strings.Contains(messageText(m, tipPost), "<@"+dave+">") ||
		!strings.Contains(messageText(m, tipPost), "@everyone") {
		t.Errorf("/tip post = %q: want the author's mention of dave kept and @everyone as a word", messageText(m, tipPost))
	}
	if dms := s.BotMessages(s.DMChannel(alice)); len(dms) != 1 || strings.Contains(dms[0].Text, "<@"+dave) {
		t.Errorf("thanks to alice = %+v", dms)
	}
	for _, c := range s.Calls("") {
		if c.Params.Has("link_names") || c.Params.Has("parse") {
			t.Errorf("%s sets link_names or parse: %v", c.Method, c.Params)
		}
	}

	var out bytes.Buffer
	if err := bot.Export(context.Background(), w.db, []bot.Workspace{team}, "json", &out); err != nil {
		t.Fatal(err)
	}
	texts := map[string]bool{}
	for line := range strings.Lines(out.String()) {
		var row struct{ Text string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		texts[row.Text] = true
	}
	if !texts[strings.TrimPrefix(prefixText, "tip: ")] || !texts[commandText] {
		t.Errorf("export texts = %v, want the words as written", texts)
	}
}

func messageText(ms []slacktest.Message, ts string) string {
	for _, m := range ms {
		if m.TS == ts {
			return m.Text
		}
	}
	return ""
}
