package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// This file turns Slack payloads into core events. Its functions are pure:
// they read only their arguments, so they are table-tested from the JSON
// files in testdata/. Users come out with their id (and Bot when the payload
// says so); the core fills names and admin flags from its directory of
// people, which user_change and team_join events keep up to date.

// errMalformed marks a payload that cannot be understood. Such payloads are
// acknowledged and logged: Slack sending them again would not help.
var errMalformed = errors.New("malformed payload")

// callbackSaveTip is the callback id of the "Save as tip" message shortcut
// declared in manifest.yaml.
const callbackSaveTip = "save_tip"

// outerEvent is the Events API envelope, as posted over HTTP or carried as
// the payload of a Socket Mode "events_api" envelope.
type outerEvent struct {
	Type      string          `json:"type"`
	TeamID    string          `json:"team_id"`
	EventID   string          `json:"event_id"`
	EventTime int64           `json:"event_time"`
	Challenge string          `json:"challenge"`
	Event     json.RawMessage `json:"event"`
}

// innerEvent holds the fields of the inner events tipbot subscribes to
// (message and its subtypes, reaction_added, reaction_removed).
type innerEvent struct {
	Type            string       `json:"type"`
	Subtype         string       `json:"subtype"`
	Channel         string       `json:"channel"`
	User            string       `json:"user"`
	BotID           string       `json:"bot_id"`
	Text            string       `json:"text"`
	TS              string       `json:"ts"`
	ThreadTS        string       `json:"thread_ts"`
	Hidden          bool         `json:"hidden"`
	DeletedTS       string       `json:"deleted_ts"`
	Message         *slackMsg    `json:"message"`
	PreviousMessage *slackMsg    `json:"previous_message"`
	Reaction        string       `json:"reaction"`
	ItemUser        string       `json:"item_user"`
	Item            reactionItem `json:"item"`
}

// slackMsg is a message as nested in message_changed events and in
// conversations.history answers.
type slackMsg struct {
	Type     string `json:"type"`
	Subtype  string `json:"subtype"`
	User     string `json:"user"`
	BotID    string `json:"bot_id"`
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
}

