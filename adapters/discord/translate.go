package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// This file turns gateway dispatches into core events. What a payload does
// not carry (a thread's parent channel, a reacted message's author, a
// member's roles' permissions) comes from a directory, which the adapter
// backs with discordgo's state, caches and the REST API, and the tests with
// maps; everything else reads only the payload. The table tests feed it the
// JSON payloads in testdata/.
//
// Discord's shapes, as the core sees them:
//   - a guild is a workspace; direct messages have no guild and are ignored;
//   - a message in a thread has Channel = the thread's parent channel and
//     ThreadID = the thread id, which is the id of the message the thread was
//     started from (a session prompt, say);
//   - a reply (message_reference) outside a thread has ThreadID = the
//     replied-to message id;
//   - emojis are the unicode text ("💡", skin tones left for the core to
//     fold) or "name:id" for a server's custom emoji; a reaction's Variant
//     is the emoji unfolded, with " super" for a super reaction (burst),
//     since Discord lets one person hold 👍, 👍🏽 and a super 👍 at once.

// dispatch is one gateway event as the adapter received it: its type, its
// sequence number in the gateway session, that session's id and the
// discordgo struct decoded from it.
type dispatch struct {
	Type    string
	Seq     int64
	Session string
	Data    any
	// AuthorID and Burst are a reaction's message_author_id and burst (a
	// super reaction), which discordgo v0.29 does not decode.
	AuthorID string
	Burst    bool
}

// readReactionExtras reads what discordgo drops from a reaction's raw
// payload.
func (d *dispatch) readReactionExtras(raw json.RawMessage) {
	var x struct {
		MessageAuthorID string `json:"message_author_id"`
		Burst           bool   `json:"burst"`
	}
	if json.Unmarshal(raw, &x) == nil {
		d.AuthorID, d.Burst = x.MessageAuthorID, x.Burst
	}
}

// channelInfo is where a channel lives.
type channelInfo struct {
	GuildID  string
	ParentID string // for a thread: the channel it was created in
	Thread   bool
}

// messageEntry is what the adapter remembers of a message it has seen.
type messageEntry struct {
	Location string // the channel or thread the message is in
	Info     bot.MessageInfo
}

// directory answers what translation needs beyond a payload.
type directory interface {
	// channel says where a channel or thread lives.
	channel(ctx context.Context, id string) (channelInfo, error)
	// message returns the author and text of a message, from memory or
	// from the REST API.
	message(ctx context.Context, location, messageID string) (bot.MessageInfo, error)
	// known returns what memory holds of a message, without asking
	// Discord: full is false when the message is unknown or its text was
	// too long to keep (the author may still be known).
	known(messageID string) (info bot.MessageInfo, full bool)
	// remember and forget keep the message memory current.
	remember(messageID string, e messageEntry)
	forget(messageID string)
	// admin reports whether a member with these roles has Manage Server or
	// Administrator in the guild (or owns it).
	admin(ctx context.Context, guildID, userID string, roles []string) bool
}

// translator turns dispatches into core events.
type translator struct {
	self    string // the bot's own user id
	dir     directory
	capture string // the capture emoji; "" means defaultCapture
	// member, when set, is told of every guild member object a payload
	// carries, for the directory of people.
	member func(guildID string, m bot.Member)
}

// sawMember passes a member object's person to t.member.
func (t *translator) sawMember(guildID string, u bot.User) {
	if t.member != nil && guildID != "" && u.ID != "" && u.Name != "" {
		t.member(guildID, bot.Member{ID: u.ID, Name: u.Name, Bot: u.Bot, Admin: u.Admin})
	}
}

// defaultCapture is the core's default capture emoji on Discord.
var defaultCapture = Spec().CaptureReaction

// isCapture reports whether emoji is the capture reaction (skin tones and
// variation selectors aside).
func (t *translator) isCapture(emoji string) bool {
	c := t.capture
	if c == "" {
		c = defaultCapture
	}
	return bot.BaseEmoji(apiEmoji(c)) == bot.BaseEmoji(emoji)
}

