// Package discord connects tipbot to Discord with discordgo: it reads the
// gateway (messages, edits, deletions, reactions, interactions), registers
// tipbot's application commands (/tip, /tips, /tips-admin and the message
// context-menu command "Save as tip"), turns what it receives into core
// events for a Handler, and carries the core's messages out (bot.Chat).
//
// A guild is a workspace (bot.Workspace{Platform: bot.Discord, ID: guild
// id}); direct messages are not captured. Events of one channel are handled
// in order; interactions are answered within Discord's three seconds, after
// the core has committed them when it is quick enough, else with a deferred
// answer edited once it has. REST requests are paced under Discord's global
// limit of 50 per second, per-route buckets and 429 answers are waited out
// by discordgo's rate limiter, and Config.APIURL sends REST and gateway
// traffic to another host.
package discord

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/tipbot/tipbot/bot"
)

// Handler applies core events; *bot.Bot satisfies it.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Reply, error)
}

// Config is what the adapter needs.
type Config struct {
	// Token is the bot token (DISCORD_BOT_TOKEN), with or without "Bot ".
	Token string
	// APIURL replaces https://discord.com for REST calls; the gateway URL
	// is then asked of that host. Empty means Discord itself.
	APIURL string
	// GuildIDs are the guilds to register commands in (instantly); empty
	// registers them globally.
	GuildIDs []string
	// Logger receives the adapter's logs; nil discards them.
	Logger *slog.Logger
	// OnRateLimit, when set, is told of every 429 waited out (for metrics).
	OnRateLimit func(wait time.Duration)
}

// intents are the gateway intents tipbot asks for. Message content is
// privileged: when the application has not enabled it, Discord closes the
// gateway with 4014 and tipbot goes on without it.
const intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsGuildMessageReactions |
	discordgo.IntentsMessageContent | discordgo.IntentsDirectMessages

// InvitePermissions are the permissions the invite link asks for; see
// docs/discord.md for why each is needed.
const InvitePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads | discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles |
	discordgo.PermissionReadMessageHistory | discordgo.PermissionAddReactions

const (
	workers        = 8                // ordered queues; a channel always uses the same one
	queueSize      = 256              // events waiting per queue before the gateway reader waits
	handleAttempts = 3                // tries of a failing Handle before the event is logged and dropped
	handleTimeout  = 2 * time.Minute  // bound on one Handle call
	closeTimeout   = 30 * time.Second // bound on waiting for in-flight events at shutdown
	maxBackoff     = time.Minute      // longest wait between gateway connection attempts
)

// Adapter is a connection to Discord. It implements bot.Chat.
type Adapter struct {
	cfg Config
	h   Handler
	log *slog.Logger
	s   *discordgo.Session
	dir *liveDirectory
	tr  *translator

	// deferAfter is how long an interaction waits for the core before
	// answering "thinking..." (Discord allows 3 s for the first answer).
	deferAfter time.Duration
	// retryWait is the first wait before retrying a failed Handle or REST
	// call (doubled each time).
	retryWait time.Duration

	mu        sync.Mutex
	appID     string // the application id (= the bot's user id for current apps)
	self      string // the bot's user id, once Run knows it
	gwSession string // current gateway session id
	noContent bool   // the message content intent was refused

	connected    atomic.Bool
	disconnected chan struct{}

	queues   []chan dispatch
	stopMu   sync.RWMutex
	stopped  bool
	inflight sync.WaitGroup
	work     context.Context // context of Handle calls: not cancelled at shutdown

	dmChannels   *lru[string, string]   // user id → DM channel id
	interactions *lru[string, struct{}] // interactions received, to skip replays
}

