package discordtest

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MessageOption changes a message a member posts.
type MessageOption func(*Message)

// ReplyTo makes the message a reply to another (message_reference).
func ReplyTo(id string) MessageOption { return func(m *Message) { m.Reference = id } }

// Say posts a message as a member in a channel (or thread) and dispatches
// MESSAGE_CREATE. It returns the message.
func (s *Server) Say(channel, user, content string, opts ...MessageOption) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channel]
	if !ok {
		s.tb.Fatalf("discordtest: Say in unknown channel %s", channel)
	}
	m := &Message{ID: s.newID(), ChannelID: channel, GuildID: ch.guildID, AuthorID: user, Content: content, Created: time.Now()}
	for _, o := range opts {
		o(m)
	}
	s.messages[m.ID] = m
	s.order = append(s.order, m.ID)
	s.dispatchLocked("MESSAGE_CREATE", s.messageJSON(m, true))
	return *m
}

// Edit changes a message's text and dispatches MESSAGE_UPDATE.
func (s *Server) Edit(id, content string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	m.Content = content
	m.Edited = time.Now()
	s.dispatchLocked("MESSAGE_UPDATE", s.messageJSON(m, true))
}

// Delete removes a message and dispatches MESSAGE_DELETE.
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	m.Deleted = true
	s.dispatchLocked("MESSAGE_DELETE", map[string]any{"id": m.ID, "channel_id": m.ChannelID, "guild_id": m.GuildID})
}

// React adds a member's reaction (unicode, or "name:id" for a custom
// emoji) and dispatches MESSAGE_REACTION_ADD; it returns the sequence.
func (s *Server) React(id, user, emoji string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	hold(m, user, emoji, true)
	return s.dispatchLocked("MESSAGE_REACTION_ADD", s.reactionJSON(m, user, emoji, true))
}

// SuperReact adds a member's super reaction (burst) and dispatches
// MESSAGE_REACTION_ADD; it returns the sequence.
func (s *Server) SuperReact(id, user, emoji string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.reactionJSON(s.mustMessage(id), user, emoji, true)
	j["burst"], j["type"], j["burst_colors"] = true, 1, []string{"#ffcc4d"}
	return s.dispatchLocked("MESSAGE_REACTION_ADD", j)
}

// SuperUnreact removes a member's super reaction and dispatches
// MESSAGE_REACTION_REMOVE; it returns the sequence.
func (s *Server) SuperUnreact(id, user, emoji string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.reactionJSON(s.mustMessage(id), user, emoji, false)
	j["burst"], j["type"] = true, 1
	return s.dispatchLocked("MESSAGE_REACTION_REMOVE", j)
}

// Unreact removes a member's reaction and dispatches MESSAGE_REACTION_REMOVE.
func (s *Server) Unreact(id, user, emoji string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	hold(m, user, emoji, false)
	return s.dispatchLocked("MESSAGE_REACTION_REMOVE", s.reactionJSON(m, user, emoji, false))
}

// ClearReactions removes every reaction from a message, as a moderator
// does, and dispatches MESSAGE_REACTION_REMOVE_ALL; with an emoji, only
// that emoji's reactions, dispatching MESSAGE_REACTION_REMOVE_EMOJI.
func (s *Server) ClearReactions(id, emoji string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(id)
	for e := range m.Held {
		if emoji == "" || e == emoji {
			delete(m.Held, e)
		}
	}
	s.reactions = slices.DeleteFunc(s.reactions, func(r Reaction) bool {
		return r.MessageID == id && (emoji == "" || r.Emoji == emoji)
	})
	j := s.reactionJSON(m, "", emoji, false)
	delete(j, "user_id")
	if emoji == "" {
		delete(j, "emoji")
		return s.dispatchLocked("MESSAGE_REACTION_REMOVE_ALL", j)
	}
	return s.dispatchLocked("MESSAGE_REACTION_REMOVE_EMOJI", j)
}

// StartThread starts a public thread on a message (its id is the message's,
// as in Discord) and dispatches THREAD_CREATE; it returns the thread id.
func (s *Server) StartThread(messageID, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(messageID)
	c := &channelRec{Channel: Channel{ID: m.ID, Name: name, Type: 11, ParentID: m.ChannelID}, guildID: m.GuildID}
	s.channels[c.ID] = c
	j := s.channelJSON(c)
	j["newly_created"] = true
	s.dispatchLocked("THREAD_CREATE", j)
	return c.ID
}

