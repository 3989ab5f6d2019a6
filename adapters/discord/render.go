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

// render turns a core message into Discord messages. The title (or, with
// no title, the first line) is the content: the text notifications and
// clients hiding embeds show. The other lines form the embed's description,
// one per line, with jump links for Line.Ref; nothing shows twice. A
// message that fits in content without a link has no embed. What does not
// fit Discord's limits goes into further embeds, then further messages;
// the file goes with the first message. link returns the jump URL of a
// referenced message ("" for none).
func render(m bot.Message, link func(bot.MessageRef) string) []outMessage {
	m = m.Render(refMarkup)
	var files []*discordgo.File
	if m.File != nil {
		mime := m.File.MIMEType
		if mime == "" {
			mime = "application/octet-stream"
		}
		files = []*discordgo.File{{Name: m.File.Name, ContentType: mime, Reader: strings.NewReader(string(m.File.Data))}}
	}
	content := clipUnits(oneLine(validUTF8(m.Title)), maxTitle)
	body := m.Lines
	if content == "" && len(body) > 0 && body[0].Ref == nil && units(body[0].Text) <= maxContent {
		content, body = validUTF8(body[0].Text), body[1:]
	}
	if content == "" && len(body) == 0 && files == nil {
		return nil
	}
	out := []outMessage{{Content: content, Files: files}}
	if len(body) == 0 {
		return out
	}

	var embed *discordgo.MessageEmbed
	total := 0 // units in the embeds of the last message
	addEmbed := func() {
		if len(out[len(out)-1].Embeds) == maxEmbeds {
			out = append(out, outMessage{})
			total = 0
		}
		embed = &discordgo.MessageEmbed{Type: discordgo.EmbedTypeRich, Color: embedColor}
		last := &out[len(out)-1]
		last.Embeds = append(last.Embeds, embed)
	}
	addEmbed()
	for _, l := range body {
		s := validUTF8(l.Text)
		if l.Ref != nil && l.Ref.MessageID != "" {
			if u := link(*l.Ref); u != "" {
				s += " [↗](" + u + ")"
			}
		}
		s = clipUnits(s, maxDescription)
		n := units(s)
		sep := 0
		if embed.Description != "" {
			sep = 1
		}
		if units(embed.Description)+sep+n > maxDescription {
			addEmbed()
			sep = 0
		}
		if total+sep+n > maxEmbedTotal {
			out = append(out, outMessage{})
			total = 0
			addEmbed()
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

// allowedMentions is who a post may ping: nobody by what it says (no
// @everyone, @here, role or people parsed from a tip's words), only the
// person it credits (bot.Message.Credit) when that person is mentioned.
func allowedMentions(m bot.Message) *discordgo.MessageAllowedMentions {
	if m.Credit == "" {
		return noMentions
	}
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Users: []string{m.Credit}}
}
