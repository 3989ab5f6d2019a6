package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// The directory of channels lives in the core's store. Discord says who
// can read a channel in the channel itself: GUILD_CREATE lists a server's
// channels and active threads, CHANNEL_* and THREAD_* events bring the
// changes. A channel whose permission overwrites deny VIEW_CHANNEL to
// @everyone (the role whose id is the guild's) is hidden from the server;
// a private thread (type 12) is private. Their tips stay in them. Whether
// @everyone may view a channel starts from the @everyone role's own
// permissions (GUILD_CREATE's roles, GUILD_ROLE_UPDATE): a server whose
// @everyone may not view channels hides every channel but those whose
// overwrites allow it to @everyone. Roles other than @everyone do not
// matter (they never narrow what @everyone sees): GUILD_ROLE_CREATE and
// GUILD_ROLE_DELETE, which never concern @everyone, are not followed.
// Threads follow their parent channel (the core restricts a thread's tips
// to the parent's visibility), so only private threads are private.

// everyoneViews is the @everyone permissions assumed while the server's
// roles are unknown: viewing channels, as in a new server.
const everyoneViews = discordgo.PermissionViewChannel

// everyonePerms returns the permissions of the @everyone role among a
// server's roles (its id is the server's), or everyoneViews when it is
// not among them.
func everyonePerms(guildID string, roles []*discordgo.Role) int64 {
	for _, r := range roles {
		if r != nil && r.ID == guildID {
			return r.Permissions
		}
	}
	return everyoneViews
}

// hiddenFromEveryone reports whether @everyone, whose role has the
// permissions base, cannot view channel c: the role's permissions, then
// the channel's overwrite for @everyone (deny, then allow).
func hiddenFromEveryone(guildID string, base int64, c *discordgo.Channel) bool {
	if base&discordgo.PermissionAdministrator != 0 {
		return false
	}
	perms := base
	for _, o := range c.PermissionOverwrites {
		if o != nil && o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == guildID {
			perms = perms&^o.Deny | o.Allow
		}
	}
	return perms&discordgo.PermissionViewChannel == 0
}

// channelOf returns what the directory keeps of a Discord channel of a
// server whose @everyone role has the permissions everyone.
func channelOf(guildID string, everyone int64, c *discordgo.Channel) bot.Channel {
	out := bot.Channel{ID: c.ID, Name: c.Name, Kind: bot.ChannelPublic}
	switch c.Type {
	case discordgo.ChannelTypeDM:
		out.Kind = bot.ChannelDM
	case discordgo.ChannelTypeGroupDM:
		out.Kind = bot.ChannelGroupDM
	case discordgo.ChannelTypeGuildPrivateThread:
		out.Kind = bot.ChannelPrivate
	}
	if c.ThreadMetadata != nil && c.ThreadMetadata.Archived {
		out.Archived = true
	}
	if !c.IsThread() && c.Type != discordgo.ChannelTypeDM && c.Type != discordgo.ChannelTypeGroupDM {
		out.Hidden = hiddenFromEveryone(guildID, everyone, c)
	}
	return out
}

// guildChannels returns what the directory keeps of a server's channels
// and active threads, as GUILD_CREATE lists them.
func guildChannels(g *discordgo.Guild) []bot.Channel {
	out := make([]bot.Channel, 0, len(g.Channels)+len(g.Threads))
	everyone := everyonePerms(g.ID, g.Roles)
	for _, list := range [][]*discordgo.Channel{g.Channels, g.Threads} {
		for _, c := range list {
			if c != nil && c.ID != "" {
				out = append(out, channelOf(g.ID, everyone, c))
			}
		}
	}
	return out
}

// everyoneOf returns the permissions of a server's @everyone role as the
// session's state knows them (everyoneViews when it does not).
func (a *Adapter) everyoneOf(guildID string) int64 {
	if a.s == nil || a.s.State == nil {
		return everyoneViews
	}
	r, err := a.s.State.Role(guildID, guildID)
	if err != nil {
		return everyoneViews
	}
	a.s.State.RLock()
	defer a.s.State.RUnlock()
	return r.Permissions
}

// roleChannels returns what the directory keeps of a server's channels
// (not its threads, which follow their parent) once its @everyone role
// has the permissions everyone, from the session's state.
func (a *Adapter) roleChannels(guildID string, everyone int64) []bot.Channel {
	if a.s == nil || a.s.State == nil {
		return nil
	}
	g, err := a.s.State.Guild(guildID)
	if err != nil {
		a.log.Warn("discord: @everyone changed in a server the state does not know", "guild", guildID, "err", err)
		return nil
	}
	a.s.State.RLock()
	defer a.s.State.RUnlock()
	out := make([]bot.Channel, 0, len(g.Channels))
	for _, c := range g.Channels {
		if c != nil && c.ID != "" && !c.IsThread() {
			out = append(out, channelOf(guildID, everyone, c))
		}
	}
	return out
}

