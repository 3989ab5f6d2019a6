package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

func TestEscapeMrkdwn(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":                               "plain",
		"R&D <3 > all":                        "R&amp;D &lt;3 &gt; all",
		"already &amp; &lt;escaped&gt;":       "already &amp; &lt;escaped&gt;",
		"hi <@U0ALICE01> in <#C0GEN|general>": "hi <@U0ALICE01> in <#C0GEN|general>",
		"see <https://go.dev|Go> <!here>":     "see <https://go.dev|Go> @here",
		"<!channel> <!here|here> <!everyone>": "@channel @here @everyone",
		"ask <!subteam^S0DEVOPS|@devops> now": "ask @devops now",
		"<!subteam^S1> <!group> <!foo|<b>>":   "@group @group &lt;!foo|&lt;b&gt;&gt;",
		"<!subteam^S1|R&D> <!x|a&lt;b>":       "@R&amp;D a&lt;b",
		"on <!date^1392734382^{date}|Feb 18>": "on <!date^1392734382^{date}|Feb 18>",
		"<script>alert(1)</script>":           "&lt;script&gt;alert(1)&lt;/script&gt;",
		"a < b\n> c":                          "a &lt; b\n&gt; c",
		"<@U1\n>":                             "&lt;@U1\n&gt;",
		"":                                    "",
	} {
		if got := escapeMrkdwn(in); got != want {
			t.Errorf("escapeMrkdwn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 7000)
	m := bot.Message{Title: strings.Repeat("T", 200), Lines: []bot.Line{{Text: "first"}, {Text: long}, {Text: ""}, {Text: "last"}}}
	for range 100 {
		m.Lines = append(m.Lines, bot.Line{Text: strings.Repeat("x", 2900)})
	}
	text, blocks := render(m, nil)
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(blocks), maxBlocks)
	}
	if n := utf8.RuneCountInString(text); n > maxFallback {
		t.Errorf("fallback of %d runes", n)
	}
	b, err := json.Marshal(slackapi.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	var decoded []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded[0].Type != "header" || utf8.RuneCountInString(decoded[0].Text.Text) > maxHeaderChars {
		t.Errorf("header = %+v", decoded[0])
	}
	for _, d := range decoded[1:] {
		if d.Type != "section" || d.Text.Text == "" || utf8.RuneCountInString(d.Text.Text) > maxSectionChars {
			t.Errorf("section of %d runes", utf8.RuneCountInString(d.Text.Text))
		}
	}
	if decoded[1].Text.Text != "first" || !strings.HasPrefix(decoded[2].Text.Text, "éé") {
		t.Errorf("sections = %q / %q…", decoded[1].Text.Text, decoded[2].Text.Text[:10])
	}
}

func TestRenderRefsAndEmpty(t *testing.T) {
	t.Parallel()
	ref := &bot.MessageRef{Channel: "C1", MessageID: "1.2"}
	text, blocks := render(bot.Message{Lines: []bot.Line{{Text: "a tip", Ref: ref}, {Text: "no link", Ref: &bot.MessageRef{}}}},
		func(r bot.MessageRef) string {
			if r == *ref {
				return "https://acme.slack.com/archives/C1/p12"
			}
			return ""
		})
	if text != "a tip\nno link" || len(blocks) != 1 {
		t.Fatalf("render = %q, %d blocks", text, len(blocks))
	}
	b, _ := json.Marshal(blocks[0])
	if !strings.Contains(string(b), `a tip \u003chttps://acme.slack.com/archives/C1/p12|↗\u003e\nno link`) {
		t.Errorf("section = %s", b)
	}
	text, blocks = render(bot.Message{File: &bot.File{Name: "x.csv"}}, nil)
	if text != "x.csv" || len(blocks) != 0 {
		t.Errorf("file-only render = %q, %d blocks", text, len(blocks))
	}
}

func TestNamePeople(t *testing.T) {
	t.Parallel()
	names := map[string]string{"U0DAVE": "Dave <the> admin", "U0ALICE": "alice"}
	name := func(id string) string { return names[id] }
	for _, c := range []struct{ in, keep, want string }{
		{"ask <@U0DAVE> and <@U0ALICE>", "", "ask @Dave &lt;the&gt; admin and @alice"},
		{"ask <@U0DAVE> and <@U0ALICE>", "U0ALICE", "ask @Dave &lt;the&gt; admin and <@U0ALICE>"},
		{"<@U0NOBODY> <@W0GRID|gina> <@U1\n>", "", "@U0NOBODY @gina <@U1\n>"},
		{"no mention, <#C0GEN|general> <@", "", "no mention, <#C0GEN|general> <@"},
	} {
		if got := namePeople(c.in, c.keep, name); got != c.want {
			t.Errorf("namePeople(%q, %q) = %q, want %q", c.in, c.keep, got, c.want)
		}
	}
}

// broadcasts are the sequences Slack reads as mentions of many people.
var broadcasts = []string{"<!channel", "<!here", "<!everyone", "<!subteam", "<!group"}

// FuzzSlackRender checks that whatever a tip says (and whatever people are
// called), the post tipbot renders holds no mention Slack would read as a
// broadcast, in the notification text or in any block.
func FuzzSlackRender(f *testing.F) {
	for _, s := range []string{
		"tip: before a deploy give <!channel> and <!here> a heads-up, ask <@U04DAVE> or <!subteam^S0DEVOPS|@devops> #tip",
		"<!everyone> rotate the staging keys every Friday",
		"<<!channel>> <!here|here> <!subteam^S1> <!group>",
		"<http://x|<!channel>> <@U1|<!here>> &lt;!everyone&gt;",
		"<!date^1392734382^{date}|Feb 18> <!channel|<!here>>",
		"", "<", "<!", "<@U1>",
	} {
		f.Add(s, "<!channel>", false)
		f.Add(s, "", true)
	}
	f.Fuzz(func(t *testing.T, text, name string, own bool) {
		m := bot.Message{Title: text, Lines: []bot.Line{{Text: text}, {Text: "💡 " + text}}, Own: own, Credit: "U1"}
		if !own {
			m.Title = namePeople(m.Title, m.Credit, func(string) string { return name })
			for i := range m.Lines {
				m.Lines[i].Text = namePeople(m.Lines[i].Text, m.Credit, func(string) string { return name })
			}
		}
		fallback, blocks := render(m, func(bot.MessageRef) string { return "https://acme.slack.com/x" })
		texts := []string{fallback}
		for _, b := range blocks {
			switch b := b.(type) {
			case *slackapi.SectionBlock:
				texts = append(texts, b.Text.Text)
				if !b.Text.Verbatim {
					t.Errorf("section not verbatim: %q", b.Text.Text)
				}
			case *slackapi.HeaderBlock:
				texts = append(texts, b.Text.Text)
			}
		}
		for _, s := range texts {
			for _, bad := range broadcasts {
				if strings.Contains(strings.ToLower(s), bad) {
					t.Fatalf("text %q rendered %q, which holds %s", text, s, bad)
				}
			}
		}
	})
}

// TestRenderReferenceParts: the people and channels a core message names
// are written in Slack's markup (<@U1>, <#C1>) when it is sent; a repost
// names people mentioned so but the credited author; a line stored as text
// is sent as it is.
func TestRenderReferenceParts(t *testing.T) {
	t.Parallel()
	m := bot.Message{
		TitleParts: []bot.Part{{Text: "Report, "}, bot.ChannelRef("C1")},
		Lines: []bot.Line{
			{Parts: []bot.Part{bot.Mention("U0DAVE"), {Text: " & "}, bot.Mention("U0ALICE"), {Text: " in "}, bot.ChannelRef("C2")}},
			{Text: "stored <#C3>"},
		},
	}
	text, _ := render(m, nil)
	if want := "Report, <#C1>\n<@U0DAVE> &amp; <@U0ALICE> in <#C2>\nstored <#C3>"; text != want {
		t.Errorf("render = %q, want %q", text, want)
	}
	names := map[string]string{"U0DAVE": "Dave", "U0ALICE": "alice"}
	r := m.Render(refMarkup)
	if got := namePeople(r.Lines[0].Text, "U0ALICE", func(id string) string { return names[id] }); got != "@Dave & <@U0ALICE> in <#C2>" {
		t.Errorf("repost crediting alice = %q", got)
	}
}
