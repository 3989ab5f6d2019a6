// Package store keeps tipbot's data in one bbolt file and implements the
// core's storage port (bot.Store, bot.ReadTx, bot.Tx).
//
// # Bucket tree
//
// Every key of a workspace lives under that workspace's bucket, so a
// transaction bound to one workspace cannot reach another's data. Numeric
// keys are big-endian; "str" in a key is a uvarint length then the bytes,
// so composite keys cannot be confused; ^n is the bitwise complement, used
// to sort larger numbers first.
//
//	meta/
//	  schema                         → uint32 schema version (migrations)
//	ws/
//	  <platform:id>/                 one bucket per bot.Workspace.Key()
//	    tips/      id(8)                       → tip record (format byte, then fields)
//	    msgs/      str(channel) messageID      → tip id(8)
//	    authors/   str(author) id(8)           → ""
//	    votes/     tip id(8) voter             → emoji set (str each)
//	    pending/   str(channel) str(msg) voter → emoji set
//	    persons/   person id                   → person record
//	    counters/  name                        → int64(8)
//	    records/   <kind>/ key                 → opaque value
//	    events/    <slot(8)>/ event id         → ""   (slot = 12 hours of MarkEvent's time)
//	    boards/
//	      t<period>/  tips of a week or month (others: see below):
//	          0x00                      → tip count(8)
//	          ^votes(4) id(8)           → ""   most useful first, then lower id
//	      'a' str(period)               authors of the period,
//	      'c' str(period)               topics of the period,
//	      'x' str(topic)                experts of the topic (all time), each:
//	                                    → member count (uvarint)
//	      ... shard(4)                  → members in rank order: votes, tips,
//	                                      str(member); order (votes, tips),
//	                                      topics (tips, votes), larger first
//	    terms/
//	      str(term)                     → posting count (uvarint)
//	      str(term) ^minID(8)           → block: the other ids, increasing, as uvarint gaps
//	    channels/  str(channel) created(8) id(8) → ""   (created: Unix seconds, sign bit flipped)
//	    people/    person id                   → directory entry (format, flags, name, locale)
//
// Only ranked tips (bot.Tip.Ranked) appear in boards and terms; every
// ranked tip counts in the "all" period whether or not its Periods name it.
// A tip whose periods include a month ("m2026-11") has tips-board entries
// in its week and month only: the tips rankings of its quarter, its year
// and all time merge month boards when read, so a vote moves two rank keys
// instead of five. The boards of a quarter, a year and "all" hold only
// the tips no month of theirs implies (schema 3).
// PutTip and DeleteTip keep boards and terms exact by taking out the old
// stored tip's contribution and adding the new one in the same
// transaction; board and counter changes are summed per entry and written
// once per commit (before any read that needs them), so concurrent events
// on the same tip or period cost one write. Member boards are small
// values, about shardMembers members per shard chosen by hash, so that
// the many boards one vote moves dirty few pages; a tips board reads
// about n keys, a member board the first n of each shard. Search postings hold tip ids only, so votes never touch them:
// SearchTips intersects the terms' compressed id lists, rarest first, then
// ranks the matches by reading their votes, or, for many matches, by
// walking the all-time ranking (month boards merged) until enough came up. Events
// live in generation buckets: a slot more than two behind the newest is
// dropped, so ids are remembered at least 24 hours and the bucket does not
// grow forever.
//
// # Writes
//
// One writer goroutine drains the queue of Update calls and runs every
// queued function in a single bbolt transaction, then commits with fsync
// before any caller returns (group commit). A function that fails or
// panics is dropped and the rest of the batch is run again without it, so
// functions may run more than once.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/tipbot/tipbot/bot"
)

// schemaVersion is the layout described in the package comment. Open
// migrates older files and refuses newer ones.
const schemaVersion = 3

// GCPercent is the garbage collection target (runtime/debug.SetGCPercent)
// the tipbot binary runs with unless GOGC is set, and that the ingest
// benchmarks measure with. Every commit allocates short-lived bbolt nodes
// while the live heap stays at a few megabytes (BenchmarkServingHeap), so
// Go's default of 100 collects every few megabytes and takes about a fifth
// of the single writer's time; at 400 the heap still stays far below its
// 64 MB budget.
const GCPercent = 400

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) the
// tipbot binary runs with unless GOMEMLIMIT is set: with GCPercent alone
// the heap may grow to five times the live set between collections; near
// this limit the collector runs sooner, so the process stays small while
// ordinary loads keep GCPercent's pace.
const MemoryLimit = 64 << 20

// maxBatch bounds how many Update calls share one transaction.
const maxBatch = 4096

// ErrClosed is returned by Update and View once Close has been called.
var ErrClosed = errors.New("store: closed")

