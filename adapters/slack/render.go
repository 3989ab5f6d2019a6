package slack

import (
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
const (
	maxHeaderChars  = 150
	maxSectionChars = 3000
	maxBlocks       = 50
	maxFallback     = 3000 // the notification text; the blocks carry the rest
)

// render turns a core message into Block Kit blocks and a plain-text
// fallback for notifications. link returns the permalink of a line's Ref
// ("" when unknown). Text is passed as Slack mrkdwn: what Slack sent in
// (mentions, links, &amp;) is kept, stray <, > and & are escaped.
func render(m bot.Message, link func(bot.MessageRef) string) (string, []slackapi.Block) {
	var blocks []slackapi.Block
	if title := strings.TrimSpace(m.Title); title != "" {
		blocks = append(blocks, slackapi.NewHeaderBlock(
			slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(title, maxHeaderChars), true, false)))
	}
	var fallback []string
	if m.Title != "" {
		fallback = append(fallback, escapeMrkdwn(m.Title))
	}
	var section strings.Builder
	flush := func() {
		if section.Len() == 0 {
			return
		}
		if len(blocks) < maxBlocks {
			blocks = append(blocks, slackapi.NewSectionBlock(
				slackapi.NewTextBlockObject(slackapi.MarkdownType, section.String(), false, false), nil, nil))
		}
		section.Reset()
	}
	for _, l := range m.Lines {
		text := escapeMrkdwn(l.Text)
		fallback = append(fallback, text)
		if l.Ref != nil && link != nil {
			if u := link(*l.Ref); u != "" {
				text += " <" + u + "|↗>"
			}
		}
		if strings.TrimSpace(text) == "" {
			text = " "
		}
		for utf8.RuneCountInString(text) > maxSectionChars {
			flush()
			head := truncateRunes(text, maxSectionChars)
			section.WriteString(head)
			flush()
			text = text[len(head):]
		}
		if section.Len() > 0 && utf8.RuneCountInString(section.String())+1+utf8.RuneCountInString(text) > maxSectionChars {
			flush()
		}
		if section.Len() > 0 {
			section.WriteByte('\n')
		}
		section.WriteString(text)
	}
	flush()
	text := truncate(strings.Join(fallback, "\n"), maxFallback)
	if strings.TrimSpace(text) == "" && m.File != nil {
		text = escapeMrkdwn(m.File.Name)
	}
	return text, blocks
}

// truncate cuts s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return truncateRunes(s, n-1) + "…"
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// escapeMrkdwn escapes &, < and > for Slack, except where they already form
// Slack markup: entities (&amp; &lt; &gt;) and <…> sequences for mentions,
// channels, special mentions and links, as found in text Slack sent in.
func escapeMrkdwn(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '&':
			if hasEntity(s[i:]) {
				b.WriteByte('&')
			} else {
				b.WriteString("&amp;")
			}
			i++
		case '<':
			if n := markupLen(s[i:]); n > 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
			b.WriteString("&lt;")
			i++
		case '>':
			b.WriteString("&gt;")
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func hasEntity(s string) bool {
	return strings.HasPrefix(s, "&amp;") || strings.HasPrefix(s, "&lt;") || strings.HasPrefix(s, "&gt;")
}

// markupLen returns the length of a Slack <…> markup sequence at the start
// of s, or 0 when s does not start with one.
func markupLen(s string) int {
	end := strings.IndexByte(s, '>')
	if end < 2 {
		return 0
	}
	inner := s[1:end]
	if strings.ContainsAny(inner, "<\n") {
		return 0
	}
	// Special mentions other than dates (<!here>, <!channel>,
	// <!everyone>, <!subteam^…>) notify many people: they are escaped
	// and show as text.
	for _, p := range []string{"@U", "@W", "@B", "#C", "#G", "!date^", "http://", "https://", "mailto:"} {
		if strings.HasPrefix(inner, p) {
			return end + 1
		}
	}
	return 0
}
