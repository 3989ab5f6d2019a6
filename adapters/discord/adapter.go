// Package discord connects tipbot to Discord with discordgo: it reads the
// gateway (messages, edits, deletions, reactions, interactions), registers
// tipbot's application commands (/tip, /tips, /tips-admin and the message
// context-menu command "Save as tip"), turns what it receives into core
// events for a Handler, and carries the core's messages out (bot.Chat).
//
// A guild is a workspace (bot.Workspace{Platform: Platform, ID: guild
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
	"github.com/hashicorp/golang-lru/v2/expirable"

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
	// CaptureReaction is the core's capture emoji for Discord (default
	// 🔖): only a reaction with it on a message the adapter has not seen
	// makes the adapter fetch that message.
	CaptureReaction string
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
	queueWarn      = 10_000           // events waiting in one queue before a warning is logged
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
	gw  *gatewaySwitch

	// deferAfter is how long an interaction waits for the core before
	// answering "thinking..." (Discord allows 3 s for the first answer).
	deferAfter time.Duration
	// retryWait is the first wait before retrying a failed Handle or REST
	// call (doubled each time).
	retryWait time.Duration

	mu        sync.Mutex
	appID     string          // the application id (= the bot's user id for current apps)
	self      string          // the bot's user id, once Run knows it
	gwSession string          // current gateway session id
	resumeURL string          // READY's resume_gateway_url
	noContent bool            // the message content intent was refused
	removed   map[string]bool // guilds tipbot was removed from (GUILD_DELETE)
	// noticed is the UTC day (2006-01-02) each guild's admins were last
	// told that the message content intent is missing.
	noticed map[string]string

	connected    atomic.Bool
	disconnected chan struct{}

	queues   []*eventQueue
	stopMu   sync.RWMutex
	stopped  bool
	inflight sync.WaitGroup
	work     context.Context // context of Handle calls: not cancelled at shutdown
	gaps     chan []string   // guilds to catch up on after a session that could not be resumed

	dmChannels   *expirable.LRU[string, string]     // user id → DM channel id
	interactions *expirable.LRU[string, struct{}]   // interactions received, to skip replays
	seen         *expirable.LRU[string, bot.Member] // guild/user → as last sent to the directory
	sightings    sightings                          // members seen, not yet sent
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
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if err := bot.SettingsError("discord", cfg.Validate()); err != nil {
		return nil, err
	}
	var base *url.URL
	if u, err := url.Parse(cfg.APIURL); err == nil && (!strings.EqualFold(u.Hostname(), "discord.com") || strings.Trim(u.Path, "/") != "") {
		base = u
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
	gw := &gatewaySwitch{}
	s.Client = &http.Client{Transport: newRewriter(base, newPacer(globalRate, globalBurst), http.DefaultTransport)}
	s.Dialer = gw.newDialer()
	s.ShouldReconnectOnError = false // Run reconnects, so it sees close codes such as 4014
	s.SyncEvents = true              // dispatches reach onDispatch in gateway order
	s.Identify.Intents = intents
	s.Identify.Compress = false
	s.LogLevel = discordgo.LogInformational // routeLibraryLogs drops all but errors and op 9

	a := &Adapter{
		gw:           gw,
		cfg:          cfg,
		h:            h,
		gaps:         make(chan []string, 16),
		log:          log,
		s:            s,
		deferAfter:   1500 * time.Millisecond,
		retryWait:    200 * time.Millisecond,
		appID:        appIDFromToken(token),
		disconnected: make(chan struct{}, 1),
		dmChannels:   expirable.NewLRU[string, string](10_000, nil, 0),
		interactions: expirable.NewLRU[string, struct{}](10_000, nil, 0),
		seen:         expirable.NewLRU[string, bot.Member](maxSeenMembers, nil, 0),
	}
	a.dir = newLiveDirectory(s, log)
	a.tr = &translator{dir: a.dir, capture: cfg.CaptureReaction, member: a.sightings.add}
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

// Run connects to the gateway, registers the application commands (beside
// the gateway: see registerCommands) and serves events until ctx ends; then it closes the gateway, lets the events
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
	// Registration runs beside the gateway: a slow or rate-limited
	// registration never delays connecting, reconnecting or stopping. So
	// does the heartbeat watchdog.
	var beside sync.WaitGroup
	defer beside.Wait()
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	beside.Go(func() { a.registerCommands(bctx) })
	beside.Go(func() { a.watchHeartbeats(bctx) })
	beside.Go(func() { a.catchUpAfterGaps(bctx) })
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
		a.mu.Lock()
		session, resumeURL := a.gwSession, a.resumeURL
		a.mu.Unlock()
		if session == "" {
			// an identify: the default gateway, within session_start_limit
			a.gw.want("")
			if !a.waitSessionStart(ctx) {
				return ctx.Err()
			}
		} else {
			a.gw.want(resumeURL) // discordgo resumes once it has a session
		}
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
	a.gw.ending.Store(true) // this close ends the session, as it should
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

// HealthNote returns what /healthz should say beyond "connected": that the
// Message Content intent is missing, or "".
func (a *Adapter) HealthNote() string {
	if a.MessageContent() {
		return ""
	}
	return "message content intent missing: prefixes, hashtags and 🔖 on ordinary messages capture nothing (see docs/discord.md)"
}

// contentNotice reports whether an admin's command answer should carry
// the notice that the Message Content intent is missing: always for help,
// else for the first admin command of the day in the guild.
func (a *Adapter) contentNotice(ev bot.Event, now time.Time) bool {
	c, ok := ev.(*bot.CommandInvoked)
	if !ok || c.Name != cmdTips || !c.User.Admin {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.noContent {
		return false
	}
	day, guild := now.UTC().Format(time.DateOnly), c.Workspace.ID
	first := a.noticed[guild] != day
	if a.noticed == nil {
		a.noticed = map[string]string{}
	}
	a.noticed[guild] = day
	return first || c.Text == "help" || strings.HasPrefix(c.Text, "help ")
}

// registerCommands bulk-overwrites tipbot's commands in each configured
// guild, or globally. With guilds configured, global commands left by an
// earlier global registration are removed, so commands do not show twice.
// It runs on its own goroutine: a 429 is waited out here, with ctx
// (discordgo's own wait, which ignores ctx, is turned off for these
// calls), and network errors and 5xx answers are retried later with
// backoff. Refusals are logged: events still work without commands.
func (a *Adapter) registerCommands(ctx context.Context) {
	a.mu.Lock()
	app := a.appID
	a.mu.Unlock()
	cmds := applicationCommands()
	pending := a.cfg.GuildIDs
	if len(pending) == 0 {
		pending = []string{""}
	}
	wait := time.Second
	for len(pending) > 0 {
		var again []string
		var after time.Duration
		for _, g := range pending {
			_, err := a.s.ApplicationCommandBulkOverwrite(app, g, cmds, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
			where := "globally (Discord may take up to an hour to show them)"
			if g != "" {
				where = "in guild " + g
			}
			var rl *discordgo.RateLimitError
			switch {
			case err == nil:
				a.log.Info("discord: commands registered " + where)
			case ctx.Err() != nil:
				return
			case errors.As(err, &rl):
				again, after = append(again, g), max(after, rl.RetryAfter)
				if f := a.cfg.OnRateLimit; f != nil {
					f(rl.RetryAfter)
				}
			case transient(err):
				again = append(again, g)
				a.log.Warn("discord: registering commands failed "+where+"; retrying later", "err", err)
			default:
				a.log.Error("discord: registering commands failed "+where+"; was the bot invited with the applications.commands scope?", "err", err)
			}
		}
		if len(again) == 0 {
			break
		}
		d := max(after, wait)
		wait = min(2*wait, maxBackoff)
		a.log.Info("discord: command registration postponed", "guilds", len(again), "in", d)
		if !sleep(ctx, d) {
			return
		}
		pending = again
	}
	if len(a.cfg.GuildIDs) == 0 {
		return
	}
	global, err := a.s.ApplicationCommands(app, "", discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
	if err != nil || len(global) == 0 {
		return
	}
	if _, err := a.s.ApplicationCommandBulkOverwrite(app, "", []*discordgo.ApplicationCommand{}, discordgo.WithContext(ctx),
		discordgo.WithRetryOnRatelimit(false)); err != nil {
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
		var r struct {
			ResumeGatewayURL string `json:"resume_gateway_url"`
		}
		_ = json.Unmarshal(e.RawData, &r)
		a.mu.Lock()
		if a.gwSession != "" && a.gwSession != v.SessionID {
			// Not resumed: what Discord sent in between is not replayed,
			// so the core reads the guilds' channels back.
			a.log.Warn("discord: the gateway session could not be resumed; catching up on what was said meanwhile", "old", a.gwSession)
			var guilds []string
			for _, g := range v.Guilds {
				guilds = append(guilds, g.ID)
			}
			select {
			case a.gaps <- guilds:
			default:
				a.log.Warn("discord: a catch-up is already waiting; this gap joins it")
			}
		}
		a.gwSession = v.SessionID
		a.resumeURL = r.ResumeGatewayURL
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
	case *discordgo.GuildDelete:
		// Without "unavailable" the bot was removed from the server (an
		// outage sets it); GUILD_CREATE follows an invitation back, and
		// every connect.
		if v.Guild != nil && v.ID != "" && !v.Unavailable {
			a.setRemoved(v.ID, true)
			a.enqueue(dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: e.Struct})
		}
	case *discordgo.GuildCreate:
		if v.Guild != nil && v.ID != "" {
			a.setRemoved(v.ID, false)
			a.enqueue(dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: snapshot(e.Struct)})
		}
	case *discordgo.ChannelCreate, *discordgo.ChannelUpdate, *discordgo.ChannelDelete,
		*discordgo.ThreadCreate, *discordgo.ThreadUpdate, *discordgo.ThreadDelete:
		a.enqueue(dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: snapshot(e.Struct)})
	case *discordgo.GuildRoleUpdate:
		// @everyone's permissions say which channels everyone sees.
		if v.GuildRole != nil && v.Role != nil && v.Role.ID == v.GuildID {
			a.enqueue(dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: e.Struct})
		}
	case *discordgo.MessageReactionAdd, *discordgo.MessageReactionRemove:
		d := dispatch{Type: e.Type, Seq: e.Sequence, Session: a.session(), Data: e.Struct}
		d.readReactionExtras(e.RawData)
		a.enqueue(d)
	case *discordgo.MessageCreate, *discordgo.MessageUpdate, *discordgo.MessageDelete, *discordgo.MessageDeleteBulk,
		*discordgo.MessageReactionRemoveAll:
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
	case *discordgo.GuildDelete:
		return "guild:" + v.ID
	case *discordgo.GuildCreate:
		return "guild:" + v.ID
	case *discordgo.GuildRoleUpdate:
		return "guild:" + v.GuildID
	}
	if c, ok := channelEvent(d); ok && c != nil {
		// A channel's changes queue with its messages (a thread's
		// messages carry the thread's id), so a thread is known before
		// what is said in it.
		return c.ID
	}
	return ""
}

