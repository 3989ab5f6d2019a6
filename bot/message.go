package bot

import "strings"

// Message is what the core sends out, in a platform-neutral shape: adapters
// render it as Block Kit, embeds or plain text.
type Message struct {
	// Thread is the parent message id when the message belongs in a thread.
	Thread string
	// Title is an optional heading.
	Title string
	// TitleParts, when set, is the heading with the people and channels it
	// names as references the adapter writes (Render); Title is then "".
	TitleParts []Part `json:",omitempty"`
	// Lines are the body, one paragraph each.
	Lines []Line
	// File is an optional attachment (exports).
	File *File
	// Own is true for a post of its author's own words where they wrote
	// them (the /tip post): adapters may keep the people they mention
	// pingable. In every other message (reposts: hall of fame, recap,
	// digest, search results, thanks…) adapters show people mentioned as
	// names that ping nobody, except Credit. Broadcasts (@channel,
	// @everyone, user groups, roles) never ping, in any message.
	Own bool `json:",omitempty"`
	// Credit is the person the message credits (a tip's author), the one
	// person a repost may ping; "" for none.
	Credit string `json:",omitempty"`
	// Key, when set, identifies the message for the outbox: sending it
	// again (after a crash) must not make a second message where the
	// platform can tell (Discord uses it as the message's nonce).
	Key string `json:",omitempty"`
}

// Line is one paragraph of a Message. Ref, when set, points at the message a
// line is about (a tip's source message) so adapters can link to it.
type Line struct {
	// Text is the paragraph, written as it is shown, when Parts is nil.
	Text string
	// Parts, when set, is the paragraph as pieces of text and references
	// to people and channels, which each adapter writes in its platform's
	// markup (Render); Text is then "". Messages stored before Parts
	// existed have Text only and are sent as they are.
	Parts []Part `json:",omitempty"`
	Ref   *MessageRef
	// Buttons are choices offered on the line (a follow-up's Applied, Not
	// yet, Not for me); platforms without buttons show the line's text,
	// which names the commands.
	Buttons []Button `json:",omitempty"`
}

// Button is a choice offered in a message: clicking it runs a /tips
// sub-command as the person who clicked, in the conversation where it was
// offered.
type Button struct {
	Label   string
	Command string // the /tips sub-command and its arguments, e.g. "applied t42"
}

// Part is one piece of a Line or a title: plain text, a person (Mention: a
// user id) or a channel (Channel: a channel id). One field is set.
type Part struct {
	Text    string `json:",omitempty"`
	Mention string `json:",omitempty"`
	Channel string `json:",omitempty"`
}

// Mention returns the part that names person id.
func Mention(id string) Part { return Part{Mention: id} }

// ChannelRef returns the part that names channel id.
func ChannelRef(id string) Part { return Part{Channel: id} }

// Markup writes references as a platform shows them: Mention writes a
// person (by id) so the platform shows their name, Channel a channel (by id)
// as a link. A nil function writes the id as it is.
type Markup struct {
	Mention func(id string) string
	Channel func(id string) string
}

// Write writes parts as one text, references in markup w.
func (w Markup) Write(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		switch {
		case p.Mention != "" && w.Mention != nil:
			b.WriteString(w.Mention(p.Mention))
		case p.Mention != "":
			b.WriteString(p.Mention)
		case p.Channel != "" && w.Channel != nil:
			b.WriteString(w.Channel(p.Channel))
		case p.Channel != "":
			b.WriteString(p.Channel)
		default:
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// Render returns a copy of m whose title and lines are plain text, their
// references written in markup w: what an adapter sends. Lines without
// Parts keep their Text (a message stored before Parts existed).
func (m Message) Render(w Markup) Message {
	if m.TitleParts != nil {
		m.Title, m.TitleParts = w.Write(m.TitleParts), nil
	}
	lines := make([]Line, len(m.Lines))
	for i, l := range m.Lines {
		if l.Parts != nil {
			l.Text, l.Parts = w.Write(l.Parts), nil
		}
		lines[i] = l
	}
	if m.Lines != nil {
		m.Lines = lines
	}
	return m
}

// MessageRef locates a platform message.
type MessageRef struct {
	Channel   string
	MessageID string
	// Thread is the tip's ThreadID: on platforms where a thread has its own
	// id (Discord, forum posts included), the message lives there rather
	// than in Channel, its parent.
	Thread string
}

// File is an attachment.
type File struct {
	Name     string
	MIMEType string
	Data     []byte
}

// Text returns the message as plain text: the title, then each line,
// references written as their ids (Render, with no markup).
func (m Message) Text() string {
	m = m.Render(Markup{})
	var b strings.Builder
	if m.Title != "" {
		b.WriteString(m.Title)
	}
	for _, l := range m.Lines {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Text)
	}
	return b.String()
}

// Reply is the core's answer to an event: a private message to the person
// who caused it (nil when there is nothing to say).
type Reply = *Message