// StartPrivateThread starts a private thread (type 12) in a channel and
// dispatches THREAD_CREATE; it returns the thread id.
func (s *Server) StartPrivateThread(channel, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, ok := s.channels[channel]
	if !ok {
		panic("discordtest: no channel " + channel)
	}
	id := s.newID()
	c := &channelRec{Channel: Channel{ID: id, Name: name, Type: 12, ParentID: channel}, guildID: parent.guildID}
	s.channels[id] = c
	j := s.channelJSON(c)
	j["newly_created"] = true
	s.dispatchLocked("THREAD_CREATE", j)
	return id
}

// HideChannel denies VIEW_CHANNEL to @everyone in a channel's permission
// overwrites and dispatches CHANNEL_UPDATE.
func (s *Server) HideChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		panic("discordtest: no channel " + id)
	}
	c.Hidden = true
	s.dispatchLocked("CHANNEL_UPDATE", s.channelJSON(c))
}

// SetEveryonePermissions changes the permissions of a guild's @everyone
// role (whose id is the guild's) and dispatches GUILD_ROLE_UPDATE.
func (s *Server) SetEveryonePermissions(guild string, perms int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guilds[guild]
	if !ok {
		panic("discordtest: no guild " + guild)
	}
	for i, r := range g.Roles {
		if r.ID != guild {
			continue
		}
		g.Roles[i].Permissions = perms
		return s.dispatchLocked("GUILD_ROLE_UPDATE", map[string]any{"guild_id": guild, "role": map[string]any{
			"id": r.ID, "name": r.Name, "permissions": strconv.FormatInt(perms, 10), "position": i, "color": 0,
			"hoist": false, "managed": false, "mentionable": false}})
	}
	panic("discordtest: no @everyone role in " + guild)
}

// AddShownChannel creates a text channel whose overwrites allow
// VIEW_CHANNEL to @everyone and dispatches CHANNEL_CREATE.
func (s *Server) AddShownChannel(guild, id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &channelRec{Channel: Channel{ID: id, Name: name, Shown: true}, guildID: guild}
	s.channels[id] = c
	s.dispatchLocked("CHANNEL_CREATE", s.channelJSON(c))
}

// AddChannel creates a text channel in a guild and dispatches CHANNEL_CREATE.
func (s *Server) AddChannel(guild, id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &channelRec{Channel: Channel{ID: id, Name: name}, guildID: guild}
	s.channels[id] = c
	s.dispatchLocked("CHANNEL_CREATE", s.channelJSON(c))
}

// RemoveBot removes the bot from a guild, as an admin kicking it does:
// GUILD_DELETE without "unavailable" is dispatched, and REST answers 403
// for the guild and its channels from then on.
func (s *Server) RemoveBot(guild string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed == nil {
		s.removed = map[string]bool{}
	}
	s.removed[guild] = true
	return s.dispatchLocked("GUILD_DELETE", map[string]any{"id": guild})
}

// InviteBack adds the bot to a guild it was removed from: GUILD_CREATE.
func (s *Server) InviteBack(guild string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.removed, guild)
	return s.dispatchLocked("GUILD_CREATE", s.guildJSON(s.guilds[guild]))
}

func (s *Server) mustMessage(id string) *Message {
	m, ok := s.messages[id]
	if !ok {
		s.tb.Fatalf("discordtest: unknown message %s", id)
	}
	return m
}

// Message returns a message by id.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// BotMessages returns what the bot posted in a channel ("" for every
// channel, DMs included), oldest first.
func (s *Server) BotMessages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.order {
		m := s.messages[id]
		if m.AuthorID == AppID && (channel == "" || m.ChannelID == channel) {
			out = append(out, *m)
		}
	}
	return out
}

// DirectMessages returns what the bot sent a user privately.
func (s *Server) DirectMessages(user string) []Message {
	s.mu.Lock()
	ch, ok := s.dms[user]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.BotMessages(ch)
}

// Reactions returns the reactions the bot added to a message.
func (s *Server) Reactions(messageID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.reactions {
		if r.MessageID == messageID {
			out = append(out, r.Emoji)
		}
	}
	return out
}

// Option is an option of an application command interaction: a value, or
// sub-options for a sub-command (Type 1) or group (Type 2).
type Option struct {
	Name    string
	Type    int
	Value   any
	Options []Option
	// Focused marks the option being typed in an autocomplete interaction.
	Focused bool
}

