package discord

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// Discord's message limits (counted here in UTF-16 units, which is never
// less than what Discord counts).
const (
	maxContent     = 2000
	maxTitle       = 256
	maxDescription = 4096
	maxEmbedTotal  = 6000
	maxEmbeds      = 10
	embedColor     = 0xF5C518 // the bulb's yellow
)

// outMessage is one Discord message to send.
type outMessage struct {
	Content string
	Embeds  []*discordgo.MessageEmbed
	Files   []*discordgo.File
}

// jumpURL is the link Discord opens a message with.
func jumpURL(guild, channel, message string) string {
	return "https://discord.com/channels/" + guild + "/" + channel + "/" + message
}

// render turns a core message into Discord messages: one embed (title,
// one description line per Line, jump links for Line.Ref) with the title
// or first line in content as the text fallback shown in notifications and
// by clients that hide embeds. A one-line message without title or link is
// plain content. What does not fit Discord's limits goes into further
// embeds, then further messages; the file goes with the first message.
// link returns the jump URL of a referenced message.
func render(m bot.Message, link func(bot.MessageRef) string) []outMessage {
	var files []*discordgo.File
	if m.File != nil {
		mime := m.File.MIMEType
		if mime == "" {
			mime = "application/octet-stream"
		}
		files = []*discordgo.File{{Name: m.File.Name, ContentType: mime, Reader: strings.NewReader(string(m.File.Data))}}
	}
	title := clipUnits(oneLine(validUTF8(m.Title)), maxTitle)
	if title == "" && len(m.Lines) <= 1 && (len(m.Lines) == 0 || m.Lines[0].Ref == nil) {
		text := ""
		if len(m.Lines) == 1 {
			text = validUTF8(m.Lines[0].Text)
		}
		if units(text) <= maxContent {
			if strings.TrimSpace(text) == "" && files == nil {
				return nil
			}
			return []outMessage{{Content: text, Files: files}}
		}
	}

	lines := make([]string, 0, len(m.Lines))
	for _, l := range m.Lines {
		s := validUTF8(l.Text)
		if l.Ref != nil && l.Ref.MessageID != "" {
			if u := link(*l.Ref); u != "" {
				s += " [↗](" + u + ")"
			}
		}
		lines = append(lines, clipUnits(s, maxDescription))
	}

	fallback := title
	if fallback == "" && len(m.Lines) > 0 {
		fallback = clipUnits(oneLine(validUTF8(m.Lines[0].Text)), 200)
	}
	out := []outMessage{{Content: fallback, Files: files}}
	var embed *discordgo.MessageEmbed
	total := 0 // units in the embeds of the last message
	addEmbed := func(t string) {
		if len(out[len(out)-1].Embeds) == maxEmbeds {
			out = append(out, outMessage{})
			total = 0
		}
		embed = &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Color: embedColor, Title: t}
		total += units(t)
		last := &out[len(out)-1]
		last.Embeds = append(last.Embeds, embed)
	}
	addEmbed(title)
	for _, s := range lines {
		n := units(s)
		sep := 0
		if embed.Description != "" {
			sep = 1
		}
		if units(embed.Description)+sep+n > maxDescription {
			addEmbed("")
			sep = 0
		}
		if total+sep+n > maxEmbedTotal {
			out = append(out, outMessage{})
			total = 0
			addEmbed("")
			sep = 0
		}
		if sep == 1 {
			embed.Description += "\n"
		}
		embed.Description += s
		total += sep + n
	}
	return out
}

// units counts s as Discord's limits do at most (UTF-16 code units).
func units(s string) int {
	n := 0
	for _, r := range s {
		n += max16(r)
	}
	return n
}

// clipUnits cuts s to at most max units, ending with "…" when cut.
func clipUnits(s string, max int) string {
	if units(s) <= max {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		w := max16(r)
		if n+w > max-1 {
			break
		}
		b.WriteRune(r)
		n += w
	}
	return b.String() + "…"
}

func max16(r rune) int {
	if w := utf16.RuneLen(r); w > 0 {
		return w
	}
	return 1
}

// oneLine joins a text's lines with spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// validUTF8 replaces invalid bytes, which Discord refuses.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "�")
}