// translate returns the core events for a dispatch: none for what tipbot
// does not use (direct messages, system messages, its own reactions...),
// several for a bulk delete.
func (t *translator) translate(ctx context.Context, d dispatch) []bot.Event {
	switch v := d.Data.(type) {
	case *discordgo.MessageCreate:
		if v.Message == nil {
			return nil
		}
		return one(t.messageCreate(ctx, v.Message))
	case *discordgo.MessageUpdate:
		if v.Message == nil {
			return nil
		}
		return one(t.messageUpdate(ctx, v.Message, d))
	case *discordgo.MessageDelete:
		if v.Message == nil {
			return nil
		}
		return one(t.messageDelete(ctx, v.GuildID, v.ChannelID, v.ID))
	case *discordgo.MessageDeleteBulk:
		var evs []bot.Event
		for _, id := range v.Messages {
			if ev := t.messageDelete(ctx, v.GuildID, v.ChannelID, id); ev != nil {
				evs = append(evs, ev)
			}
		}
		return evs
	case *discordgo.MessageReactionAdd:
		if v.MessageReaction == nil {
			return nil
		}
		return one(t.reaction(ctx, v.MessageReaction, v.Member, true, d))
	case *discordgo.MessageReactionRemove:
		if v.MessageReaction == nil {
			return nil
		}
		return one(t.reaction(ctx, v.MessageReaction, nil, false, d))
	case *discordgo.MessageReactionRemoveAll:
		if v.MessageReaction == nil {
			return nil
		}
		return one(t.cleared(ctx, v.GuildID, v.ChannelID, v.MessageID, "", d))
	case *reactionRemoveEmoji:
		return one(t.cleared(ctx, v.GuildID, v.ChannelID, v.MessageID, v.Emoji.APIName(), d))
	}
	return nil
}

// cleared is reactions taken off a message at once: all of them, or every
// reaction of emoji.
func (t *translator) cleared(ctx context.Context, guildID, location, messageID, emoji string, d dispatch) bot.Event {
	if guildID == "" || location == "" || messageID == "" {
		return nil
	}
	channel, _ := t.place(ctx, location, nil)
	return &bot.ReactionsCleared{
		EventMeta: bot.EventMeta{
			ID:        "react0:" + messageID + ":" + emoji + ":" + d.Session + ":" + strconv.FormatInt(d.Seq, 10),
			Workspace: workspace(guildID),
		},
		Channel: channel, MessageID: messageID, Emoji: emoji, Variant: emoji,
	}
}

func one(ev bot.Event) []bot.Event {
	if ev == nil {
		return nil
	}
	return []bot.Event{ev}
}

func workspace(guildID string) bot.Workspace {
	return bot.Workspace{Platform: Platform, ID: guildID}
}

// place returns the core's channel and thread for a message in location
// (a channel or a thread) that may reply to ref.
func (t *translator) place(ctx context.Context, location string, ref *discordgo.MessageReference) (channel, thread string) {
	ci, err := t.dir.channel(ctx, location)
	return placeIn(ci, err, location, ref)
}

// placeIn returns a thread's parent and the thread itself for a message in
// a thread; else the channel and the message it replies to, if any.
func placeIn(ci channelInfo, ciErr error, location string, ref *discordgo.MessageReference) (channel, thread string) {
	if ciErr == nil && ci.Thread && ci.ParentID != "" {
		return ci.ParentID, location
	}
	if ref != nil && ref.Type == discordgo.MessageReferenceTypeDefault && ref.MessageID != "" &&
		(ref.ChannelID == "" || ref.ChannelID == location) {
		return location, ref.MessageID
	}
	return location, ""
}

// capturable reports whether a message is one people write (not a system
// message such as "pinned a message" or "started a thread").
func capturable(m *discordgo.Message) bool {
	return m.Type == discordgo.MessageTypeDefault || m.Type == discordgo.MessageTypeReply
}