// ErrReadOnly is returned by Update on a database opened with OpenReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// ErrInUse is returned (wrapped) by OpenReadOnly when a running tipbot
// holds the file: bbolt's writer keeps an exclusive lock on it, so a
// reader cannot open it until that tipbot stops.
var ErrInUse = errors.New("in use by a running tipbot")

var (
	bucketMeta = []byte("meta")
	bucketWS   = []byte("ws")
	keySchema  = []byte("schema")
)

// Options tune Open. The zero value is right for production.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process; 0 means one second.
	Timeout time.Duration
	// NoSync skips fsync on commit. Only for tests: a crash loses data.
	NoSync bool
	// Logger receives panics recovered from Update functions and batch
	// failures; nil discards.
	Logger *slog.Logger
}

// DB is a tipbot database file. It implements bot.Store and is safe for
// concurrent use.
type DB struct {
	bolt *bbolt.DB
	path string
	log  *slog.Logger
	// readOnly: opened with OpenReadOnly; there is no writer.
	readOnly bool

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*request
	closed bool
	done   chan struct{} // closed when the writer has exited

	onCommit atomic.Pointer[func(batch int, took time.Duration)]
}

// OnCommit sets a function told of every successful commit: how many
// Updates it carried and how long it took, fsync included (for metrics).
// It runs on the writer goroutine and must be quick.
func (db *DB) OnCommit(f func(batch int, took time.Duration)) {
	db.onCommit.Store(&f)
}

var _ bot.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path. It fails within
// about Options.Timeout when another process holds the file.
func Open(path string, o Options) (*DB, error) {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      o.Timeout,
		NoSync:       o.NoSync,
		FreelistType: bbolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is locked by another process (is another tipbot running?)", filepath.Base(path))
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := bdb.Update(initSchema); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, log: log, done: make(chan struct{})}
	db.cond = sync.NewCond(&db.mu)
	go db.writer()
	return db, nil
}

// OpenReadOnly opens an existing database for reading only: it never
// creates, migrates or writes the file, and Update returns ErrReadOnly.
// Readers share the file with each other, not with a running tipbot: when
// one holds it, OpenReadOnly fails within about Options.Timeout with an
// error wrapping ErrInUse. A file of an older or newer schema is refused.
func OpenReadOnly(path string, o Options) (*DB, error) {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bdb, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: o.Timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is %w", filepath.Base(path), ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	if err := bdb.View(checkSchema); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	done := make(chan struct{})
	close(done) // no writer
	db := &DB{bolt: bdb, path: path, log: log, done: done, readOnly: true}
	db.cond = sync.NewCond(&db.mu)
	return db, nil
}

// checkSchema accepts a file of exactly this schema, without writing.
func checkSchema(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil || tx.Bucket(bucketWS) == nil {
		return fmt.Errorf("not a tipbot database")
	}
	v := meta.Get(keySchema)
	if len(v) != 4 {
		return fmt.Errorf("bad schema version record")
	}
	got := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
	switch {
	case got > schemaVersion:
		return fmt.Errorf("file schema %d is newer than this tipbot understands (%d)", got, schemaVersion)
	case got < schemaVersion:
		return fmt.Errorf("file schema %d was written by an older tipbot: run this tipbot once on it (tipbot run or tipbot shell) to upgrade it, after a backup", got)
	}
	return nil
}

// initSchema creates the top-level buckets of a new file and checks the
// schema version of an existing one.
func initSchema(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(bucketWS); err != nil {
		return err
	}
	v := meta.Get(keySchema)
	switch {
	case v == nil:
		return meta.Put(keySchema, u32(schemaVersion))
	case len(v) != 4:
		return fmt.Errorf("bad schema version record")
	}
	got := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
	if got > schemaVersion {
		return fmt.Errorf("file schema %d is newer than this tipbot understands (%d)", got, schemaVersion)
	}
	// Migrations from older schemas, one step at a time.
	if got < 2 {
		if err := migrateV1(tx); err != nil {
			return fmt.Errorf("migrate schema 1 to 2: %w", err)
		}
	}
	if got < 3 {
		if err := migrateV2(tx); err != nil {
			return fmt.Errorf("migrate schema 2 to 3: %w", err)
		}
	}
	if got < schemaVersion {
		return meta.Put(keySchema, u32(schemaVersion))
	}
	return nil
}

func u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Close waits for queued and running Updates to finish, then closes the
// file. Later calls return nil.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.cond.Broadcast()
	db.mu.Unlock()
	<-db.done
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Backup writes a consistent snapshot of the whole file to w while the
// database stays in use, and returns the number of bytes written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, wrapBolt("backup", err)
	}
	return n, nil
}