// snapshot copies what a GUILD_CREATE, CHANNEL_* or THREAD_* dispatch
// says of channels and roles. discordgo's state keeps the dispatch's own
// guild and channels and changes them in place on later dispatches (on
// the gateway's reading goroutine), while a worker reads this one: the
// copy, made on the reading goroutine (SyncEvents), is the worker's alone.
func snapshot(v any) any {
	ch := func(c *discordgo.Channel) *discordgo.Channel {
		if c == nil {
			return nil
		}
		cp := *c
		return &cp
	}
	chs := func(list []*discordgo.Channel) []*discordgo.Channel {
		out := make([]*discordgo.Channel, len(list))
		for i, c := range list {
			out[i] = ch(c)
		}
		return out
	}
	switch e := v.(type) {
	case *discordgo.GuildCreate:
		if e.Guild == nil {
			return v
		}
		g := *e.Guild
		g.Channels, g.Threads, g.Roles = chs(g.Channels), chs(g.Threads), append([]*discordgo.Role(nil), g.Roles...)
		return &discordgo.GuildCreate{Guild: &g}
	case *discordgo.ChannelCreate:
		return &discordgo.ChannelCreate{Channel: ch(e.Channel)}
	case *discordgo.ChannelUpdate:
		return &discordgo.ChannelUpdate{Channel: ch(e.Channel), BeforeUpdate: e.BeforeUpdate}
	case *discordgo.ChannelDelete:
		return &discordgo.ChannelDelete{Channel: ch(e.Channel)}
	case *discordgo.ThreadCreate:
		return &discordgo.ThreadCreate{Channel: ch(e.Channel), NewlyCreated: e.NewlyCreated}
	case *discordgo.ThreadUpdate:
		return &discordgo.ThreadUpdate{Channel: ch(e.Channel), BeforeUpdate: e.BeforeUpdate}
	case *discordgo.ThreadDelete:
		return &discordgo.ThreadDelete{Channel: ch(e.Channel)}
	}
	return v
}

// channelEvent returns the channel a CHANNEL_* or THREAD_* dispatch is
// about, and whether d is one.
func channelEvent(d dispatch) (*discordgo.Channel, bool) {
	var c *discordgo.Channel
	switch v := d.Data.(type) {
	case *discordgo.ChannelCreate:
		c = v.Channel
	case *discordgo.ChannelUpdate:
		c = v.Channel
	case *discordgo.ChannelDelete:
		c = v.Channel
	case *discordgo.ThreadCreate:
		c = v.Channel
	case *discordgo.ThreadUpdate:
		c = v.Channel
	case *discordgo.ThreadDelete:
		c = v.Channel
	default:
		return nil, false
	}
	return c, true
}

// channelsChanged tells the core's directory of channels what a dispatch
// says of a server's channels.
func (a *Adapter) channelsChanged(ctx context.Context, d dispatch) {
	var guild string
	var chs []bot.Channel
	switch v := d.Data.(type) {
	case *discordgo.GuildCreate:
		if v.Guild == nil {
			return
		}
		guild, chs = v.ID, guildChannels(v.Guild)
	case *discordgo.GuildRoleUpdate:
		// Only @everyone's role (id = the server's) says who sees what.
		if v.GuildRole == nil || v.Role == nil || v.Role.ID != v.GuildID {
			return
		}
		guild, chs = v.GuildID, a.roleChannels(v.GuildID, v.Role.Permissions)
	default:
		c, ok := channelEvent(d)
		if !ok || c == nil || c.ID == "" || c.GuildID == "" {
			return
		}
		guild = c.GuildID
		ch := channelOf(guild, a.everyoneOf(guild), c)
		switch d.Data.(type) {
		case *discordgo.ChannelDelete, *discordgo.ThreadDelete:
			ch.Archived = true
			if ch.Name == "" {
				// THREAD_DELETE carries ids only: keep what is known.
				return
			}
		}
		chs = []bot.Channel{ch}
	}
	if len(chs) == 0 {
		return
	}
	if _, err := a.handle(ctx, &bot.ChannelsUpdated{EventMeta: bot.EventMeta{Workspace: workspace(guild)}, Channels: chs}); err != nil {
		a.log.Error("discord: the directory of channels was not updated", "guild", guild, "channels", len(chs), "err", err)
	}
}