func (t *translator) messageCreate(ctx context.Context, m *discordgo.Message) bot.Event {
	if m.GuildID == "" || m.Author == nil || m.ID == "" || m.ChannelID == "" || !capturable(m) {
		return nil
	}
	channel, thread := t.place(ctx, m.ChannelID, m.MessageReference)
	author := t.user(ctx, m.GuildID, m.Author, m.Member)
	if m.WebhookID != "" {
		author.Bot = true
	}
	t.dir.remember(m.ID, messageEntry{Location: m.ChannelID, Info: bot.MessageInfo{Author: author, Text: m.Content, ThreadID: thread}})
	if strings.TrimSpace(m.Content) == "" || m.Author.ID == t.self {
		// Attachments only, or the message content intent is missing:
		// there is nothing to capture. tipbot's own posts are never tips
		// either (the core learns their ids from Post).
		return nil
	}
	return &bot.MessagePosted{
		EventMeta: bot.EventMeta{ID: "create:" + m.ID, Workspace: workspace(m.GuildID), At: m.Timestamp.UTC()},
		Channel:   channel,
		MessageID: m.ID,
		ThreadID:  thread,
		Author:    author,
		Text:      m.Content,
	}
}

func (t *translator) messageUpdate(ctx context.Context, m *discordgo.Message, d dispatch) bot.Event {
	if m.GuildID == "" || m.ID == "" || m.ChannelID == "" || !capturable(m) || strings.TrimSpace(m.Content) == "" {
		// An update without text is an embed being unfolded, or the
		// content intent is missing: no edit to apply.
		return nil
	}
	channel, thread := t.place(ctx, m.ChannelID, m.MessageReference)
	var author bot.User
	if m.Author != nil {
		author = t.user(ctx, m.GuildID, m.Author, m.Member)
		if m.WebhookID != "" {
			author.Bot = true
		}
	} else if info, err := t.dir.message(ctx, m.ChannelID, m.ID); err == nil {
		author = info.Author
	}
	t.dir.remember(m.ID, messageEntry{Location: m.ChannelID, Info: bot.MessageInfo{Author: author, Text: m.Content, ThreadID: thread}})
	id := "edit:" + m.ID + ":"
	if m.EditedTimestamp != nil && !m.EditedTimestamp.IsZero() {
		id += m.EditedTimestamp.UTC().Format(time.RFC3339Nano)
	} else {
		id += d.Session + ":" + strconv.FormatInt(d.Seq, 10)
	}
	var at time.Time
	if m.EditedTimestamp != nil {
		at = m.EditedTimestamp.UTC()
	}
	return &bot.MessageEdited{
		EventMeta: bot.EventMeta{ID: id, Workspace: workspace(m.GuildID), At: at},
		Channel:   channel,
		MessageID: m.ID,
		ThreadID:  thread,
		Author:    author,
		Text:      m.Content,
	}
}

func (t *translator) messageDelete(ctx context.Context, guildID, location, id string) bot.Event {
	if guildID == "" || location == "" || id == "" {
		return nil
	}
	channel, _ := t.place(ctx, location, nil)
	t.dir.forget(id)
	return &bot.MessageDeleted{
		EventMeta: bot.EventMeta{ID: "delete:" + id, Workspace: workspace(guildID)},
		Channel:   channel,
		MessageID: id,
	}
}