type reactionItem struct {
	Type    string `json:"type"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// userSubtypes are the message subtypes written by people that can carry a
// tip. Every other subtype (joins, topic changes, bot_message...) is ignored.
var userSubtypes = map[string]bool{
	"":                 true,
	"thread_broadcast": true,
	"file_share":       true,
	"me_message":       true,
}

// translateEvent turns an Events API envelope into a core event. It returns
// a nil event (and no error) for what tipbot ignores: bot messages, system
// messages, reactions to files, event types it did not subscribe to. The
// error wraps errMalformed when the payload cannot be read.
func translateEvent(raw []byte) (bot.Event, error) {
	// One pass reads the envelope and its inner event; anything it cannot
	// (a user object, a malformed field) is read again in two steps, which
	// say what is wrong.
	var one struct {
		Type      string      `json:"type"`
		TeamID    string      `json:"team_id"`
		EventID   string      `json:"event_id"`
		EventTime int64       `json:"event_time"`
		Event     *innerEvent `json:"event"`
	}
	if err := json.Unmarshal(raw, &one); err != nil || one.Event == nil || one.Type != "event_callback" || !slackID(one.TeamID) {
		return translateEnvelope(raw)
	}
	return translateInner(eventMeta(one.TeamID, one.EventID, one.EventTime), *one.Event)
}

// eventMeta is the metadata of an Events API event.
func eventMeta(team, id string, unix int64) bot.EventMeta {
	meta := bot.EventMeta{ID: id, Workspace: bot.Workspace{Platform: bot.Slack, ID: team}}
	if unix > 0 {
		meta.At = time.Unix(unix, 0).UTC()
	}
	return meta
}

// translateEnvelope is translateEvent in two steps: the envelope, then its
// inner event.
func translateEnvelope(raw []byte) (bot.Event, error) {
	var outer outerEvent
	if err := json.Unmarshal(raw, &outer); err != nil {
		return nil, fmt.Errorf("slack: events api envelope: %w: %v", errMalformed, err)
	}
	if outer.Type != "event_callback" {
		return nil, nil
	}
	if !slackID(outer.TeamID) || len(outer.Event) == 0 {
		return nil, fmt.Errorf("slack: event %q: %w: no team or no event", outer.EventID, errMalformed)
	}
	meta := eventMeta(outer.TeamID, outer.EventID, outer.EventTime)
	var in innerEvent
	if err := json.Unmarshal(outer.Event, &in); err != nil {
		// user_change and team_join carry a user object, not an id.
		if in.Type == "user_change" || in.Type == "team_join" {
			return translatePerson(meta, outer.Event)
		}
		return nil, fmt.Errorf("slack: event %q: %w: %v", outer.EventID, errMalformed, err)
	}
	return translateInner(meta, in)
}

// translateInner turns an inner event into a core event (see
// translateEvent).
func translateInner(meta bot.EventMeta, in innerEvent) (bot.Event, error) {
	switch in.Type {
	case "message":
		return translateMessage(meta, in)
	case "reaction_added", "reaction_removed":
		if in.Item.Type != "message" || in.Item.Channel == "" || in.Item.TS == "" || in.User == "" || in.Reaction == "" {
			return nil, nil
		}
		emoji := foldEmoji(in.Reaction)
		if in.Type == "reaction_removed" {
			return &bot.ReactionRemoved{EventMeta: meta, Channel: in.Item.Channel, MessageID: in.Item.TS,
				User: bot.User{ID: in.User}, Emoji: emoji}, nil
		}
		ev := &bot.ReactionAdded{EventMeta: meta, Channel: in.Item.Channel, MessageID: in.Item.TS,
			User: bot.User{ID: in.User}, Emoji: emoji}
		ev.Message.Author.ID = in.ItemUser
		return ev, nil
	}
	return nil, nil
}

// translatePerson turns a user_change or team_join event into a directory
// update.
func translatePerson(meta bot.EventMeta, raw json.RawMessage) (bot.Event, error) {
	var in struct {
		User slackapi.User `json:"user"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("slack: event %q: %w: %v", meta.ID, errMalformed, err)
	}
	if in.User.ID == "" {
		return nil, fmt.Errorf("slack: event %q: %w: user without id", meta.ID, errMalformed)
	}
	return &bot.PeopleUpdated{EventMeta: meta, Members: []bot.Member{memberOf(&in.User)}}, nil
}

// memberOf is what the directory keeps of a Slack user.
func memberOf(u *slackapi.User) bot.Member {
	return bot.Member{
		ID:      u.ID,
		Name:    displayName(u),
		Bot:     u.IsBot || u.ID == "USLACKBOT",
		Admin:   u.IsAdmin || u.IsOwner || u.IsPrimaryOwner,
		Locale:  u.Locale,
		Deleted: u.Deleted,
	}
}

func translateMessage(meta bot.EventMeta, in innerEvent) (bot.Event, error) {
	if in.Channel == "" {
		return nil, fmt.Errorf("slack: event %q: %w: message without channel", meta.ID, errMalformed)
	}
	switch in.Subtype {
	case "message_deleted":
		ts := in.DeletedTS
		if ts == "" && in.PreviousMessage != nil {
			ts = in.PreviousMessage.TS
		}
		if ts == "" {
			return nil, fmt.Errorf("slack: event %q: %w: message_deleted without deleted_ts", meta.ID, errMalformed)
		}
		return &bot.MessageDeleted{EventMeta: meta, Channel: in.Channel, MessageID: ts}, nil
	case "message_changed":
		m := in.Message
		if m == nil || m.TS == "" {
			return nil, fmt.Errorf("slack: event %q: %w: message_changed without message", meta.ID, errMalformed)
		}
		if m.Subtype == "tombstone" {
			// A thread parent deleted while it has replies stays as a
			// tombstone: for tipbot the message is gone.
			return &bot.MessageDeleted{EventMeta: meta, Channel: in.Channel, MessageID: m.TS}, nil
		}
		if m.BotID != "" || m.User == "" || !userSubtypes[m.Subtype] {
			return nil, nil
		}
		if p := in.PreviousMessage; p != nil && p.Text == m.Text {
			return nil, nil // an unfurl, a new reply count: the text did not change
		}
		return &bot.MessageEdited{EventMeta: meta, Channel: in.Channel, MessageID: m.TS,
			ThreadID: threadOf(m.TS, m.ThreadTS), Author: bot.User{ID: m.User}, Text: m.Text}, nil
	}
	if !userSubtypes[in.Subtype] || in.BotID != "" || in.User == "" || in.Hidden {
		return nil, nil
	}
	if in.TS == "" {
		return nil, fmt.Errorf("slack: event %q: %w: message without ts", meta.ID, errMalformed)
	}
	return &bot.MessagePosted{EventMeta: meta, Channel: in.Channel, MessageID: in.TS,
		ThreadID: threadOf(in.TS, in.ThreadTS), Author: bot.User{ID: in.User}, Text: in.Text}, nil
}

