package slack

import (
	"context"
	"fmt"
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
// (people and channel mentions, links, &amp;) is kept, stray <, > and & are
// escaped, and broadcasts (<!channel>, <!here>, <!everyone>, user groups)
// become words that ping nobody. Sections are verbatim: Slack parses no
// mention in them that is not already markup.
func render(m bot.Message, link func(bot.MessageRef) string) (string, []slackapi.Block) {
	m = m.Render(refMarkup)
	var blocks []slackapi.Block
	if title := strings.TrimSpace(m.Title); title != "" {
		blocks = append(blocks, slackapi.NewHeaderBlock(
			slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(plainWords(title), maxHeaderChars), true, false)))
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
				slackapi.NewTextBlockObject(slackapi.MarkdownType, section.String(), false, true), nil, nil))
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
		if len(l.Buttons) > 0 {
			flush()
			if len(blocks) < maxBlocks {
				blocks = append(blocks, buttonBlock(len(blocks), l.Buttons))
			}
		}
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
// Slack markup: entities (&amp; &lt; &gt;) and <…> sequences for people and
// channel mentions, dates and links, as found in text Slack sent in. Special
// mentions that ping many people (<!channel>, <!here>, <!everyone>,
// <!group>, <!subteam^ID|@name>, or any other but dates) are written as
// plain words (@channel, @name).
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
				inner := s[i+1 : i+n-1]
				if strings.HasPrefix(inner, "!") && !strings.HasPrefix(inner, "!date^") {
					b.WriteString(escapeText(broadcastWords(inner)))
				} else {
					b.WriteString(s[i : i+n])
				}
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
	for _, p := range []string{"@U", "@W", "@B", "#C", "#G", "!", "http://", "https://", "mailto:"} {
		if strings.HasPrefix(inner, p) {
			return end + 1
		}
	}
	return 0
}

// broadcastWords returns the plain words for a special mention's inner
// text ("!here", "!subteam^S1|@devs"): what people see, pinging nobody.
func broadcastWords(inner string) string {
	name, label, _ := strings.Cut(strings.TrimPrefix(inner, "!"), "|")
	name, _, _ = strings.Cut(name, "^")
	switch name {
	case "channel", "here", "everyone", "group":
		return "@" + name
	}
	if label = strings.TrimSpace(label); label != "" {
		if name == "subteam" && !strings.HasPrefix(label, "@") {
			label = "@" + label
		}
		return label
	}
	if name == "subteam" {
		return "@group"
	}
	return "@" + name
}

// escapeText escapes <, > and the & that start no entity: the text shows
// as written and forms no markup.
func escapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			if hasEntity(s[i:]) {
				b.WriteByte('&')
			} else {
				b.WriteString("&amp;")
			}
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// namePeople rewrites the people mentions of s (<@U…>, <@W…>, with or
// without a |label) as names that ping nobody, except the mentions of keep:
// "@" and the name that name gives (when it knows one), else the label,
// else the id. Broadcasts are left to escapeMrkdwn.
func namePeople(s, keep string, name func(id string) string) string {
	if !strings.Contains(s, "<@") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "<@")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		n := markupLen(s[i:])
		if n == 0 {
			b.WriteString("<@")
			s = s[i+2:]
			continue
		}
		id, label, _ := strings.Cut(s[i+2:i+n-1], "|")
		switch {
		case id == keep && keep != "":
			b.WriteString(s[i : i+n])
		default:
			who := ""
			if name != nil {
				who = name(id)
			}
			if who == "" {
				who = label
			}
			if who == "" {
				who = id
			}
			b.WriteString(escapeText("@" + strings.TrimPrefix(who, "@")))
		}
		s = s[i+n:]
	}
}

// memberNamer is what the adapter may ask its Handler (*bot.Bot does):
// the name the directory of people knows for a person.
type memberNamer interface {
	MemberName(ctx context.Context, ws bot.Workspace, id string) string
}

// namePeople returns m with the people it mentions named instead of pinged,
// unless m is its author's own words (bot.Message.Own); the credited
// person's mentions stay. Names are those the directory of people knows
// (or a lookup just learned), else the mention's label or the id as plain
// text.
func (a *Adapter) namePeople(ctx context.Context, ws bot.Workspace, m bot.Message) bot.Message {
	m = m.Render(refMarkup)
	if m.Own {
		return m
	}
	namer, _ := a.h.(memberNamer)
	name := func(id string) string {
		if r, ok := a.people.recent.Get(id); ok && r.found && r.m.Name != "" {
			return r.m.Name
		}
		if namer != nil {
			return namer.MemberName(ctx, ws, id)
		}
		return ""
	}
	m.Title = namePeople(m.Title, m.Credit, name)
	lines := make([]bot.Line, len(m.Lines))
	for i, l := range m.Lines {
		l.Text = namePeople(l.Text, m.Credit, name)
		lines[i] = l
	}
	m.Lines = lines
	return m
}

// plainWords writes the special mentions of a plain text (a header, which
// Slack never parses) as words too, so that nothing looks like one.
func plainWords(s string) string {
	if !strings.Contains(s, "<!") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if n := markupLen(s[i:]); n > 0 && s[i+1] == '!' {
			b.WriteString(broadcastWords(s[i+1 : i+n-1]))
			i += n
			continue
		}
		if strings.HasPrefix(s[i:], "<!") {
			b.WriteString("< !")
			i += 2
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	out := b.String()
	for strings.Contains(out, "<!") { // a word may follow a '<'
		out = strings.ReplaceAll(out, "<!", "< !")
	}
	return out
}

// actionPrefix starts the action id of tipbot's buttons; the button's
// value is the /tips sub-command it runs ("applied t42").
const actionPrefix = "tips:"

// buttonBlock renders a line's buttons as an actions block (block n of
// the message, so that block and action ids are unique in it).
func buttonBlock(n int, buttons []bot.Button) slackapi.Block {
	var elems []slackapi.BlockElement
	for i, b := range buttons[:min(len(buttons), 25)] {
		e := slackapi.NewButtonBlockElement(fmt.Sprintf("%s%d", actionPrefix, i), b.Command,
			slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(plainWords(b.Label), 75), true, false))
		if i == 0 {
			e.Style = slackapi.StylePrimary
		}
		elems = append(elems, e)
	}
	return slackapi.NewActionBlock(fmt.Sprintf("tips-actions-%d", n), elems...)
}
