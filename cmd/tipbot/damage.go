package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tipbot/tipbot/store"
)

// cmdCheck checks the database file (store.CheckFile) and exits 0 only
// when it is sound.
func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := e.flags("check")
	configPath := configFlag(fs)
	dbPath := dbFlag(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	path := *dbPath
	if path == "" {
		cfg, err := e.loadConfig(*configPath)
		if err != nil {
			return err
		}
		path = cfg.Store.Path
	}
	if err := mustExist(path); err != nil {
		return err
	}
	r, err := store.CheckFile(path, store.Options{})
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("%s is in use by a running tipbot, which keeps it locked: stop it to check the file, or check a copy "+
			"(tipbot backup, GET /admin/backup)", path)
	}
	if err != nil {
		return err
	}
	if r.Sound() {
		fmt.Fprintf(e.stdout, "%s is sound: %d pages, %d records checked.\n", path, r.Pages, r.Records)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s is damaged; problems found: %d.\n", path, len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(e.stdout, "  - %s\n", p)
	}
	return fmt.Errorf("%s is damaged. Keep it as it is and do not run tipbot on it; copy what can still be read with "+
		"\"tipbot salvage -db %s -o NEW.db\" and run tipbot on NEW.db (store.path), or restore your latest backup", path, path)
}

// cmdSalvage copies what can still be read of a damaged database into a
// new file and prints what was saved and lost, per bucket.
func cmdSalvage(ctx context.Context, e *env, args []string) error {
	fs := e.flags("salvage")
	dbPath := dbFlag(fs)
	outPath := fs.String("o", "", "the new database `FILE` to write (must not exist)")
	workspace := fs.String("workspace", "", "the workspace `ID` (e.g. slack:T0123) that records cut off from their bucket belong to, when the file no longer tells it")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *dbPath == "" || *outPath == "" {
		fmt.Fprintln(e.stderr, "tipbot salvage: name the damaged file with -db FILE and the new one with -o NEW")
		fs.Usage()
		return errUsage
	}
	if err := mustExist(*dbPath); err != nil {
		return err
	}
	r, err := store.SalvageWith(*dbPath, *outPath, store.SalvageOptions{Workspace: *workspace})
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("%s is in use by a running tipbot: stop it first", *dbPath)
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "bucket\tsaved\tlost records\tdamaged pages\t")
	lostRecords, lostPages := 0, 0
	for _, b := range r.Buckets {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", b.Bucket, b.Saved, b.Undecodable, b.DamagedPages)
		lostRecords += b.Undecodable
		lostPages += b.DamagedPages
	}
	_ = tw.Flush()
	fmt.Fprintf(e.stdout, "\nSaved %d records into %s.", r.Saved, *outPath)
	if lostRecords+lostPages == 0 {
		fmt.Fprintf(e.stdout, " Nothing was lost.\n")
	} else {
		fmt.Fprintf(e.stdout, " Lost: %d records that no longer decode, and what %d damaged pages held.\n", lostRecords, lostPages)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(e.stdout, "Damage met:\n  - %s\n", strings.Join(r.Problems, "\n  - "))
	}
	fmt.Fprintf(e.stdout, "Next: check the copy with \"tipbot check -db %s\", keep %s aside, and run tipbot on %s (store.path).\n",
		*outPath, *dbPath, *outPath)
	return nil
}

func mustExist(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no database at %s (name the file with -db FILE)", path)
	} else if err != nil {
		return err
	}
	return nil
}
