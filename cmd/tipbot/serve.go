package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/adapters/dashboard"
	"github.com/tipbot/tipbot/adapters/shell"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// shutdownTimeout bounds how long a shutdown waits for adapters to stop and
// outbound messages to be delivered before the store is closed.
const shutdownTimeout = 10 * time.Second

// runner is an adapter as serve runs it.
type runner struct {
	name string
	// run blocks until ctx ends or the adapter stops by itself (the shell
	// at end of input); it returns nil then, or why it failed.
	run func(ctx context.Context) error
}

// startAdapters builds the adapters to run for cfg and attaches each one's
// Chat to the bot. With shellOnly, or when no platform is enabled, it is the
// shell alone, reading e.stdin and writing e.stdout. Adapters are started by
// serve, which calls each runner's run. With a movable clock
// (TIPBOT_FAKE_NOW), the shell's /advance moves it. ops receives the enabled platform
// adapters for /healthz, and Slack's HTTP endpoint in http mode.
func startAdapters(e *env, cfg Config, b *bot.Bot, db *store.DB, log *slog.Logger, shellOnly bool, ops *opsServer, clock *movableClock) ([]runner, error) {
	if shellOnly || len(cfg.Adapters()) == 0 {
		var advance func(context.Context, time.Duration) (time.Time, error)
		if clock != nil {
			advance = func(ctx context.Context, d time.Duration) (time.Time, error) {
				at := clock.advance(d)
				return at, b.TickNow(ctx)
			}
		}
		sh := shell.New(shell.Options{
			Advance: advance,
			Bot:     b,
			Store:   db,
			In:      e.stdin,
			Out:     e.stdout,
			Admins:  cfg.Core.Admins,
			Locale:  cfg.Core.Locale,
			Logger:  log.With("adapter", "shell"),
		})
		b.Attach(bot.Shell, sh)
		return []runner{{name: "shell", run: sh.Run}}, nil
	}
	return startPlatforms(registry(), starting{cfg: cfg, bot: b, db: db, log: log, ops: ops})
}

// serve opens the store, runs the adapters until one of them stops or ctx
// ends, then shuts down: adapters stop, outbound messages are delivered and
// the store is closed, within shutdownTimeout.
func serve(ctx context.Context, e *env, cfg Config, shellOnly bool) (err error) {
	level := slog.LevelInfo
	if shellOnly || len(cfg.Adapters()) == 0 {
		// The shell's output is the chat: only problems go to stderr.
		level = slog.LevelWarn
	}
	log := e.logger(level)
	log.Info("starting", "config", cfg)

	db, err := store.Open(cfg.Store.Path, store.Options{Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = cerr
		}
		log.Info("store closed", "path", cfg.Store.Path)
	}()
	m := newMetrics(db)
	db.OnCommit(m.committed)
	db.OnCommitError(m.commitFailed)
	now := systemClock
	var clock *movableClock
	if v, ok := e.lookup(fakeNowEnv); ok && v != "" {
		if clock, err = newMovableClock(v); err != nil {
			return err
		}
		now = clock.now
		log.Info("the clock is moved: "+fakeNowEnv+" is set (tests only)", "now", clock.now())
	}
	// The dashboard is served on http.addr; its links are signed with the
	// key beside the database, which tipbot dashboard-link shares.
	var linker bot.DashboardLinker
	var key []byte
	if cfg.HTTP.Addr != "" {
		if key, err = dashboard.LoadKey(dashboard.KeyPath(cfg.Store.Path)); err != nil {
			return err
		}
		linker = dashboard.Linker{Key: key, BaseURL: cfg.HTTP.BaseURL(), Now: now}
	}
	b, err := bot.New(bot.Options{
		Config:    cfg.Core,
		Store:     db,
		Now:       now,
		Logger:    log.With("component", "bot"),
		Cron:      cron.Parse,
		Metrics:   m,
		Platforms: platforms(),
		Dashboard: linker,
	})
	if err != nil {
		return err
	}
	ops := &opsServer{db: db, adminToken: cfg.HTTP.AdminToken.Reveal(), adapters: map[string]connector{}, metrics: m, log: log.With("component", "http")}
	if linker != nil {
		ds, err := dashboard.New(dashboard.Options{Bot: b, Key: key, BaseURL: cfg.HTTP.BaseURL(), Logger: log.With("component", "dashboard"), MessageLink: messageLink})
		if err != nil {
			return err
		}
		ops.dashboard = ds.Handler()
	}
	runners, err := startAdapters(e, cfg, b, db, log, shellOnly, ops, clock)
	if err != nil {
		return err
	}
	if cfg.HTTP.Addr != "" {
		h := ops.handler()
		runners = append(runners, runner{name: "http", run: func(ctx context.Context) error { return serveHTTP(ctx, cfg.HTTP.Addr, h, log) }})
	}
	// The scheduler serves the platforms attached above: sessions closing,
	// reminders, scheduled prompts, the digest.
	runners = append(runners, runner{name: "scheduler", run: b.Run})

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(runners))
	for _, r := range runners {
		log.Info("adapter started", "adapter", r.name)
		go func() { results <- result{r.name, r.run(runCtx)} }()
	}

	// The first adapter to stop (or a signal) stops them all.
	var first error
	pending := len(runners)
	select {
	case <-ctx.Done():
		log.Info("shutting down", "cause", context.Cause(ctx))
	case r := <-results:
		pending--
		if r.err != nil {
			first = fmt.Errorf("%s: %w", r.name, r.err)
		}
		log.Info("adapter stopped", "adapter", r.name, "err", r.err)
	}
	stop()

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
wait:
	for ; pending > 0; pending-- {
		select {
		case r := <-results:
			if r.err != nil && !errors.Is(r.err, context.Canceled) {
				log.Error("adapter failed", "adapter", r.name, "err", r.err)
				if first == nil {
					first = fmt.Errorf("%s: %w", r.name, r.err)
				}
			}
		case <-shutdownCtx.Done():
			log.Warn("adapters did not stop in time; closing the store anyway", "timeout", shutdownTimeout)
			break wait
		}
	}
	// Messages owed are sent until the deadline; what is left stays in
	// the outbox and is sent at the next start.
	b.Shutdown(shutdownCtx)
	return first
}
