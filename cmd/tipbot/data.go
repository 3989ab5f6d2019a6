package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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
	format := fs.String("format", "jsonl", "output `format`: "+strings.Join(bot.ExportFormats, " or "))
	workspace := fs.String("workspace", "", "export only this workspace `ID` (e.g. T0123, 1234567890, local); default all")
	if err := e.parse(fs, args); err != nil {
		return err
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
