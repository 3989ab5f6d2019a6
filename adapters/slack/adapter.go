package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// Handler applies one event and returns the private reply for the person
// who caused it. *bot.Bot satisfies it.
type Handler interface {
	Handle(ctx context.Context, ev bot.Event) (bot.Reply, error)
}

// The connection modes of Config.Mode.
const (
	ModeSocket = "socket"
	ModeHTTP   = "http"
)

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Config is what an Adapter needs.
type Config struct {
	// Mode is "socket" (default: Socket Mode with AppToken) or "http"
	// (Events API, commands and interactivity on HTTPHandler, checked
	// with SigningSecret).
	Mode          string
	BotToken      string // xoxb-…, always needed
	AppToken      string // xapp-…, Socket Mode
	SigningSecret string // HTTP mode
	// APIURL is the Web API base (default https://slack.com/api/); Socket
	// Mode connections are opened through it too.
	APIURL string
	// CaptureReaction is the emoji that captures a message as a tip
	// (capture.reaction.slack, default Spec's): for it the adapter
	// fetches the reacted message's text.
	CaptureReaction string
	// Locale ("en" default, or "fr") is the language of the adapter's own
	// few messages ("not saved: tipbot is busy", "that did not work").
	Locale string
	Logger *slog.Logger
	// Now is the clock that request signatures are checked against; nil
	// means time.Now.
	Now func() time.Time
	// OnRateLimit, when set, is told of every 429 waited out (for metrics).
	OnRateLimit func(wait time.Duration)

	// Installations, when set, keeps the workspaces installed with "Add to
	// Slack": the adapter serves each with its own bot token (teams.go).
	Installations InstallStore
	// ClientID and ClientSecret are the app's OAuth credentials: with them
	// and PublicURL, OAuthHandler serves "Add to Slack" (oauth.go), and
	// BotToken may be empty.
	ClientID     string
	ClientSecret string
	// PublicURL is tipbot's address as browsers reach it (http.public_url):
	// the OAuth redirect is PublicURL + /slack/oauth_redirect.
	PublicURL string
}

// Adapter connects one Slack workspace (one bot token) to the core. It
// implements bot.Chat for the core's outbound messages.
type Adapter struct {
	cfg     Config
	h       Handler
	api     *slackapi.Client
	log     *slog.Logger
	now     func() time.Time
	texts   texts
	capture string

	limits  *limits
	msgs    *ageLRU[bot.MessageInfo]
	links   *expirable.LRU[string, string]
	dms     *expirable.LRU[string, string]
	members *ageLRU[int]
	hooks   *http.Client // response_url posts

	people people       // the directory's lookups and listings
	chans  channelQueue // the directory of channels' lookups

	lanes lanes   // events of one channel, in order
	tasks tracker // everything started and not finished

	self        atomic.Pointer[identity] // bot_token's workspace
	httpClient  *http.Client
	teamsMu     sync.RWMutex
	teams       map[string]*installedTeam // installed workspaces by team id
	ignored     sync.Map                  // team ids whose events were ignored (logged once)
	defaultGone atomic.Bool               // bot_token's workspace uninstalled the app
	states      *states                   // OAuth states issued and used
	connected   atomic.Bool
	rateLimited atomic.Int64 // 429s met, for tests and logs
	listings    atomic.Int64 // users.list listings started, for tests

	// Knobs that tests turn; New sets Slack's values.
	ackDeadline  time.Duration // commands are acknowledged within this of their arrival
	eventTimeout time.Duration // longest a core Handle may take
	fetchTimeout time.Duration // longest the reading of a reacted message may take
	lookupPace   gcra          // users.info calls (Tier 4)
	listPace     gcra          // users.list pages (Tier 2)
	pingInterval time.Duration // Socket Mode: reconnect when Slack has not pinged for this long
	retryWait    time.Duration // first wait before retrying a call that failed on the way (doubles)
}

// identity is who the bot is in its workspace (auth.test).
type identity struct {
	TeamID, UserID, BotID, Name, URL string
}

