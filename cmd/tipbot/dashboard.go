package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tipbot/tipbot/adapters/dashboard"
	"github.com/tipbot/tipbot/bot"
)

// cmdDashboardLink prints a personal dashboard link for a workspace, made
// for the operator (an admin). It does not open the database, which the
// running tipbot locks: it signs with the key file beside it
// (dashboard.KeyPath), which it creates when tipbot has not yet.
func cmdDashboardLink(ctx context.Context, e *env, args []string) error {
	fs := e.flags("dashboard-link")
	configPath := configFlag(fs)
	workspace := fs.String("workspace", "", "the workspace `ID`: local (the shell), a Slack team id, a Discord server id, or platform:id")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *workspace == "" {
		fmt.Fprintln(e.stderr, "tipbot dashboard-link: -workspace is required (local for the shell)")
		fs.Usage()
		return errUsage
	}
	cfg, err := e.loadConfig(*configPath)
	if err != nil {
		return err
	}
	if cfg.HTTP.Addr == "" {
		return errors.New("dashboard-link: the dashboard is served on http.addr, which is not set: set it in the configuration (e.g. http: {addr: \"127.0.0.1:8080\"}) and restart tipbot")
	}
	ws, err := dashboardWorkspace(cfg, *workspace)
	if err != nil {
		return fmt.Errorf("dashboard-link: %w", err)
	}
	key, err := dashboard.LoadKey(dashboard.KeyPath(cfg.Store.Path))
	if err != nil {
		return fmt.Errorf("dashboard-link: %w", err)
	}
	now := systemClock
	if v, ok := e.lookup(fakeNowEnv); ok && v != "" {
		clock, err := newMovableClock(v)
		if err != nil {
			return err
		}
		now = clock.now
	}
	link, expires, err := dashboard.Linker{Key: key, BaseURL: cfg.HTTP.BaseURL(), Now: now}.DashboardLink(ws, "", bot.RoleAdmin)
	if err != nil {
		return fmt.Errorf("dashboard-link: %w", err)
	}
	fmt.Fprintln(e.stdout, link)
	fmt.Fprintf(e.stderr, "tipbot: the link opens %s's dashboard once, until %s; the session lasts %v.\n",
		workspaceName(ws), expires.UTC().Format("2006-01-02 15:04 MST"), dashboard.SessionTTL)
	return nil
}

// dashboardWorkspace reads -workspace: "platform:id", "local" (the
// shell's), or an id of the only platform the configuration enables.
func dashboardWorkspace(cfg Config, id string) (bot.Workspace, error) {
	var names []bot.Platform
	for _, p := range platforms() {
		names = append(names, p.Name)
	}
	if p, rest, ok := strings.Cut(id, ":"); ok {
		if !slices.Contains(names, bot.Platform(p)) || rest == "" {
			return bot.Workspace{}, fmt.Errorf("workspace %q: write it as platform:id with a platform among %v", id, names)
		}
		return bot.Workspace{Platform: bot.Platform(p), ID: rest}, nil
	}
	if id == "local" {
		return bot.Workspace{Platform: bot.Shell, ID: id}, nil
	}
	if enabled := cfg.Adapters(); len(enabled) == 1 {
		return bot.Workspace{Platform: enabled[0], ID: id}, nil
	}
	return bot.Workspace{}, fmt.Errorf("workspace %q: name its platform, e.g. slack:%s or discord:%s", id, id, id)
}