func (a *Adapter) startWorkers() {
	a.queues = make([]*eventQueue, workers)
	for i := range a.queues {
		q := newEventQueue()
		a.queues[i] = q
		go func() {
			for {
				d, ok := q.pop()
				if !ok {
					return
				}
				a.process(d)
				a.inflight.Done()
			}
		}()
	}
}

// enqueue hands a dispatch to its channel's queue. It never waits: the
// gateway reader also reads interactions and heartbeat acknowledgements,
// which must not queue behind a burst of events.
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
	if n := q.push(d); n == queueWarn {
		a.log.Warn("discord: events are arriving faster than tipbot handles them", "waiting", n, "channel", dispatchChannel(d))
	}
}

// eventQueue is an unbounded FIFO of dispatches for one worker: pushing
// never blocks.
type eventQueue struct {
	mu     sync.Mutex
	items  []dispatch
	wake   chan struct{}
	closed bool
}

func newEventQueue() *eventQueue { return &eventQueue{wake: make(chan struct{}, 1)} }

// push appends d and returns how many dispatches wait.
func (q *eventQueue) push(d dispatch) int {
	q.mu.Lock()
	q.items = append(q.items, d)
	n := len(q.items)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return n
}

// pop waits for the next dispatch; false once the queue is closed and empty.
func (q *eventQueue) pop() (dispatch, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			d := q.items[0]
			q.items[0] = dispatch{}
			q.items = q.items[1:]
			if len(q.items) == 0 {
				q.items = nil // let the backing array go after a burst
			}
			q.mu.Unlock()
			return d, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return dispatch{}, false
		}
		<-q.wake
	}
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
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
			q.close()
		}
	case <-time.After(closeTimeout):
		a.log.Error("discord: events still being handled at shutdown")
	}
}

