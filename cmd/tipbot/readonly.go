package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tipbot/tipbot/store"
)

// snapshotTimeout bounds the download of a snapshot from a running tipbot.
const snapshotTimeout = 5 * time.Minute

// readDB is a database opened for reading by export, report and backup,
// with what to remove once it is closed (a downloaded snapshot).
type readDB struct {
	*store.DB
	path string // the file named by -db or store.path
	tmp  string // the snapshot's folder; "" when the file itself is open
}

// Path returns the database file the verb was asked to read, even when it
// reads a snapshot of it.
func (r *readDB) Path() string { return r.path }

// Close closes the database and removes a downloaded snapshot.
func (r *readDB) Close() error {
	err := r.DB.Close()
	if r.tmp != "" {
		if rerr := os.RemoveAll(r.tmp); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// openForReading opens the database named by -db, or by the configuration's
// store.path, read-only: it is never created, migrated or written. A running
// tipbot keeps its file locked; when the file is that of the configuration
// and the configuration sets http.addr and http.admin_token, the verb reads
// a consistent snapshot from that tipbot's GET /admin/backup instead, else
// it says how to get one.
func (e *env) openForReading(ctx context.Context, cfg Config, dbPath string) (*readDB, error) {
	if dbPath == "" {
		dbPath = cfg.Store.Path
	}
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s (run tipbot first, or name the file with -db FILE)", dbPath)
	} else if err != nil {
		return nil, err
	}
	db, err := store.OpenReadOnly(dbPath, store.Options{})
	if err == nil {
		return &readDB{DB: db, path: dbPath}, nil
	}
	if !errors.Is(err, store.ErrInUse) {
		return nil, err
	}
	token := cfg.HTTP.AdminToken.Reveal()
	if cfg.HTTP.Addr == "" || token == "" || !same(dbPath, cfg.Store.Path) {
		return nil, fmt.Errorf("%s is in use by a running tipbot, which keeps it locked. Stop it, or read a consistent copy "+
			"taken while it runs: with http.addr and http.admin_token set, this command fetches one from GET /admin/backup "+
			"itself; or run  curl -fsS -H \"Authorization: Bearer $TIPBOT_ADMIN_TOKEN\" http://HOST:PORT/admin/backup -o backup.db  "+
			"and name the copy with -db backup.db", dbPath)
	}
	return fetchSnapshot(ctx, cfg.HTTP.Addr, token, dbPath)
}

// fetchSnapshot downloads GET /admin/backup from the tipbot serving addr
// into a temporary file and opens that read-only.
func fetchSnapshot(ctx context.Context, addr, token, dbPath string) (*readDB, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("http.addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/admin/backup"
	fail := func(err error) error {
		return fmt.Errorf("%s is in use by a running tipbot, and its snapshot from %s could not be read: %w", dbPath, url, err)
	}
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fail(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(fmt.Errorf("%s (is http.admin_token the one the running tipbot uses?)", resp.Status))
	}
	dir, err := os.MkdirTemp("", "tipbot-snapshot-")
	if err != nil {
		return nil, fail(err)
	}
	path := filepath.Join(dir, "snapshot.db")
	if err := download(path, resp.Body); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fail(err)
	}
	db, err := store.OpenReadOnly(path, store.Options{})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fail(err)
	}
	return &readDB{DB: db, path: dbPath, tmp: dir}, nil
}

func download(path string, body io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