// New returns an adapter; Run connects it. It fails without a token or
// with an unusable APIURL.
func New(cfg Config, h Handler) (*Adapter, error) {
	if h == nil {
		return nil, errors.New("discord: no handler")
	}
	token := ""
	switch f := strings.Fields(cfg.Token); {
	case len(f) == 1 && f[0] != "Bot":
		token = f[0]
	case len(f) == 2 && f[0] == "Bot":
		token = f[1]
	}
	if token == "" {
		return nil, errors.New("discord: no bot token (set discord.token, e.g. to ${DISCORD_BOT_TOKEN})")
	}
	var base *url.URL
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("discord: api_url %q: want an http(s) URL such as https://discord.com", cfg.APIURL)
		}
		if !strings.EqualFold(u.Hostname(), "discord.com") || strings.Trim(u.Path, "/") != "" {
			base = u
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	routeLibraryLogs()

	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	// No Client.Timeout: it would count the wait in the pacer; the
	// rewriter bounds each request from the moment it goes.
	s.Client = &http.Client{Transport: newRewriter(base, newPacer(globalRate, globalBurst), http.DefaultTransport)}
	s.ShouldReconnectOnError = false // Run reconnects, so it sees close codes such as 4014
	s.SyncEvents = true              // dispatches reach onDispatch in gateway order
	s.Identify.Intents = intents
	s.Identify.Compress = false
	s.LogLevel = discordgo.LogError

	a := &Adapter{
		cfg:          cfg,
		h:            h,
		log:          log,
		s:            s,
		deferAfter:   1500 * time.Millisecond,
		retryWait:    200 * time.Millisecond,
		appID:        appIDFromToken(token),
		disconnected: make(chan struct{}, 1),
		dmChannels:   newLRU[string, string](10_000),
		interactions: newLRU[string, struct{}](10_000),
	}
	a.dir = newLiveDirectory(s, log)
	a.tr = &translator{dir: a.dir}
	s.AddHandler(a.onDispatch)
	s.AddHandler(func(_ *discordgo.Session, rl *discordgo.RateLimit) {
		if f := a.cfg.OnRateLimit; f != nil && rl.TooManyRequests != nil {
			f(rl.RetryAfter)
		}
	})
	s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		a.connected.Store(false)
		select {
		case a.disconnected <- struct{}{}:
		default:
		}
	})
	return a, nil
}

// Connected reports whether the gateway is up (READY or RESUMED received
// and not closed since), for /healthz.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// InviteURL returns the OAuth2 link that adds the bot to a server with the
// scopes bot and applications.commands and exactly InvitePermissions. The
// application id is read from the token until Run learns it from Discord;
// it returns "" when neither says.
func (a *Adapter) InviteURL() string {
	a.mu.Lock()
	id := a.appID
	a.mu.Unlock()
	if id == "" {
		return ""
	}
	v := url.Values{}
	v.Set("client_id", id)
	v.Set("permissions", fmt.Sprint(InvitePermissions))
	v.Set("scope", "bot applications.commands")
	return "https://discord.com/oauth2/authorize?" + v.Encode()
}

