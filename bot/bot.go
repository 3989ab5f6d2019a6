package bot

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Options are what New needs.
type Options struct {
	Config Config
	Store  Store
	// Now returns the current time. It is required: the core reads the
	// clock only through it.
	Now    func() time.Time
	Logger *slog.Logger
	// Cron parses schedule expressions (cron.Parse); without it
	// schedules and the digest are unavailable.
	Cron CronParser
	// Metrics, when set, is told of every event handled.
	Metrics Metrics
	// Platforms are the platforms whose events the bot handles, as their
	// adapters describe them; events of any other platform are refused.
	Platforms []PlatformSpec
	// Dashboard makes the links /tips dashboard answers with; nil when
	// the dashboard is off (no http.addr).
	Dashboard DashboardLinker
}

// Metrics receives what the core observes, for monitoring.
type Metrics interface {
	// EventHandled reports one Handle call: the event kind ("message",
	// "reaction_added", "command", ...), how long until it was committed,
	// and its error.
	EventHandled(p Platform, kind string, took time.Duration, err error)
}

// Bot is the core: it handles events from every adapter against one store
// and sends messages out through the Chat of each platform.
type Bot struct {
	cfg     Config
	store   Store
	now     func() time.Time
	log     *slog.Logger
	texts   texts
	mu      sync.RWMutex
	chats   map[Platform]Chat
	out     dispatcher    // delivery lanes of the outbox
	seen    activity      // when each channel's activity mark was written
	present presenceCache // the day each person was last known counted seen
	live    touched       // messages whose reactions changed live during a recovery
	cron    CronParser
	metrics Metrics
	wake    chan struct{} // pokes the scheduler (Run)
	// channels remembers the channels the directory knows.
	channels knownChannels
	// platforms are Options.Platforms by name.
	platforms map[Platform]PlatformSpec
	// dashboard is Options.Dashboard.
	dashboard DashboardLinker
}

// New returns a Bot. It fails when the configuration is unusable (unknown
// locale, missing store).
func New(o Options) (*Bot, error) {
	if o.Store == nil {
		return nil, errors.New("bot: no store")
	}
	cfg := o.Config
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	tx, ok := catalog[cfg.Locale]
	if !ok {
		return nil, fmt.Errorf("bot: unknown locale %q (want en or fr)", cfg.Locale)
	}
	now := o.Now
	if now == nil {
		return nil, errors.New("bot: no clock (Options.Now)")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ps, err := platformSet(o.Platforms)
	if err != nil {
		return nil, err
	}
	b := &Bot{cfg: cfg, store: o.Store, now: now, log: log, texts: tx, chats: map[Platform]Chat{},
		cron: o.Cron, metrics: o.Metrics, wake: make(chan struct{}, 1), platforms: ps, dashboard: o.Dashboard}
	b.out.init()
	return b, nil
}

// Attach sets the outbound chat of a platform. Call it before events of that
// platform are handled.
func (b *Bot) Attach(p Platform, c Chat) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.chats[p] = c
}

func (b *Bot) chat(p Platform) Chat {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.chats[p]
}