// reaction translates a reaction added or removed. Its event id holds the
// gateway session and sequence: the same reaction added, removed and added
// again is three deliveries, while a delivery replayed on resume keeps its
// sequence number and so its id.
func (t *translator) reaction(ctx context.Context, r *discordgo.MessageReaction, member *discordgo.Member, added bool, d dispatch) bot.Event {
	emoji := r.Emoji.APIName()
	if r.GuildID == "" || r.ChannelID == "" || r.MessageID == "" || r.UserID == "" || emoji == "" || r.UserID == t.self {
		return nil
	}
	channel, _ := t.place(ctx, r.ChannelID, nil)
	user := bot.User{ID: r.UserID}
	if member != nil && member.User != nil && member.User.ID == r.UserID {
		user = t.user(ctx, r.GuildID, member.User, member)
	}
	kind := "react-"
	if added {
		kind = "react+"
	}
	meta := bot.EventMeta{
		ID:        kind + ":" + r.MessageID + ":" + r.UserID + ":" + emoji + ":" + d.Session + ":" + strconv.FormatInt(d.Seq, 10),
		Workspace: workspace(r.GuildID),
	}
	// Discord keeps 👍, 👍🏽 and a super 👍 apart: one person may hold
	// them all, and takes them off one at a time.
	variant := emoji
	if d.Burst {
		variant += " super"
	}
	if !added {
		return &bot.ReactionRemoved{EventMeta: meta, Channel: channel, MessageID: r.MessageID, User: user, Emoji: emoji, Variant: variant}
	}
	ev := &bot.ReactionAdded{EventMeta: meta, Channel: channel, MessageID: r.MessageID, User: user, Emoji: emoji, Variant: variant}
	if !user.Bot {
		// Capturing needs the message's author and text. Only the capture
		// reaction on a message not in memory asks Discord: a burst of
		// other reactions costs no request.
		info, full := t.dir.known(r.MessageID)
		if !full && t.isCapture(emoji) {
			if fetched, err := t.dir.message(ctx, r.ChannelID, r.MessageID); err == nil {
				info = fetched
			}
		}
		if info.Author.ID == "" && d.AuthorID != "" {
			info.Author = bot.User{ID: d.AuthorID, Bot: d.AuthorID == t.self}
		}
		ev.Message = info
	}
	return ev
}

// user describes a guild member; roles give the admin flag.
func (t *translator) user(ctx context.Context, guildID string, u *discordgo.User, m *discordgo.Member) bot.User {
	out := bot.User{ID: u.ID, Name: displayName(u, m), Bot: u.Bot || u.System}
	if m != nil && !out.Bot && guildID != "" {
		out.Admin = t.dir.admin(ctx, guildID, u.ID, m.Roles)
	}
	if m != nil {
		t.sawMember(guildID, out)
	}
	return out
}