// Run connects to the gateway, registers the application commands and
// serves events until ctx ends; then it closes the gateway, lets the events
// already received finish and returns nil. It returns an error when Discord
// refuses the token or the intents, which retrying cannot fix.
func (a *Adapter) Run(ctx context.Context) error {
	me, err := a.whoAmI(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.tr.self = me.ID // read by the workers, started below
	a.mu.Lock()
	a.self = me.ID
	if a.appID == "" {
		a.appID = me.ID
	}
	a.mu.Unlock()
	a.log.Info("discord: signed in", "bot", me.Username, "id", me.ID)

	a.work = context.WithoutCancel(ctx)
	a.startWorkers()
	defer a.stopWorkers()

	if err := a.connect(ctx); err != nil {
		a.close()
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.registerCommands(ctx)
	for {
		select {
		case <-ctx.Done():
			a.close()
			return nil
		case <-a.disconnected:
			if ctx.Err() != nil {
				continue
			}
			a.log.Warn("discord: gateway disconnected; reconnecting")
			if err := a.connect(ctx); err != nil {
				a.close()
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// whoAmI returns the bot user, retrying while Discord is unreachable; a
// refused token is an error at once.
func (a *Adapter) whoAmI(ctx context.Context) (*discordgo.User, error) {
	wait := time.Second
	for {
		me, err := a.s.User("@me", discordgo.WithContext(ctx))
		if err == nil {
			return me, nil
		}
		var rest *discordgo.RESTError
		if errors.As(err, &rest) && rest.Response != nil && (rest.Response.StatusCode == http.StatusUnauthorized || rest.Response.StatusCode == http.StatusForbidden) {
			return nil, errors.New("discord: the bot token was refused (401): check DISCORD_BOT_TOKEN")
		}
		a.log.Warn("discord: cannot reach Discord; retrying", "err", err, "in", wait)
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(2*wait, maxBackoff)
	}
}

// connect opens (or resumes) the gateway, retrying with backoff. A refused
// message-content intent is dropped once; other refusals are fatal.
func (a *Adapter) connect(ctx context.Context) error {
	wait := time.Second
	for {
		err := a.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			switch ce.Code {
			case 4014:
				if a.s.Identify.Intents&discordgo.IntentsMessageContent != 0 {
					a.mu.Lock()
					a.noContent = true
					a.mu.Unlock()
					a.s.Identify.Intents &^= discordgo.IntentsMessageContent
					a.log.Warn("discord: the privileged Message Content intent is not enabled for this application; " +
						"tipbot goes on without it: commands, Save as tip, reactions and replies that mention the bot work, " +
						"prefixes and hashtags in other messages cannot be read. Enable it in the Developer Portal, Bot → Privileged Gateway Intents.")
					continue
				}
				return errors.New("discord: gateway refused the intents (4014): enable them in the Developer Portal")
			case 4004:
				return errors.New("discord: gateway refused the token (4004): check DISCORD_BOT_TOKEN")
			case 4010, 4011, 4012, 4013:
				return fmt.Errorf("discord: gateway refused the connection (%d %s)", ce.Code, ce.Text)
			}
		}
		a.log.Warn("discord: gateway connection failed; retrying", "err", err, "in", wait)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
		wait = min(2*wait, maxBackoff)
	}
}

// close closes the gateway (discordgo waits one second for the close
// handshake).
func (a *Adapter) close() {
	if err := a.s.Close(); err != nil {
		a.log.Debug("discord: close", "err", err)
	}
	a.connected.Store(false)
}

// MessageContent reports whether the gateway delivers message content
// (false after Discord refused the privileged intent).
func (a *Adapter) MessageContent() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.noContent
}

// registerCommands bulk-overwrites tipbot's commands in each configured
// guild, or globally. With guilds configured, global commands left by an
// earlier global registration are removed, so commands do not show twice.
// Failures are logged: events still work without commands.
func (a *Adapter) registerCommands(ctx context.Context) {
	a.mu.Lock()
	app := a.appID
	a.mu.Unlock()
	cmds := applicationCommands()
	guilds := a.cfg.GuildIDs
	if len(guilds) == 0 {
		guilds = []string{""}
	}
	for _, g := range guilds {
		err := a.retry(ctx, func() error {
			_, err := a.s.ApplicationCommandBulkOverwrite(app, g, cmds, discordgo.WithContext(ctx))
			return err
		})
		where := "globally (Discord may take up to an hour to show them)"
		if g != "" {
			where = "in guild " + g
		}
		if err != nil {
			a.log.Error("discord: registering commands failed "+where+"; was the bot invited with the applications.commands scope?", "err", err)
			continue
		}
		a.log.Info("discord: commands registered " + where)
	}
	if len(a.cfg.GuildIDs) == 0 {
		return
	}
	global, err := a.s.ApplicationCommands(app, "", discordgo.WithContext(ctx))
	if err != nil || len(global) == 0 {
		return
	}
	if _, err := a.s.ApplicationCommandBulkOverwrite(app, "", []*discordgo.ApplicationCommand{}, discordgo.WithContext(ctx)); err != nil {
		a.log.Warn("discord: removing the global commands failed; they may show twice", "err", err)
		return
	}
	a.log.Info("discord: global commands removed (discord.guild_ids is set)", "removed", len(global))
}

func (a *Adapter) selfID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.self
}

func (a *Adapter) session() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gwSession
}

// onDispatch receives every gateway dispatch, in order, on discordgo's
// reading goroutine. It must not block on the core: events go to the
// ordered queues, interactions to their own goroutine.
func (a *Adapter) onDispatch(_ *discordgo.Session, e *discordgo.Event) {
	switch v := e.Struct.(type) {
	case *discordgo.Ready:
		a.mu.Lock()
		a.gwSession = v.SessionID
		if v.Application != nil && v.Application.ID != "" {
			a.appID = v.Application.ID
		}
		a.mu.Unlock()
		a.connected.Store(true)
		a.log.Info("discord: gateway ready", "guilds", len(v.Guilds))
	case *discordgo.Resumed:
		a.connected.Store(true)
		a.log.Info("discord: gateway resumed")
	case *discordgo.InteractionCreate:
		if v.Interaction != nil {
			a.startInteraction(v.Interaction)
		}
	case *discordgo.MessageCreate, *discordgo.MessageUpdate, *discordgo.MessageDelete, *discordgo.MessageDeleteBulk,
		*discordgo.MessageReactionAdd, *discordgo.MessageReactionRemove, *discordgo.MessageReactionRemoveAll:
		a.enqueue(dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: e.Struct})
	case nil: // an event discordgo does not decode
		if e.Type == reactionRemoveEmojiType {
			var v reactionRemoveEmoji
			if err := json.Unmarshal(e.RawData, &v); err != nil {
				a.log.Warn("discord: bad "+reactionRemoveEmojiType, "err", err)
				return
			}
			a.enqueue(dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: &v})
		}
	}
}

