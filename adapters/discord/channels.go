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
// a private thread (type 12) is private. Their tips stay in them.

// channelOf returns what the directory keeps of a Discord channel.
func channelOf(guildID string, c *discordgo.Channel) bot.Channel {
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
	for _, o := range c.PermissionOverwrites {
		if o != nil && o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == guildID && o.Deny&discordgo.PermissionViewChannel != 0 {
			out.Hidden = true
		}
	}
	return out
}

// guildChannels returns what the directory keeps of a server's channels
// and active threads, as GUILD_CREATE lists them.
func guildChannels(g *discordgo.Guild) []bot.Channel {
	out := make([]bot.Channel, 0, len(g.Channels)+len(g.Threads))
	for _, list := range [][]*discordgo.Channel{g.Channels, g.Threads} {
		for _, c := range list {
			if c != nil && c.ID != "" {
				out = append(out, channelOf(g.ID, c))
			}
		}
	}
	return out
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
	default:
		c, ok := channelEvent(d)
		if !ok || c == nil || c.ID == "" || c.GuildID == "" {
			return
		}
		guild = c.GuildID
		ch := channelOf(guild, c)
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
