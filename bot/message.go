package bot

import "strings"

// Message is what the core sends out, in a platform-neutral shape: adapters
// render it as Block Kit, embeds or plain text.
type Message struct {
	// Thread is the parent message id when the message belongs in a thread.
	Thread string
	// Title is an optional heading.
	Title string
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
	Text string
	Ref  *MessageRef
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

// Text returns the message as plain text: the title, then each line.
func (m Message) Text() string {
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