// reactionRemoveEmoji is Discord's MESSAGE_REACTION_REMOVE_EMOJI (every
// reaction of one emoji taken off a message), which discordgo v0.29 does
// not decode.
type reactionRemoveEmoji struct {
	ChannelID string          `json:"channel_id"`
	GuildID   string          `json:"guild_id"`
	MessageID string          `json:"message_id"`
	Emoji     discordgo.Emoji `json:"emoji"`
}

const reactionRemoveEmojiType = "MESSAGE_REACTION_REMOVE_EMOJI"

// dispatchChannel is the channel an event belongs to, which picks its queue.
func dispatchChannel(d dispatch) string {
	switch v := d.Data.(type) {
	case *discordgo.MessageCreate:
		if v.Message != nil {
			return v.ChannelID
		}
	case *discordgo.MessageUpdate:
		if v.Message != nil {
			return v.ChannelID
		}
	case *discordgo.MessageDelete:
		if v.Message != nil {
			return v.ChannelID
		}
	case *discordgo.MessageDeleteBulk:
		return v.ChannelID
	case *discordgo.MessageReactionAdd:
		if v.MessageReaction != nil {
			return v.ChannelID
		}
	case *discordgo.MessageReactionRemove:
		if v.MessageReaction != nil {
			return v.ChannelID
		}
	case *discordgo.MessageReactionRemoveAll:
		if v.MessageReaction != nil {
			return v.ChannelID
		}
	case *reactionRemoveEmoji:
		return v.ChannelID
	}
	return ""
}

func (a *Adapter) startWorkers() {
	a.queues = make([]chan dispatch, workers)
	for i := range a.queues {
		q := make(chan dispatch, queueSize)
		a.queues[i] = q
		go func() {
			for d := range q {
				a.process(d)
				a.inflight.Done()
			}
		}()
	}
}

