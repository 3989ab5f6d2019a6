package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	Type           string          `json:"type"`
	TeamID         string          `json:"team_id"`
	EventID        string          `json:"event_id"`
	EventTime      int64           `json:"event_time"`
	Challenge      string          `json:"challenge"`
	Event          json.RawMessage `json:"event"`
	Authorizations authorizations  `json:"authorizations"`
}

// authorizations name the installation an event is delivered to: in a
// channel shared with another organisation (Slack Connect) the envelope's
// team_id may be the other's.
type authorizations []struct {
	TeamID string `json:"team_id"`
}

// team returns the receiving installation's team, else the envelope's.
func (a authorizations) team(envelope string) string {
	if len(a) > 0 && a[0].TeamID != "" {
		return a[0].TeamID
	}
	return envelope
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
	// UserTeam is the author's own workspace (Slack Connect: the partner
	// organisation's for its people).
	UserTeam string `json:"user_team"`
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
	if env, ok := readEnvelope(raw); ok {
		return env.translate()
	}
	return translateEnvelope(raw)
}

// envelope is an Events API event_callback read in one pass with its
// inner event.
type envelope struct {
	Type      string      `json:"type"`
	TeamID    string      `json:"team_id"`
	EventID   string      `json:"event_id"`
	EventTime int64       `json:"event_time"`
	Event     *innerEvent `json:"event"`
	// Auths names the installation that receives the event (Slack
	// Connect: team_id may be the other organisation's).
	Auths authorizations `json:"authorizations"`
}

// readEnvelope reads an event_callback and its inner event in one pass.
// ok is false for anything that pass cannot read (another request type, a
// user object, a malformed field): translateEnvelope reads it again in two
// steps, which say what is wrong.
func readEnvelope(raw []byte) (env envelope, ok bool) {
	if env, ok := readReaction(raw); ok {
		return env, slackID(env.TeamID)
	}
	err := json.Unmarshal(raw, &env)
	return env, err == nil && env.Event != nil && env.Type == "event_callback" && slackID(env.TeamID) &&
		!channelEvents[env.Event.Type]
}

// translate turns an envelope readEnvelope read into a core event (see
// translateEvent).
func (env envelope) translate() (bot.Event, error) {
	return translateInner(eventMeta(env.Auths.team(env.TeamID), env.EventID, env.EventTime), *env.Event)
}

// channelTouched is a channel event (renamed, archived, shared or
// unshared, made private, the bot joined): who can read the channel may
// have changed, so the adapter looks it up again (conversations.info). It
// never reaches the core.
type channelTouched struct {
	bot.EventMeta
	Channel string
	Type    string // the event's type
	User    string // member_joined_channel: who joined
}

// channelEvents are the channel events tipbot subscribes to.
var channelEvents = map[string]bool{
	"channel_rename": true, "channel_archive": true, "channel_unarchive": true,
	"channel_shared": true, "channel_unshared": true,
	"group_rename": true, "group_archive": true, "group_unarchive": true,
	"member_joined_channel": true,
}

