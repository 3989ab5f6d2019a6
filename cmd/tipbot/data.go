package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tipbot/tipbot/adapters/discord"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// openExisting opens the database named by -db, or by the configuration's
// store.path, read-only (see openForReading): reading verbs must not leave
// an empty file behind a typo, nor change the file.
func (e *env) openExisting(ctx context.Context, configPath, dbPath string) (*readDB, error) {
	cfg, err := e.loadConfig(configPath)
	if err != nil {
		if dbPath == "" {
			return nil, err
		}
		// -db names the file: a broken configuration only loses the
		// snapshot fallback.
		if cfg, err = DefaultConfig(e.lookup); err != nil {
			return nil, err
		}
	}
	return e.openForReading(ctx, cfg, dbPath)
}

func cmdExport(ctx context.Context, e *env, args []string) (err error) {
	fs := e.flags("export")
	configPath := configFlag(fs)
	dbPath := dbFlag(fs)
	format := fs.String("format", "", "output `format`: "+strings.Join(bot.ExportFormats, " or ")+" (default jsonl); with -path: "+strings.Join(bot.PathFormats, ", ")+" (default md)")
	workspace := fs.String("workspace", "", "export only this workspace `ID` (e.g. T0123, 1234567890, local); default all")
	path := fs.String("path", "", "write the training path `NAME` as a handout instead of all tips")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *path != "" {
		return exportPath(ctx, e, *configPath, *dbPath, *path, *format, *workspace)
	}
	if *format == "" {
		*format = "jsonl"
	}
	if !slices.Contains(bot.ExportFormats, *format) {
		return fmt.Errorf("export: unknown format %q (want %s)", *format, strings.Join(bot.ExportFormats, " or "))
	}
	db, err := e.openExisting(ctx, *configPath, *dbPath)
	if err != nil {
		return err
	}
	defer closeKeeping(db, &err)
	wss, err := workspacesOf(ctx, db, *workspace)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return bot.Export(ctx, db, wss, *format, e.stdout)
}

// exportPath writes one training path as a handout (tipbot export -path):
// the path of that name in the workspace named, or in the only workspace
// that has one.
func exportPath(ctx context.Context, e *env, configPath, dbPath, name, format, workspace string) (err error) {
	if format == "" {
		format = "md"
	}
	if !slices.Contains(bot.PathFormats, format) {
		return fmt.Errorf("export: unknown format %q for a path (want %s)", format, strings.Join(bot.PathFormats, ", "))
	}
	key, ok := bot.PathName(name)
	if !ok {
		return fmt.Errorf("export: %q cannot be a path name (1 to 32 letters a-z, digits, - or _)", name)
	}
	cfg, err := e.loadConfig(configPath)
	if err != nil {
		if dbPath == "" {
			return err
		}
		if cfg, err = DefaultConfig(e.lookup); err != nil {
			return err
		}
	}
	db, err := e.openForReading(ctx, cfg, dbPath)
	if err != nil {
		return err
	}
	defer closeKeeping(db, &err)
	wss, err := workspacesOf(ctx, db, workspace)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	b, err := bot.New(bot.Options{Config: cfg.Core, Store: db.DB, Now: systemClock, Logger: e.logger(slog.LevelWarn), Platforms: platforms()})
	if err != nil {
		return err
	}
	type found struct {
		ws   bot.Workspace
		p    bot.Path
		tips []bot.Tip
	}
	var hits []found
	for _, ws := range wss {
		p, tips, err := b.PathTips(ctx, ws, key)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("export: %s: %w", workspaceName(ws), err)
		}
		hits = append(hits, found{ws, p, tips})
	}
	switch {
	case len(hits) == 0:
		var known []string
		for _, ws := range wss {
			paths, err := b.Paths(ctx, ws)
			if err != nil {
				return fmt.Errorf("export: %s: %w", workspaceName(ws), err)
			}
			for _, p := range paths {
				known = append(known, p.Name)
			}
		}
		slices.Sort(known)
		list := "none"
		if len(known) > 0 {
			list = strings.Join(slices.Compact(known), ", ")
		}
		return fmt.Errorf("export: no training path %q in %s (paths: %s)", key, db.Path(), list)
	case len(hits) > 1:
		var names []string
		for _, h := range hits {
			names = append(names, workspaceName(h.ws))
		}
		return fmt.Errorf("export: several workspaces have a training path %q (%s): choose one with -workspace ID", key, strings.Join(names, ", "))
	}
	h := hits[0]
	ids := make([]bot.TipID, len(h.tips))
	for i, t := range h.tips {
		ids[i] = t.ID
	}
	inPaths, err := b.TipPaths(ctx, h.ws, ids)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return bot.WritePath(e.stdout, format, h.p, h.tips, bot.Handout{
		Workspace: h.ws, Locale: cfg.Core.Locale, Paths: inPaths, Link: func(t bot.Tip) string { return messageLink(h.ws, t) },
	})
}

