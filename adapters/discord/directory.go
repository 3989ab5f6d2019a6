package discord

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/tipbot/tipbot/bot"
)

// errUnknownChannel is what the directory says of an id that is no channel,
// or one tipbot may not see (Discord answered 404 or 403).
var errUnknownChannel = errors.New("unknown channel")

const (
	missingTTL = 10 * time.Minute // how long "no such channel" is believed
	guildTTL   = 10 * time.Minute // how long a guild fetched by REST is kept
)

// liveDirectory backs translation and outbound messages with discordgo's
// state (guilds, channels, threads and roles from the gateway), bounded
// caches and, when both miss, the REST API.
type liveDirectory struct {
	s        *discordgo.Session
	log      *slog.Logger
	channels *expirable.LRU[string, cachedChannel]
	messages *expirable.LRU[string, cachedMessage]
	guilds   *expirable.LRU[string, cachedGuild]
}

type cachedChannel struct {
	info    channelInfo
	missing bool
	at      time.Time
}

// cachedMessage is a remembered message; a long text is not kept (partial)
// and is fetched again if a reaction needs it.
type cachedMessage struct {
	messageEntry
	partial bool
}

// maxCachedText bounds the text kept per remembered message, so the memory
// stays small (10,000 messages of at most 1 KiB).
const maxCachedText = 1 << 10

type cachedGuild struct {
	g  *discordgo.Guild
	at time.Time
}

func newLiveDirectory(s *discordgo.Session, log *slog.Logger) *liveDirectory {
	return &liveDirectory{
		s:        s,
		log:      log,
		channels: expirable.NewLRU[string, cachedChannel](10_000, nil, 0),
		messages: expirable.NewLRU[string, cachedMessage](10_000, nil, 0),
		guilds:   expirable.NewLRU[string, cachedGuild](1_000, nil, 0),
	}
}

func (d *liveDirectory) channel(ctx context.Context, id string) (channelInfo, error) {
	if c, err := d.s.State.Channel(id); err == nil {
		d.s.State.RLock()
		ci := channelInfo{GuildID: c.GuildID, ParentID: c.ParentID, Thread: c.IsThread()}
		d.s.State.RUnlock()
		return ci, nil
	}
	if c, ok := d.channels.Get(id); ok {
		if !c.missing {
			return c.info, nil
		}
		if time.Since(c.at) < missingTTL {
			return channelInfo{}, errUnknownChannel
		}
	}
	ch, err := d.s.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		if s := status(err); s == http.StatusNotFound || s == http.StatusForbidden {
			// Both are remembered: asking again would only add to the
			// invalid requests Discord counts (403s) before a ban.
			d.channels.Add(id, cachedChannel{missing: true, at: time.Now()})
			return channelInfo{}, errUnknownChannel
		}
		return channelInfo{}, err
	}
	ci := channelInfo{GuildID: ch.GuildID, ParentID: ch.ParentID, Thread: ch.IsThread()}
	d.channels.Add(id, cachedChannel{info: ci, at: time.Now()})
	return ci, nil
}

// location returns the channel or thread a message is in, as far as the
// adapter has seen it; else the channel given.
func (d *liveDirectory) location(channel, messageID string) (string, bool) {
	if e, ok := d.messages.Get(messageID); ok && e.Location != "" {
		return e.Location, true
	}
	return channel, false
}

func (d *liveDirectory) message(ctx context.Context, location, messageID string) (bot.MessageInfo, error) {
	if e, ok := d.messages.Get(messageID); ok {
		if !e.partial {
			return e.Info, nil
		}
		location = e.Location
	}
	m, err := d.s.ChannelMessage(location, messageID, discordgo.WithContext(ctx))
	if err != nil {
		d.log.Debug("discord: fetching a reacted message failed", "channel", location, "message", messageID, "err", err)
		return bot.MessageInfo{}, err
	}
	ci, cerr := d.channel(ctx, location)
	_, thread := placeIn(ci, cerr, location, m.MessageReference)
	info := bot.MessageInfo{Text: m.Content, ThreadID: thread}
	if m.Author != nil {
		info.Author = bot.User{ID: m.Author.ID, Name: displayName(m.Author, m.Member), Bot: m.Author.Bot || m.Author.System || m.WebhookID != ""}
	}
	d.remember(messageID, messageEntry{Location: location, Info: info})
	return info, nil
}

func (d *liveDirectory) known(messageID string) (bot.MessageInfo, bool) {
	e, ok := d.messages.Get(messageID)
	return e.Info, ok && !e.partial
}

func (d *liveDirectory) remember(messageID string, e messageEntry) {
	c := cachedMessage{messageEntry: e}
	if len(e.Info.Text) > maxCachedText {
		c.Info.Text, c.partial = "", true
	}
	d.messages.Add(messageID, c)
}

func (d *liveDirectory) forget(messageID string) { d.messages.Remove(messageID) }

func (d *liveDirectory) admin(ctx context.Context, guildID, userID string, roles []string) bool {
	if g, err := d.s.State.Guild(guildID); err == nil {
		d.s.State.RLock()
		ok := isAdmin(g, userID, roles)
		d.s.State.RUnlock()
		return ok
	}
	if c, ok := d.guilds.Get(guildID); ok && time.Since(c.at) < guildTTL {
		return isAdmin(c.g, userID, roles)
	}
	g, err := d.s.Guild(guildID, discordgo.WithContext(ctx))
	if err != nil {
		d.log.Debug("discord: fetching a guild failed", "guild", guildID, "err", err)
		return false
	}
	d.guilds.Add(guildID, cachedGuild{g: g, at: time.Now()})
	return isAdmin(g, userID, roles)
}
