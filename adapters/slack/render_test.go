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
		"see <https://go.dev|Go> <!here>":     "see <https://go.dev|Go> &lt;!here&gt;", // a broadcast shows as text
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