// Recoverer is what a Handler may also do: catch up on a workspace after
// events were missed (*bot.Bot satisfies it).
type Recoverer interface {
	Recover(ctx context.Context, ws bot.Workspace) (bot.RecoveryCounts, error)
}

// catchUpAfterGaps runs the core's recovery for the guilds of each gateway
// session that could not be resumed, until ctx ends.
func (a *Adapter) catchUpAfterGaps(ctx context.Context) {
	r, ok := a.h.(Recoverer)
	for {
		select {
		case <-ctx.Done():
			return
		case guilds := <-a.gaps:
			if !ok {
				continue
			}
			for _, g := range guilds {
				if _, err := r.Recover(ctx, workspace(g)); err != nil && ctx.Err() == nil {
					a.log.Warn("discord: catching up after a lost session failed", "guild", g, "err", err)
				}
			}
		}
	}
}

// Pauser is what a Handler may also do: pause a workspace tipbot was
// removed from, and resume it (*bot.Bot satisfies it).
type Pauser interface {
	PauseWorkspace(ctx context.Context, ws bot.Workspace, paused bool) error
}

// setRemoved records whether tipbot was removed from a guild: nothing is
// sent to a guild it was removed from (each refusal would count toward
// Discord's invalid-request limit).
func (a *Adapter) setRemoved(guildID string, removed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.removed == nil {
		a.removed = map[string]bool{}
	}
	if removed {
		a.removed[guildID] = true
	} else {
		delete(a.removed, guildID)
	}
}