// Choice is one suggestion of an autocomplete answer.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Typing is a string option being typed, as an autocomplete interaction
// carries it (focused, with what was typed so far).
func Typing(name, partial string) Option {
	return Option{Name: name, Type: 3, Value: partial, Focused: true}
}

// Sub is a sub-command option.
func Sub(name string, opts ...Option) Option { return Option{Name: name, Type: 1, Options: opts} }

// Group is a sub-command group option.
func Group(name string, sub Option) Option {
	return Option{Name: name, Type: 2, Options: []Option{sub}}
}

// Str, ChannelOpt, UserOpt and Bool are typed option values.
func Str(name, v string) Option { return Option{Name: name, Type: 3, Value: v} }

// ChannelOpt is a channel option.
func ChannelOpt(name, id string) Option { return Option{Name: name, Type: 7, Value: id} }

// UserOpt is a user option.
func UserOpt(name, id string) Option { return Option{Name: name, Type: 6, Value: id} }

// Bool is a boolean option.
func Bool(name string, v bool) Option { return Option{Name: name, Type: 5, Value: v} }

func optionsJSON(opts []Option) []map[string]any {
	out := []map[string]any{}
	for _, o := range opts {
		j := map[string]any{"name": o.Name, "type": o.Type}
		if o.Type == 1 || o.Type == 2 {
			j["options"] = optionsJSON(o.Options)
		} else {
			j["value"] = o.Value
		}
		if o.Focused {
			j["focused"] = true
		}
		out = append(out, j)
	}
	return out
}

// Command is an application command someone runs.
type Command struct {
	Guild, Channel, User string
	Locale               string // default "en-US"
	Name                 string // "tip", "tips", "tips-admin", "Save as tip"
	Options              []Option
	Target               string // message id, for "Save as tip"
}

// Run dispatches the INTERACTION_CREATE of a command and returns the
// interaction id.
func (s *Server) Run(c Command) string { return s.interaction(c, 2) }

// Autocomplete dispatches the INTERACTION_CREATE of someone typing an
// option of a command (an APPLICATION_COMMAND_AUTOCOMPLETE, type 4: the
// command's options so far, the one being typed marked focused; see
// Typing) and returns the interaction id. Its answer is a type 8 callback
// whose choices Suggestions returns.
func (s *Server) Autocomplete(c Command) string { return s.interaction(c, 4) }

// Suggestions waits for the answer to an autocomplete interaction and
// returns its choices.
func (s *Server) Suggestions(tb testing.TB, id string) []Choice {
	tb.Helper()
	var choices []Choice
	s.Wait(tb, "the suggestions of interaction "+id, func() bool {
		for _, r := range s.Responses(id) {
			if r.Kind == "callback" && r.Type == 8 {
				choices = r.Choices
				return true
			}
		}
		return false
	})
	return choices
}