// translateChannelEvent turns a channel event into channelTouched, or nil
// when it names no channel. Its channel is an id or an object with one.
func translateChannelEvent(meta bot.EventMeta, raw json.RawMessage) (bot.Event, error) {
	var in struct {
		Type    string          `json:"type"`
		User    string          `json:"user"`
		Channel json.RawMessage `json:"channel"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("slack: event %q: %w: %v", meta.ID, errMalformed, err)
	}
	var id string
	if err := json.Unmarshal(in.Channel, &id); err != nil {
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(in.Channel, &obj); err != nil {
			return nil, fmt.Errorf("slack: event %q: %w: channel: %v", meta.ID, errMalformed, err)
		}
		id = obj.ID
	}
	if id == "" {
		return nil, nil
	}
	return &channelTouched{EventMeta: meta, Channel: id, Type: in.Type, User: in.User}, nil
}

// kindHint returns what a channel id says of its kind: Slack's direct
// message ids start with D.
func kindHint(channel string) bot.ChannelKind {
	if strings.HasPrefix(channel, "D") {
		return bot.ChannelDM
	}
	return ""
}

// eventMeta is the metadata of an Events API event.
func eventMeta(team, id string, unix int64) bot.EventMeta {
	meta := bot.EventMeta{ID: id, Workspace: bot.Workspace{Platform: Platform, ID: team}}
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
	meta := eventMeta(outer.Authorizations.team(outer.TeamID), outer.EventID, outer.EventTime)
	var kind struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(outer.Event, &kind); err == nil && channelEvents[kind.Type] {
		return translateChannelEvent(meta, outer.Event)
	}
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
	if channelEvents[in.Type] {
		if in.Channel == "" {
			return nil, nil
		}
		return &channelTouched{EventMeta: meta, Channel: in.Channel, Type: in.Type, User: in.User}, nil
	}
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
			User: bot.User{ID: in.User}, Emoji: emoji, Kind: kindHint(in.Item.Channel)}
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
	return &bot.PeopleUpdated{EventMeta: meta, Members: []bot.Member{memberOf(&in.User, meta.Workspace.ID)}}, nil
}

// memberOf is what the directory of the workspace home keeps of a Slack
// user.
func memberOf(u *slackapi.User, home string) bot.Member {
	return bot.Member{
		ID:      u.ID,
		Name:    displayName(u),
		Bot:     u.IsBot || u.ID == "USLACKBOT",
		Admin:   u.IsAdmin || u.IsOwner || u.IsPrimaryOwner,
		Locale:  u.Locale,
		Deleted: u.Deleted,
		Foreign: orgOf(u).foreignTo(home),
	}
}

// userOrg is what a Slack user object says of the person's organisation.
type userOrg struct {
	team     string   // team_id: their own workspace
	teams    []string // enterprise_user.teams: the workspaces of their Enterprise Grid
	stranger bool     // is_stranger: Slack says they belong to another organisation
}

func orgOf(u *slackapi.User) userOrg {
	return userOrg{team: u.TeamID, teams: u.Enterprise.Teams, stranger: u.IsStranger}
}

// foreignTo reports whether the person belongs to another organisation
// than the workspace home (Slack Connect): their team differs from it and
// is not a workspace of the same Enterprise Grid they belong to.
func (o userOrg) foreignTo(home string) bool {
	switch {
	case o.stranger:
		return true
	case o.team == "" || home == "" || o.team == home:
		return false
	}
	return !slices.Contains(o.teams, home)
}

// foreignTeam reports whether a payload's user team (user_team, a user's
// team_id) names another workspace than the installation's.
func foreignTeam(userTeam, home string) bool {
	return userTeam != "" && home != "" && userTeam != home
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
	return &bot.MessagePosted{EventMeta: meta, Channel: in.Channel, MessageID: in.TS, ThreadID: threadOf(in.TS, in.ThreadTS),
		Author: bot.User{ID: in.User, Foreign: foreignTeam(in.UserTeam, meta.Workspace.ID)}, Text: in.Text}, nil
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
// command without its slash; mentions stay as Slack escapes them
// (<#C123|name>), which Spec's ChannelArg and UserArg read. userTeam is
// the payload's user_team when it has one: a person of another
// organisation (Slack Connect) is Foreign; without it the core asks its
// directory of people.
func translateCommand(c slackapi.SlashCommand, userTeam string) (*bot.CommandInvoked, error) {
	name := strings.TrimLeft(strings.TrimSpace(c.Command), "/") // "//tip" too
	if !slackID(c.TeamID) || !slackID(c.UserID) || name == "" {
		return nil, fmt.Errorf("slack: slash command: %w: no team, user or command", errMalformed)
	}
	text := strings.TrimSpace(c.Text)
	return &bot.CommandInvoked{
		EventMeta: bot.EventMeta{ID: c.TriggerID, Workspace: bot.Workspace{Platform: Platform, ID: c.TeamID}},
		Channel:   c.ChannelID,
		User:      bot.User{ID: c.UserID, Name: c.UserName, Foreign: foreignTeam(userTeam, c.TeamID)},
		Name:      name,
		Text:      text,
	}, nil
}

// translateInteraction turns an interactivity payload into a core event:
// the "Save as tip" message shortcut becomes SaveAsTip, a click on one of
// tipbot's buttons (block_actions) the /tips command it runs; anything
// else (other shortcuts, buttons, modals) is nil.
func translateInteraction(cb slackapi.InteractionCallback) (bot.Event, error) {
	if cb.Type == slackapi.InteractionTypeBlockActions {
		return translateClick(cb)
	}
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
	hint := kindHint(cb.Channel.ID)
	switch {
	case cb.Channel.Name == "directmessage":
		hint = bot.ChannelDM
	case strings.HasPrefix(cb.Channel.Name, "mpdm-"):
		hint = bot.ChannelGroupDM
	}
	return &bot.SaveAsTip{
		EventMeta: bot.EventMeta{ID: cb.TriggerID, Workspace: bot.Workspace{Platform: Platform, ID: team}},
		Kind:      hint,
		Channel:   cb.Channel.ID,
		MessageID: ts,
		User:      bot.User{ID: cb.User.ID, Name: cb.User.Name, Foreign: foreignTeam(cb.User.TeamID, team)},
		Message:   bot.MessageInfo{Author: author, Text: m.Text, ThreadID: threadOf(ts, m.ThreadTimestamp)},
	}, nil
}

// translateClick turns a click on one of tipbot's buttons (a follow-up's
// Applied, Not yet, Not for me) into the /tips command the button's value
// names, run by the person who clicked where the button is (their direct
// message with tipbot). Other apps' or unknown actions are nil.
func translateClick(cb slackapi.InteractionCallback) (bot.Event, error) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return nil, nil
	}
	act := cb.ActionCallback.BlockActions[0]
	if !strings.HasPrefix(act.ActionID, actionPrefix) {
		return nil, nil
	}
	team := cb.Team.ID
	if team == "" {
		team = cb.User.TeamID
	}
	if !slackID(team) || !slackID(cb.User.ID) || cb.Channel.ID == "" || strings.TrimSpace(act.Value) == "" || cb.TriggerID == "" {
		return nil, fmt.Errorf("slack: button %s: %w: no team, user, channel or value", act.ActionID, errMalformed)
	}
	return &bot.CommandInvoked{
		EventMeta: bot.EventMeta{ID: cb.TriggerID, Workspace: bot.Workspace{Platform: Platform, ID: team}},
		Channel:   cb.Channel.ID,
		User:      bot.User{ID: cb.User.ID, Name: cb.User.Name},
		Name:      "tips",
		Text:      strings.TrimSpace(act.Value),
	}, nil
}
