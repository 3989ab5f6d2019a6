package bot

import "time"

// Event is the closed union of what adapters feed into the core. Handle it
// with a type switch; the unexported method keeps the union closed.
type Event interface {
	meta() *EventMeta
}

// EventMeta is common to every event.
type EventMeta struct {
	// ID is the platform's delivery id (Slack event_id, Discord message or
	// interaction id plus kind, shell sequence). The same ID delivered twice
	// changes nothing the second time. Empty IDs are not deduplicated.
	ID        string
	Workspace Workspace
	// At is when the platform says the event happened; zero means now.
	At time.Time
}

func (m *EventMeta) meta() *EventMeta { return m }

// MetaOf returns a copy of an event's metadata (its id, workspace, time).
func MetaOf(ev Event) EventMeta {
	if ev == nil {
		return EventMeta{}
	}
	return *ev.meta()
}

// ChannelOf returns the channel an event happened in ("" when none): the
// key that keeps one channel's events in order.
func ChannelOf(ev Event) string {
	switch e := ev.(type) {
	case *MessagePosted:
		return e.Channel
	case *MessageEdited:
		return e.Channel
	case *MessageDeleted:
		return e.Channel
	case *ReactionAdded:
		return e.Channel
	case *ReactionRemoved:
		return e.Channel
	case *ReactionsCleared:
		return e.Channel
	case *CommandInvoked:
		return e.Channel
	case *SaveAsTip:
		return e.Channel
	}
	return ""
}

// MessagePosted is a new message in a channel (or a thread of it).
type MessagePosted struct {
	EventMeta
	Channel   string
	MessageID string
	ThreadID  string // parent message id for a thread reply or Discord reply
	Author    User
	Text      string
}

// MessageEdited is a change to a message's text.
type MessageEdited struct {
	EventMeta
	Channel   string
	MessageID string
	ThreadID  string
	Author    User
	Text      string
}

// MessageDeleted is the removal of a message.
type MessageDeleted struct {
	EventMeta
	Channel   string
	MessageID string
}

// ReactionAdded is a reaction put on a message.
type ReactionAdded struct {
	EventMeta
	Channel   string
	MessageID string
	User      User   // who reacted
	Emoji     string // platform emoji name or unicode; skin tones are folded by the core
	// Variant is set by platforms where one person may hold several
	// reactions of the same emoji at once (Discord: 👍 and 👍🏽, and a
	// super reaction as "👍 super"): the reaction as the platform keeps it
	// apart. The person's vote stays while any of their variants remains.
	Variant string
	// Message is the reacted message as far as the adapter knows it: its
	// author and text are needed to capture it with the capture reaction.
	// Author.ID may be empty when unknown.
	Message MessageInfo
}

// ReactionRemoved is a reaction taken off a message.
type ReactionRemoved struct {
	EventMeta
	Channel   string
	MessageID string
	User      User
	Emoji     string
	Variant   string // as in ReactionAdded
}

// ReactionsCleared is reactions taken off a message at once, by a
// moderator or the platform (Discord's "remove all reactions"): every
// reaction, or every reaction of Emoji when it is set. The votes they were
// go with them.
type ReactionsCleared struct {
	EventMeta
	Channel   string
	MessageID string
	Emoji     string // "" for every emoji
	// Variant, when set, narrows Emoji to the reactions held as that
	// variant (ReactionAdded.Variant), its qualified forms ("👍🏽 super")
	// included.
	Variant string
}

// MessageInfo describes a message an event refers to.
type MessageInfo struct {
	Author   User
	Text     string
	ThreadID string
}

// CommandInvoked is a slash command: Name is "tip" or "tips", Text the rest
// of the line (for "tips", the sub-command and its arguments).
type CommandInvoked struct {
	EventMeta
	Channel string
	// ThreadID is the thread the command was run in (its parent message
	// id), if any: what the command posts goes there.
	ThreadID string
	User     User
	Name     string
	Text     string
}

// SaveAsTip is the "Save as tip" message shortcut / context-menu command.
type SaveAsTip struct {
	EventMeta
	Channel   string
	MessageID string
	User      User // who used the shortcut
	Message   MessageInfo
}

// PeopleUpdated is what a platform says of some people of the workspace: a
// page of its member list, a profile change, a newcomer, the answer to a
// lookup the core asked for (PeopleResolver). The core keeps them in the
// directory of people, fills a new name in where it shows, and, when a
// person the core had taken for a human turns out to be a bot, removes the
// votes they gave.
type PeopleUpdated struct {
	EventMeta
	Members []Member
	// Listed is set on the last page of a complete listing of the
	// workspace's members: the directory notes when it was last listed
	// (see Bot.DirectoryListedAt).
	Listed bool
	// Resolved is set when Members answer the core's ask (PeopleResolver):
	// the core then checks that none of them is a bot with votes.
	Resolved bool
}