// Check verifies the consistency of the file (pages, freelist, keys) and
// returns the problems found joined in one error, or nil.
func (db *DB) Check() error {
	var errs []error
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		return wrapBolt("check", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("store: check: %w", errors.Join(errs...))
	}
	return nil
}

// Workspaces lists the workspaces that have data, in key order. Keys that
// do not parse are logged and skipped.
func (db *DB) Workspaces(ctx context.Context) ([]bot.Workspace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []bot.Workspace
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketWS).ForEachBucket(func(k []byte) error {
			ws, err := bot.ParseWorkspace(string(k))
			if err != nil {
				db.log.Warn("store: skipping bad workspace key", "key", string(k), "err", err)
				return nil
			}
			out = append(out, ws)
			return nil
		})
	})
	if err != nil {
		return nil, wrapBolt("list workspaces", err)
	}
	return out, nil
}

// View runs fn in a read-only transaction on the workspace. fn must not
// call Update (a long read blocks the writer when the file grows).
func (db *DB) View(ctx context.Context, ws bot.Workspace, fn func(tx bot.ReadTx) error) error {
	key, err := workspaceKey(ws)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = db.bolt.View(func(btx *bbolt.Tx) error {
		return fn(newTx(btx, key, nil))
	})
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

func workspaceKey(ws bot.Workspace) ([]byte, error) {
	got, err := bot.ParseWorkspace(ws.Key())
	if err != nil || got != ws {
		return nil, fmt.Errorf("store: bad workspace %q", ws.Key())
	}
	return []byte(ws.Key()), nil
}

func wrapBolt(what string, err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// Request states: the writer takes a queued request; Update cancels one
// whose context ends before that. Whoever swaps first wins.
const (
	queued int32 = iota
	taken
	cancelled
)

type request struct {
	ws    []byte
	fn    func(bot.Tx) error
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on it
}

// Update runs fn in a read-write transaction on the workspace and returns
// once that transaction is durably committed, or with the error that kept
// it from being committed. fn may run more than once (see the package
// comment). If ctx ends while fn is still queued, Update returns ctx.Err()
// and fn never runs; once fn has started, Update waits for the commit.
func (db *DB) Update(ctx context.Context, ws bot.Workspace, fn func(tx bot.Tx) error) error {
	key, err := workspaceKey(ws)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.readOnly {
		return ErrReadOnly
	}
	r := &request{ws: key, fn: fn, done: make(chan error, 1)}
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return ErrClosed
	}
	db.queue = append(db.queue, r)
	db.cond.Signal()
	db.mu.Unlock()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, cancelled) {
			return ctx.Err()
		}
		return <-r.done
	}
}

// writer drains the queue until Close, one transaction per drain.
func (db *DB) writer() {
	defer close(db.done)
	for {
		db.mu.Lock()
		for len(db.queue) == 0 && !db.closed {
			db.cond.Wait()
		}
		if len(db.queue) == 0 {
			db.mu.Unlock()
			return
		}
		reqs := db.queue
		if len(reqs) > maxBatch {
			reqs, db.queue = reqs[:maxBatch:maxBatch], reqs[maxBatch:]
		} else {
			db.queue = nil
		}
		db.mu.Unlock()
		db.commit(reqs)
	}
}

// errRollback aborts a batch transaction after one of its functions failed.
var errRollback = errors.New("store: batch rollback")

// commit runs the live requests of a batch in one transaction. When a
// function fails, the transaction is rolled back, that caller gets its
// error and the others run again without it.
func (db *DB) commit(reqs []*request) {
	live := make([]*request, 0, len(reqs))
	for _, r := range reqs {
		if r.state.CompareAndSwap(queued, taken) {
			live = append(live, r)
		}
	}
	for len(live) > 0 {
		failed, ferr := -1, error(nil)
		start := time.Now()
		err := db.bolt.Update(func(btx *bbolt.Tx) error {
			b := &batch{}
			for i, r := range live {
				if err := db.run(btx, r, b); err != nil {
					failed, ferr = i, err
					return errRollback
				}
			}
			return b.flush(btx)
		})
		if failed >= 0 {
			live[failed].done <- ferr
			live = append(live[:failed], live[failed+1:]...)
			continue
		}
		if err != nil {
			db.log.Error("store: commit failed", "updates", len(live), "err", err)
			err = wrapBolt("commit", err)
		} else if f := db.onCommit.Load(); f != nil {
			(*f)(len(live), time.Since(start))
		}
		for _, r := range live {
			r.done <- err
		}
		return
	}
}

// run calls one request's function, turning a panic into its error.
func (db *DB) run(btx *bbolt.Tx, r *request, b *batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			db.log.Error("store: update function panicked", "workspace", string(r.ws), "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("store: update panicked: %v", p)
		}
	}()
	return r.fn(newTx(btx, r.ws, b))
}
