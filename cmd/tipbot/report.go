package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/bot"
)

// cmdReport prints the engagement report of each workspace (or of the one
// named by -workspace) for the period containing now, in the configured
// locale and time zone.
func cmdReport(ctx context.Context, e *env, args []string) (err error) {
	fs := e.flags("report")
	configPath := configFlag(fs)
	dbPath := dbFlag(fs)
	period := fs.String("period", "month", "`period`: week, month, quarter, year or all")
	workspace := fs.String("workspace", "", "report only on this workspace `ID` (e.g. T0123, 1234567890, local); default all")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	p, ok := bot.ParsePeriod(*period)
	if !ok {
		return fmt.Errorf("report: unknown period %q (want week, month, quarter, year or all)", *period)
	}
	cfg, err := e.loadConfig(*configPath)
	if err != nil {
		return err
	}
	db, err := e.openForReading(ctx, cfg, *dbPath)
	if err != nil {
		return err
	}
	defer closeKeeping(db, &err)
	wss, err := workspacesOf(ctx, db, *workspace)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(wss) == 0 {
		fmt.Fprintf(e.stdout, "No tips in %s yet.\n", db.Path())
		return nil
	}
	b, err := bot.New(bot.Options{
		Config: cfg.Core,
		Store:  db.DB,
		Now:    systemClock,
		Logger: e.logger(slog.LevelWarn),
		Cron:   cron.Parse,
		// Platforms: the report names people and channels as each writes them.
		Platforms: platforms(),
	})
	if err != nil {
		return err
	}
	for i, ws := range wss {
		m, err := b.Report(ctx, ws, p, "")
		if err != nil {
			return fmt.Errorf("report: %s: %w", workspaceName(ws), err)
		}
		if len(wss) > 1 {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "== %s\n", workspaceName(ws))
		}
		fmt.Fprintln(e.stdout, m.Render(terminalMarkup).Text())
	}
	return nil
}

// terminalMarkup writes the people and channels a report names for a
// terminal: "@id" and "#id" (a shell channel is "#name" already).
var terminalMarkup = bot.Markup{
	Mention: func(id string) string { return "@" + id },
	Channel: func(id string) string {
		if strings.HasPrefix(id, "#") {
			return id
		}
		return "#" + id
	},
}