// threadOf returns the parent of a thread reply, "" for a top-level message
// (a thread parent carries its own ts as thread_ts).
func threadOf(ts, threadTS string) string {
	if threadTS == "" || threadTS == ts {
		return ""
	}
	return threadTS
}

// foldEmoji drops a skin-tone modifier: "+1::skin-tone-2" → "+1".
func foldEmoji(name string) string {
	name = strings.Trim(name, ":")
	if base, _, ok := strings.Cut(name, "::skin-tone-"); ok {
		return base
	}
	return name
}

// slackID reports whether s can be a Slack id (T0123ABCD, U0123ABCD):
// letters, digits, '-', '_' and '.', never blank.
func slackID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// translateCommand turns a slash command into a core command. Name is the
// command without its slash; channel mentions stay as Slack escapes them
// (<#C123|name>), which the core understands.
func translateCommand(c slackapi.SlashCommand) (*bot.CommandInvoked, error) {
	name := strings.TrimLeft(strings.TrimSpace(c.Command), "/") // "//tip" too
	if !slackID(c.TeamID) || !slackID(c.UserID) || name == "" {
		return nil, fmt.Errorf("slack: slash command: %w: no team, user or command", errMalformed)
	}
	return &bot.CommandInvoked{
		EventMeta: bot.EventMeta{ID: c.TriggerID, Workspace: bot.Workspace{Platform: bot.Slack, ID: c.TeamID}},
		Channel:   c.ChannelID,
		User:      bot.User{ID: c.UserID, Name: c.UserName},
		Name:      name,
		Text:      strings.TrimSpace(c.Text),
	}, nil
}

// translateInteraction turns an interactivity payload into a core event:
// the "Save as tip" message shortcut becomes SaveAsTip; anything else
// (other shortcuts, buttons, modals) is nil.
func translateInteraction(cb slackapi.InteractionCallback) (*bot.SaveAsTip, error) {
	if cb.Type != slackapi.InteractionTypeMessageAction || cb.CallbackID != callbackSaveTip {
		return nil, nil
	}
	team := cb.Team.ID
	if team == "" {
		team = cb.User.TeamID
	}
	ts := cb.Message.Timestamp
	if ts == "" {
		ts = cb.MessageTs
	}
	if !slackID(team) || !slackID(cb.User.ID) || cb.Channel.ID == "" || ts == "" {
		return nil, fmt.Errorf("slack: shortcut %s: %w: no team, user, channel or message", cb.CallbackID, errMalformed)
	}
	m := cb.Message
	author := bot.User{ID: m.User, Bot: m.BotID != "" || m.SubType == "bot_message"}
	if author.ID == "" && m.BotID != "" {
		author.ID = m.BotID
	}
	return &bot.SaveAsTip{
		EventMeta: bot.EventMeta{ID: cb.TriggerID, Workspace: bot.Workspace{Platform: bot.Slack, ID: team}},
		Channel:   cb.Channel.ID,
		MessageID: ts,
		User:      bot.User{ID: cb.User.ID, Name: cb.User.Name},
		Message:   bot.MessageInfo{Author: author, Text: m.Text, ThreadID: threadOf(ts, m.ThreadTimestamp)},
	}, nil
}