// New checks the configuration and returns an Adapter; nothing is
// connected before Run. It fails when a token or secret the mode needs is
// missing, or when the mode or API URL is invalid.
func New(cfg Config, h Handler) (*Adapter, error) {
	if h == nil {
		return nil, errors.New("slack: no handler")
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeSocket
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if err := bot.SettingsError("slack", cfg.Validate()); err != nil {
		return nil, err
	}
	if cfg.ClientID != "" && cfg.PublicURL == "" {
		return nil, errors.New("slack: client_id needs http.public_url")
	}
	if cfg.Locale == "" {
		cfg.Locale = "en"
	}
	tx, ok := catalog[cfg.Locale]
	if !ok {
		return nil, fmt.Errorf("slack: locale %q: want en or fr", cfg.Locale)
	}
	if cfg.CaptureReaction == "" {
		cfg.CaptureReaction = Spec().CaptureReaction
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	a := &Adapter{
		cfg:          cfg,
		h:            h,
		log:          log,
		now:          now,
		texts:        tx,
		capture:      foldEmoji(cfg.CaptureReaction),
		limits:       newLimits(defaultChannelInterval, defaultWorkspaceRate, defaultWorkspaceBurst),
		msgs:         newAgeLRU[bot.MessageInfo](5000, 24*time.Hour),
		links:        expirable.NewLRU[string, string](20000, nil, 0),
		dms:          expirable.NewLRU[string, string](10000, nil, 0),
		members:      newAgeLRU[int](1000, 10*time.Minute),
		hooks:        &http.Client{Timeout: 10 * time.Second},
		httpClient:   &http.Client{Timeout: 30 * time.Second},
		teams:        map[string]*installedTeam{},
		states:       newStates(),
		people:       newPeople(),
		chans:        newChannelQueue(),
		ackDeadline:  2 * time.Second,
		eventTimeout: time.Minute,
		fetchTimeout: 10 * time.Second,
		pingInterval: 30 * time.Second,
		retryWait:    200 * time.Millisecond,
		lookupPace:   gcra{interval: lookupInterval, tolerance: lookupBurst * lookupInterval},
		listPace:     gcra{interval: listInterval, tolerance: listBurst * listInterval},
	}
	a.lanes.tasks = &a.tasks
	opts := []slackapi.Option{
		slackapi.OptionAPIURL(cfg.APIURL),
		slackapi.OptionHTTPClient(a.httpClient),
	}
	if cfg.Mode == ModeSocket {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	a.api = slackapi.New(cfg.BotToken, opts...)
	return a, nil
}

// Run connects and serves until ctx ends, then waits for the events in
// progress. In socket mode it opens the Socket Mode connection and keeps it
// up (reconnecting on disconnect requests, dropped connections and missing
// pings); in http mode it checks the bot token (auth.test) and waits, the
// events arriving on HTTPHandler. It returns an error when Slack refuses
// the tokens.
func (a *Adapter) Run(ctx context.Context) error {
	defer a.tasks.Wait()
	if err := a.loadInstallations(ctx); err != nil {
		return err
	}
	// The directory's loops stop when Run does.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if a.cfg.BotToken != "" {
		if err := a.identify(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	a.tasks.Go(func() { a.resolveLoop(ctx) })
	a.tasks.Go(func() { a.channelLoop(ctx) })
	if d, ok := a.h.(directory); ok && a.cfg.BotToken != "" {
		// Read now, so that whether the directory needs listing is known
		// once Run has connected.
		ws := bot.Workspace{Platform: Platform, ID: a.self.Load().TeamID}
		at, err := d.DirectoryListedAt(ctx, ws)
		a.tasks.Go(func() { a.keepDirectory(ctx, d, ws, at, err) })
	}
	if a.cfg.Mode == ModeHTTP {
		a.connected.Store(true)
		<-ctx.Done()
		a.connected.Store(false)
		return nil
	}
	return a.runSocket(ctx)
}

// Connected reports whether Slack is reachable: in socket mode, whether the
// Socket Mode connection is up; in http mode, whether the bot token was
// accepted.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// fatalAuth lists auth.test and apps.connections.open errors that no retry
// will fix.
var fatalAuth = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "not_allowed_token_type": true,
}

// identify learns who the bot is (auth.test), retrying while Slack cannot
// be reached; it fails at once when the token is refused.
func (a *Adapter) identify(ctx context.Context) error {
	backoff := time.Second
	for {
		var res *slackapi.AuthTestResponse
		err := a.call(ctx, "auth.test", "", func(ctx context.Context) (err error) {
			res, err = a.api.AuthTestContext(ctx)
			return err
		})
		if err == nil {
			id := &identity{TeamID: res.TeamID, UserID: res.UserID, BotID: res.BotID, Name: res.User, URL: res.URL}
			a.self.Store(id)
			a.log.Info("slack: authenticated", "team", id.TeamID, "bot_user", id.UserID, "mode", a.cfg.Mode)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok && fatalAuth[se.Err] {
			return fmt.Errorf("slack: bot token refused by %s: %s", a.cfg.APIURL, se.Err)
		}
		if sc, ok := errors.AsType[slackapi.StatusCodeError](err); ok && sc.Code == http.StatusNotFound {
			return fmt.Errorf("slack: auth.test: %s answered 404: is api_url right?", a.cfg.APIURL)
		}
		a.log.Warn("slack: cannot reach Slack, retrying", "err", err, "in", backoff)
		if err := sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// lanes runs functions one after the other per key, and different keys in
// parallel, so that the events of one channel reach the core in the order
// Slack sent them.
type lanes struct {
	mu     sync.Mutex
	queues map[string][]func()
	tasks  *tracker
}

func (l *lanes) do(key string, fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.queues == nil {
		l.queues = map[string][]func(){}
	}
	q, running := l.queues[key]
	l.queues[key] = append(q, fn)
	if !running {
		l.tasks.Go(func() { l.drain(key) })
	}
}

// run is do for a caller that may wait: when the key's lane is idle, fn
// runs at once in the caller's goroutine (counted by the tracker), saving
// two goroutine hand-offs per event; functions of the key queued
// meanwhile are then drained as do would.
func (l *lanes) run(key string, fn func()) {
	l.mu.Lock()
	if l.queues == nil {
		l.queues = map[string][]func(){}
	}
	if q, running := l.queues[key]; running {
		l.queues[key] = append(q, fn)
		l.mu.Unlock()
		return
	}
	l.queues[key] = nil // running
	l.mu.Unlock()
	l.tasks.Do(fn)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queues[key]) == 0 {
		delete(l.queues, key)
		return
	}
	l.tasks.Go(func() { l.drain(key) })
}

func (l *lanes) drain(key string) {
	for {
		l.mu.Lock()
		q := l.queues[key]
		if len(q) == 0 {
			delete(l.queues, key)
			l.mu.Unlock()
			return
		}
		fn := q[0]
		q[0] = nil
		l.queues[key] = q[1:]
		l.mu.Unlock()
		fn()
	}
}

// tracker counts goroutines in flight so that Run can wait for them. Unlike
// a sync.WaitGroup it may gain new goroutines while someone waits.
type tracker struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

// Go runs fn in a new goroutine, counted until it returns.
func (t *tracker) Go(fn func()) {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
	go func() {
		defer t.done()
		fn()
	}()
}

// Do runs fn in the caller's goroutine, counted until it returns.
func (t *tracker) Do(fn func()) {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
	defer t.done()
	fn()
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 && t.zero != nil {
		t.zero.Broadcast()
	}
}

// Wait blocks until no goroutine started by Go is running.
func (t *tracker) Wait() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.zero == nil {
		t.zero = sync.NewCond(&t.mu)
	}
	for t.n > 0 {
		t.zero.Wait()
	}
}