func (a *Adapter) isRemoved(guildID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.removed[guildID]
}

// guildMembership tells the core the bot was removed from a guild (its
// schedules and digests pause, what was owed it is dropped) or is in it
// (again).
func (a *Adapter) guildMembership(ctx context.Context, guildID string, removed bool) {
	p, ok := a.h.(Pauser)
	if !ok {
		return
	}
	if removed {
		a.log.Warn("discord: tipbot was removed from a server; pausing it", "guild", guildID)
	}
	if err := p.PauseWorkspace(ctx, workspace(guildID), removed); err != nil {
		a.log.Error("discord: pausing or resuming a server failed", "guild", guildID, "removed", removed, "err", err)
	}
}

// process translates a dispatch and hands its events to the core.
func (a *Adapter) process(d dispatch) {
	ctx := a.work
	defer a.noteMembers(ctx)
	switch v := d.Data.(type) {
	case *discordgo.GuildDelete:
		a.guildMembership(ctx, v.ID, true)
		return
	case *discordgo.GuildCreate:
		a.guildMembership(ctx, v.ID, false)
		a.channelsChanged(ctx, d)
		return
	case *discordgo.GuildRoleUpdate:
		a.channelsChanged(ctx, d)
		return
	}
	if _, ok := channelEvent(d); ok {
		a.channelsChanged(ctx, d)
		return
	}
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
// default logger instead of the standard log package, and delays the
// identify discordgo sends after op 9 (see gateway.go).
func routeLibraryLogs() {
	libraryLogs.Do(func() {
		discordgo.Logger = func(level, _ int, format string, args ...any) {
			if format == op9Log {
				// discordgo identifies right after this line: Discord
				// asks for a wait of 1–5 s after op 9 first.
				time.Sleep(identifyDelay())
				return
			}
			if level > discordgo.LogError {
				return
			}
			slog.Default().Log(context.Background(), slog.LevelError, "discordgo: "+fmt.Sprintf(format, args...))
		}
	})
}