// messageLink returns a link to a tip's source message where it can be
// written without asking the platform: Discord's, for a message outside
// threads (one in a thread is reached through the thread, which the tip
// does not always name). Slack's permalinks need the workspace's address,
// which only Slack knows.
func messageLink(ws bot.Workspace, t bot.Tip) string {
	if ws.Platform != discord.Platform || t.MessageID == "" || t.ThreadID != "" {
		return ""
	}
	return "https://discord.com/channels/" + ws.ID + "/" + t.Channel + "/" + t.MessageID
}

// selectWorkspaces returns the workspaces named by id (all of them when id
// is ""): a bare id ("T0123", "local") matches it on any platform,
// "platform:id" only on that platform. No match is an error listing the
// workspaces of the file.
func selectWorkspaces(all []bot.Workspace, id, file string) ([]bot.Workspace, error) {
	if id == "" {
		return all, nil
	}
	var out []bot.Workspace
	for _, ws := range all {
		if ws.ID == id || ws.Key() == id {
			out = append(out, ws)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	known := "none"
	if len(all) > 0 {
		names := make([]string, len(all))
		for i, ws := range all {
			names[i] = workspaceName(ws)
		}
		known = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("no workspace %q in %s (workspaces: %s)", id, file, known)
}

// workspaceName returns "T0123 (slack)".
// workspacesOf lists the workspaces of the database, or the one named by
// id when it is not empty.
func workspacesOf(ctx context.Context, db *readDB, id string) ([]bot.Workspace, error) {
	all, err := db.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	return selectWorkspaces(all, id, db.Path())
}

// closeKeeping closes c as a command ends: deferred as
// closeKeeping(db, &err), it sets the command's error to the close error
// only when the command succeeded.
func closeKeeping(c io.Closer, err *error) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// systemClock is the clock the core reads in production.
func systemClock() time.Time { return time.Now().UTC() }

func workspaceName(ws bot.Workspace) string { return ws.ID + " (" + string(ws.Platform) + ")" }

func cmdBackup(ctx context.Context, e *env, args []string) (err error) {
	fs := e.flags("backup")
	configPath := configFlag(fs)
	dbPath := dbFlag(fs)
	out := fs.String("o", "", "write the copy to `OUT` (\"-\" for standard output)")
	force := fs.Bool("force", false, "overwrite OUT when it exists")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(e.stderr, "tipbot backup: -o OUT is required")
		fs.Usage()
		return errUsage
	}
	if _, err := os.Stat(*out); *out != "-" && err == nil && !*force {
		return fmt.Errorf("backup: %s already exists (add -force to overwrite it)", *out)
	}
	db, err := e.openExisting(ctx, *configPath, *dbPath)
	if err != nil {
		return err
	}
	defer closeKeeping(db, &err)
	if *out == "-" {
		_, err := db.Backup(e.stdout)
		return err
	}
	if same(db.Path(), *out) {
		return fmt.Errorf("backup: %s is the database itself", *out)
	}
	n, err := writeFileAtomic(*out, db.DB)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes)\n", *out, n)
	return nil
}

// same reports whether two paths name the same existing file.
func same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}

// writeFileAtomic writes the backup to a temporary file next to path, syncs
// it and renames it over path, so path is either the old file or a whole
// new copy.
func writeFileAtomic(path string, db *store.DB) (n int64, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if n, err = db.Backup(f); err != nil {
		return 0, err
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
