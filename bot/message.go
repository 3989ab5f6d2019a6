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
}

// Line is one paragraph of a Message. Ref, when set, points at the message a
// line is about (a tip's source message) so adapters can link to it.
type Line struct {
	Text string
	Ref  *MessageRef
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
