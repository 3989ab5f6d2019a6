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
	// Cron parses schedule expressions (adapters/cron.Parse); without it
	// schedules and the digest are unavailable.
	Cron CronParser
	// Metrics, when set, is told of every event handled.
	Metrics Metrics
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
	cfg        Config
	store      Store
	now        func() time.Time
	log        *slog.Logger
	texts      texts
	mu         sync.RWMutex
	chats      map[Platform]Chat
	deliveries inFlight
	cron       CronParser
	metrics    Metrics
	wake       chan struct{} // pokes the scheduler (Run)
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
	b := &Bot{cfg: cfg, store: o.Store, now: now, log: log, texts: tx, chats: map[Platform]Chat{},
		cron: o.Cron, metrics: o.Metrics, wake: make(chan struct{}, 1)}
	b.deliveries.idle.L = &b.deliveries.mu
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

// inFlight counts background deliveries. Unlike sync.WaitGroup it may be
// waited on while new deliveries start from other goroutines (the
// scheduler), which is what Bot.Wait needs.
type inFlight struct {
	mu   sync.Mutex
	n    int
	idle sync.Cond
}

func (f *inFlight) add() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *inFlight) done() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		f.idle.Broadcast()
	}
	f.mu.Unlock()
}

func (f *inFlight) wait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.n > 0 {
		f.idle.Wait()
	}
}

// Wait blocks until every outbound message started so far (tip posts,
// acknowledgement reactions, hall of fame posts, private thanks) has been
// handed to its Chat. The shell calls it after each line; shutdown calls it
// before closing the store.
func (b *Bot) Wait() { b.deliveries.wait() }