// displayName is the name a server shows for a person: their nickname in
// the server, else their display name, else their user name.
func displayName(u *discordgo.User, m *discordgo.Member) string {
	switch {
	case m != nil && m.Nick != "":
		return m.Nick
	case u == nil:
		return ""
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

// adminPermissions are the permissions that make a member a tipbot admin.
const adminPermissions = discordgo.PermissionAdministrator | discordgo.PermissionManageGuild

// isAdmin computes a member's guild-level permissions from the guild's
// roles (@everyone's id is the guild id) and reports whether they include
// Manage Server or Administrator, or the member owns the guild.
func isAdmin(g *discordgo.Guild, userID string, roles []string) bool {
	if g == nil {
		return false
	}
	if g.OwnerID != "" && g.OwnerID == userID {
		return true
	}
	has := make(map[string]bool, len(roles)+1)
	has[g.ID] = true
	for _, r := range roles {
		has[r] = true
	}
	var perms int64
	for _, r := range g.Roles {
		if r != nil && has[r.ID] {
			perms |= r.Permissions
		}
	}
	return perms&adminPermissions != 0
}

// errNotGuild marks an interaction outside a server (a direct message).
var errNotGuild = errors.New("interaction outside a guild")

// interaction translates an application command: /tip and /tips become
// CommandInvoked with the text the core parses, "Save as tip" becomes
// SaveAsTip; a click on one of tipbot's buttons becomes the command it
// runs. The interaction id is the event id.
func (t *translator) interaction(ctx context.Context, ic *discordgo.Interaction) (bot.Event, error) {
	if ic.Type == discordgo.InteractionMessageComponent {
		return t.click(ic)
	}
	if ic.Type != discordgo.InteractionApplicationCommand {
		return nil, fmt.Errorf("interaction type %d", ic.Type)
	}
	if ic.GuildID == "" || ic.Member == nil || ic.Member.User == nil {
		return nil, errNotGuild
	}
	data, ok := ic.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || ic.ID == "" || ic.ChannelID == "" {
		return nil, errors.New("malformed interaction")
	}
	u := ic.Member.User
	user := bot.User{ID: u.ID, Name: displayName(u, ic.Member), Bot: u.Bot || u.System,
		Admin: ic.Member.Permissions&adminPermissions != 0}
	t.sawMember(ic.GuildID, user)
	channel, thread := t.place(ctx, ic.ChannelID, nil)
	meta := bot.EventMeta{ID: "ix:" + ic.ID, Workspace: workspace(ic.GuildID), At: snowflakeTime(ic.ID)}

	switch {
	case data.CommandType == discordgo.MessageApplicationCommand && data.Name == cmdSaveAsTip:
		var msg *discordgo.Message
		if data.Resolved != nil {
			msg = data.Resolved.Messages[data.TargetID]
		}
		if msg == nil || data.TargetID == "" {
			return nil, errors.New("save as tip without its message")
		}
		location := msg.ChannelID
		if location == "" {
			location = ic.ChannelID
		}
		_, thread := t.place(ctx, location, msg.MessageReference)
		info := bot.MessageInfo{Text: msg.Content, ThreadID: thread}
		if msg.Author != nil {
			var member *discordgo.Member
			if data.Resolved.Members != nil {
				member = data.Resolved.Members[msg.Author.ID]
			}
			info.Author = bot.User{ID: msg.Author.ID, Name: displayName(msg.Author, member), Bot: msg.Author.Bot || msg.Author.System || msg.WebhookID != ""}
		}
		t.dir.remember(data.TargetID, messageEntry{Location: location, Info: info})
		return &bot.SaveAsTip{EventMeta: meta, Channel: channel, MessageID: data.TargetID, User: user, Message: info}, nil
	case data.CommandType != discordgo.ChatApplicationCommand && data.CommandType != 0:
	case data.Name == cmdTip:
		var text string
		for _, o := range data.Options {
			if o != nil && o.Name == "text" {
				text, _ = o.Value.(string)
			}
		}
		return &bot.CommandInvoked{EventMeta: meta, Channel: channel, ThreadID: thread, User: user, Name: cmdTip, Text: text}, nil
	case data.Name == cmdTips || data.Name == cmdTipsAdmin:
		text, err := commandText(data.Name, data.Options)
		if err != nil {
			return nil, err
		}
		return &bot.CommandInvoked{EventMeta: meta, Channel: channel, ThreadID: thread, User: user, Name: cmdTips, Text: text}, nil
	}
	return nil, fmt.Errorf("unknown command %q", data.Name)
}

// snowflakeTime is when Discord created an id (zero for a bad id).
func snowflakeTime(id string) time.Time {
	ts, err := discordgo.SnowflakeTimestamp(id)
	if err != nil || id == "" {
		return time.Time{}
	}
	return ts.UTC()
}

// click translates a click on one of tipbot's buttons (a follow-up's
// Applied, Not yet, Not for me) into the /tips command it runs, as the
// person who clicked, in the server the button names: a button in a
// direct message comes with a user and no server.
func (t *translator) click(ic *discordgo.Interaction) (bot.Event, error) {
	data, ok := ic.Data.(discordgo.MessageComponentInteractionData)
	if !ok || ic.ID == "" || ic.ChannelID == "" {
		return nil, errors.New("malformed component interaction")
	}
	rest, ok := strings.CutPrefix(data.CustomID, buttonPrefix)
	guild, command, found := strings.Cut(rest, ":")
	if !ok || !found || guild == "" || strings.TrimSpace(command) == "" {
		return nil, fmt.Errorf("unknown button %q", data.CustomID)
	}
	if ic.GuildID != "" && ic.GuildID != guild {
		return nil, fmt.Errorf("button of guild %s clicked in guild %s", guild, ic.GuildID)
	}
	var u *discordgo.User
	var member *discordgo.Member
	switch {
	case ic.Member != nil && ic.Member.User != nil:
		u, member = ic.Member.User, ic.Member
	case ic.User != nil:
		u = ic.User
	default:
		return nil, errors.New("component interaction without a user")
	}
	user := bot.User{ID: u.ID, Name: displayName(u, member), Bot: u.Bot || u.System}
	meta := bot.EventMeta{ID: "ix:" + ic.ID, Workspace: workspace(guild), At: snowflakeTime(ic.ID)}
	return &bot.CommandInvoked{EventMeta: meta, Channel: ic.ChannelID, User: user, Name: cmdTips, Text: command}, nil
}
