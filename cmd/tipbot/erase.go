package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// errNotConfirmed means the person did not confirm an erasure.
var errNotConfirmed = errors.New("erase-workspace: not confirmed; nothing erased")

func cmdEraseWorkspace(ctx context.Context, e *env, args []string) (err error) {
	fs := e.flags("erase-workspace")
	configPath := configFlag(fs)
	dbPath := dbFlag(fs)
	id := fs.String("workspace", "", "erase the workspace `ID` (e.g. T0123, slack:T0123, 1234567890, local)")
	yes := fs.Bool("yes", false, "erase without asking for confirmation")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		fmt.Fprintln(e.stderr, "tipbot erase-workspace: -workspace ID is required")
		fs.Usage()
		return errUsage
	}
	if !*yes && !isTerminal(e.stdin) {
		return errors.New("erase-workspace: standard input is not a terminal: pass -yes to erase without confirmation")
	}
	db, err := e.openForErasing(*configPath, *dbPath)
	if err != nil {
		return err
	}
	defer closeKeeping(db, &err)
	all, err := db.Workspaces(ctx)
	if err != nil {
		return err
	}
	wss, err := selectWorkspaces(all, *id, db.Path())
	if err != nil {
		// A workspace with nothing but an installation has no data
		// bucket: "platform:id" still names it.
		ws, perr := bot.ParseWorkspace(*id)
		if perr != nil || !strings.Contains(*id, ":") {
			return fmt.Errorf("erase-workspace: %w", err)
		}
		wss = []bot.Workspace{ws}
	}
	if len(wss) > 1 {
		names := make([]string, len(wss))
		for i, ws := range wss {
			names[i] = ws.Key()
		}
		return fmt.Errorf("erase-workspace: %q names %d workspaces (%s): name one as platform:id", *id, len(wss), strings.Join(names, ", "))
	}
	ws := wss[0]
	if !*yes {
		fmt.Fprintf(e.stderr, "Erase everything of workspace %s from %s (tips, votes, sessions, schedules, outbox, installation)?\n"+
			"This cannot be undone. Type the workspace id (%s) to confirm: ", workspaceName(ws), db.Path(), ws.ID)
		line, rerr := bufio.NewReader(e.stdin).ReadString('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return fmt.Errorf("erase-workspace: %w", rerr)
		}
		if got := strings.TrimSpace(line); got != ws.ID && got != ws.Key() {
			return errNotConfirmed
		}
	}
	erased, err := db.EraseWorkspace(ctx, ws)
	if err != nil {
		return fmt.Errorf("erase-workspace: %w", err)
	}
	if len(erased) == 0 {
		fmt.Fprintf(e.stdout, "workspace %s had no data; nothing erased\n", workspaceName(ws))
		return nil
	}
	fmt.Fprintf(e.stdout, "erased workspace %s:\n", workspaceName(ws))
	for _, t := range erased {
		fmt.Fprintf(e.stdout, "  %-32s %d\n", t.What, t.N)
	}
	return nil
}

// isTerminal reports whether r is an interactive terminal: a character
// device, or a reader that says so (tests).
func isTerminal(r io.Reader) bool {
	switch r := r.(type) {
	case interface{ Terminal() bool }:
		return r.Terminal()
	case *os.File:
		fi, err := r.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return false
}

// openForErasing opens the database named by -db, or by the configuration's
// store.path, for writing; it is never created. A running tipbot keeps the
// file locked: it must be stopped first.
func (e *env) openForErasing(configPath, dbPath string) (*store.DB, error) {
	if dbPath == "" {
		cfg, err := e.loadConfig(configPath)
		if err != nil {
			return nil, err
		}
		dbPath = cfg.Store.Path
	}
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s (name the file with -db FILE)", dbPath)
	} else if err != nil {
		return nil, err
	}
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("erase-workspace: %w (stop tipbot first: erasing needs the file to itself)", err)
	}
	return db, nil
}