func (s *Server) interaction(c Command, kind int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	if kind == 4 {
		s.autocompletes[id] = true
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := "aW50ZXJhY3Rpb246" + hex.EncodeToString(tok[:])
	s.tokens[token] = id
	if c.Locale == "" {
		c.Locale = "en-US"
	}
	data := map[string]any{"id": s.newID(), "name": c.Name, "type": 1}
	resolved := map[string]any{}
	if c.Target != "" {
		m := s.mustMessage(c.Target)
		data["type"] = 3
		data["target_id"] = c.Target
		full := s.messageJSON(m, false)
		full["content"] = m.Content // interactions carry content without the intent
		resolved["messages"] = map[string]any{c.Target: full}
	} else {
		data["options"] = optionsJSON(c.Options)
		users, channels := map[string]any{}, map[string]any{}
		var walk func([]Option)
		walk = func(os []Option) {
			for _, o := range os {
				switch o.Type {
				case 6:
					uid, _ := o.Value.(string)
					m, _ := s.member(c.Guild, uid)
					users[uid] = s.userJSON(uid, nameOr(m.Name, uid), m.Bot)
				case 7:
					cid, _ := o.Value.(string)
					if ch, ok := s.channels[cid]; ok {
						channels[cid] = s.channelJSON(ch)
					}
				}
				walk(o.Options)
			}
		}
		walk(c.Options)
		if len(users) > 0 {
			resolved["users"] = users
		}
		if len(channels) > 0 {
			resolved["channels"] = channels
		}
	}
	if len(resolved) > 0 {
		data["resolved"] = resolved
	}
	ic := map[string]any{
		"id": id, "application_id": AppID, "type": kind, "data": data, "channel_id": c.Channel,
		"token": token, "version": 1, "locale": c.Locale, "app_permissions": "0", "entitlements": []any{},
	}
	if c.Guild != "" {
		member := s.memberJSON(c.Guild, c.User, true)
		member["permissions"] = formatInt(s.permissions(c.Guild, c.User))
		ic["guild_id"] = c.Guild
		ic["member"] = member
		ic["guild_locale"] = "en-US"
		ic["context"] = 0
	} else {
		m, _ := s.member("", c.User)
		ic["user"] = s.userJSON(c.User, nameOr(m.Name, c.User), false)
		ic["context"] = 1
	}
	s.dispatchLocked("INTERACTION_CREATE", ic)
	return id
}

// Click dispatches the INTERACTION_CREATE of a person clicking a button
// (a MESSAGE_COMPONENT interaction) of a message the bot sent, and returns
// the interaction id. In a direct message the interaction has a user, no
// member nor guild, as Discord sends it.
func (s *Server) Click(user, messageID, customID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMessage(messageID)
	id := s.newID()
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := "aW50ZXJhY3Rpb246" + hex.EncodeToString(tok[:])
	s.tokens[token] = id
	ic := map[string]any{
		"id": id, "application_id": AppID, "type": 3, "channel_id": m.ChannelID, "token": token, "version": 1,
		"locale": "en-US", "app_permissions": "0", "entitlements": []any{},
		"data":    map[string]any{"custom_id": customID, "component_type": 2},
		"message": s.messageJSON(m, false),
	}
	if m.GuildID != "" {
		member := s.memberJSON(m.GuildID, user, true)
		member["permissions"] = formatInt(s.permissions(m.GuildID, user))
		ic["guild_id"], ic["member"], ic["context"] = m.GuildID, member, 0
	} else {
		mem, _ := s.member("", user)
		ic["user"] = s.userJSON(user, nameOr(mem.Name, user), false)
		ic["context"] = 1
	}
	s.dispatchLocked("INTERACTION_CREATE", ic)
	return id
}

// Responses returns what the bot sent about an interaction so far.
func (s *Server) Responses(id string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Response(nil), s.responses[id]...)
}

// Answer waits for an interaction's answer (a Type 4 callback, or the edit
// after a Type 5 deferral) and returns it.
func (s *Server) Answer(tb testing.TB, id string) Response {
	tb.Helper()
	var ans Response
	s.Wait(tb, "the answer to interaction "+id, func() bool {
		for _, r := range s.Responses(id) {
			if (r.Kind == "callback" && r.Type == 4) || r.Kind == "edit" {
				ans = r
				return true
			}
		}
		return false
	})
	return ans
}

// Mention returns "<@id>".
func Mention(id string) string { return "<@" + id + ">" }

// HasReaction reports whether the bot reacted with emoji on a message.
func (s *Server) HasReaction(messageID, emoji string) bool {
	return slices.Contains(s.Reactions(messageID), emoji)
}

// Contains reports whether a message's text holds every part.
func Contains(text string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(text, p) {
			return false
		}
	}
	return true
}

// hold records (or takes back) a member's normal reaction on a message.
func hold(m *Message, user, emoji string, add bool) {
	if m.Held == nil {
		m.Held = map[string][]string{}
	}
	has := slices.Contains(m.Held[emoji], user)
	switch {
	case add && !has:
		m.Held[emoji] = append(m.Held[emoji], user)
	case !add && has:
		m.Held[emoji] = slices.DeleteFunc(m.Held[emoji], func(u string) bool { return u == user })
		if len(m.Held[emoji]) == 0 {
			delete(m.Held, emoji)
		}
	}
}

// AddMessage stores a message as if posted while the bot was away: no
// dispatch. It returns the message.
func (s *Server) AddMessage(channel, user, content string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channel]
	if !ok {
		s.tb.Fatalf("discordtest: AddMessage in unknown channel %s", channel)
	}
	m := &Message{ID: s.newID(), ChannelID: channel, GuildID: ch.guildID, AuthorID: user, Content: content, Created: time.Now()}
	s.messages[m.ID] = m
	s.order = append(s.order, m.ID)
	return *m
}

// AddReaction adds a member's reaction as if made while the bot was away:
// no dispatch.
func (s *Server) AddReaction(id, user, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hold(s.mustMessage(id), user, emoji, true)
}