// enqueue hands a dispatch to its channel's queue, waiting when the queue
// is full (the gateway reader then slows down; nothing is dropped).
func (a *Adapter) enqueue(d dispatch) {
	a.stopMu.RLock()
	if a.stopped || a.queues == nil {
		a.stopMu.RUnlock()
		a.log.Warn("discord: event after shutdown ignored", "type", d.Type, "seq", d.Seq)
		return
	}
	a.inflight.Add(1)
	h := fnv.New32a()
	h.Write([]byte(dispatchChannel(d)))
	q := a.queues[h.Sum32()%uint32(len(a.queues))]
	a.stopMu.RUnlock()
	q <- d
}

// stopWorkers waits (up to closeTimeout) for the events and interactions
// received so far, then stops the queues.
func (a *Adapter) stopWorkers() {
	a.stopMu.Lock()
	a.stopped = true
	a.stopMu.Unlock()
	done := make(chan struct{})
	go func() {
		a.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		for _, q := range a.queues {
			close(q)
		}
	case <-time.After(closeTimeout):
		a.log.Error("discord: events still being handled at shutdown")
	}
}

// process translates a dispatch and hands its events to the core.
func (a *Adapter) process(d dispatch) {
	ctx := a.work
	for _, ev := range a.tr.translate(ctx, d) {
		reply, err := a.handle(ctx, ev)
		if err != nil {
			a.log.Error("discord: event not applied", "type", d.Type, "id", bot.MetaOf(ev).ID, "err", err)
			continue
		}
		if reply != nil {
			// Outside interactions Discord has no private replies: a
			// direct message is the private channel.
			if u := causedBy(ev); u != "" {
				if err := a.Direct(ctx, bot.MetaOf(ev).Workspace, u, *reply); err != nil {
					a.log.Warn("discord: private reply not delivered", "user", u, "err", err)
				}
			}
		}
	}
}

// handle calls the core, retrying a failed call (nothing was committed).
func (a *Adapter) handle(ctx context.Context, ev bot.Event) (bot.Reply, error) {
	wait := a.retryWait
	for attempt := 1; ; attempt++ {
		hctx, cancel := context.WithTimeout(ctx, handleTimeout)
		reply, err := a.h.Handle(hctx, ev)
		cancel()
		if err == nil || attempt == handleAttempts {
			return reply, err
		}
		a.log.Warn("discord: handling an event failed; retrying", "id", bot.MetaOf(ev).ID, "err", err)
		if !sleep(ctx, wait) {
			return nil, err
		}
		wait *= 4
	}
}

// causedBy returns who a reply to an event is for.
func causedBy(ev bot.Event) string {
	switch e := ev.(type) {
	case *bot.MessagePosted:
		return e.Author.ID
	case *bot.MessageEdited:
		return e.Author.ID
	case *bot.ReactionAdded:
		return e.User.ID
	case *bot.ReactionRemoved:
		return e.User.ID
	case *bot.CommandInvoked:
		return e.User.ID
	case *bot.SaveAsTip:
		return e.User.ID
	}
	return ""
}

// sleep waits d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// appIDFromToken reads the bot's user id from the first part of a token
// (base64 of the id); for applications created since 2019 it is also the
// application id.
func appIDFromToken(token string) string {
	first, _, _ := strings.Cut(token, ".")
	first = strings.TrimRight(first, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(first); err == nil && len(b) >= 15 && idValue(string(b)) != "" {
			return string(b)
		}
	}
	return ""
}

var libraryLogs sync.Once

// routeLibraryLogs sends discordgo's own log lines (errors only) to slog's
// default logger instead of the standard log package.
func routeLibraryLogs() {
	libraryLogs.Do(func() {
		discordgo.Logger = func(level, _ int, format string, args ...any) {
			slog.Default().Log(context.Background(), slog.LevelError, "discordgo: "+fmt.Sprintf(format, args...))
		}
	})
}
