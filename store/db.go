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
//	    votes/     tip id(8) voter             → emoji set (str each), as last merged
//	    votelog/   record(8)                   → the votes one commit changed: str(vote key) str(emoji set),
//	                                             empty set: removed (merged into votes/ in bulk; see votelog.go)
//	    pending/   str(channel) str(msg) voter → emoji set
//	    persons/   person id                   → person record
//	    counters/  name                        → int64(8)
//	    records/   <kind>/ key                 → opaque value
//	    events/    'L' slot(8)/ record(8)      → event ids (uvarint length, bytes each): one record a commit
//	               <slot(8)>/ event id         → ""   (generations older than the log)
//	               (slot = 12 hours of MarkEvent's time; see events.go)
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
// UpdateBehind's functions, the steps of long jobs, run alone and take
// turns with the batches, so that an event waits behind one step at most.
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
	// CheckBudget is how long Open waits for the integrity check; 0 means
	// the package's CheckBudget.
	CheckBudget time.Duration
	// FailWrite, for tests, is called before each commit; an error it
	// returns fails that commit as a failed write (a full disk) would.
	FailWrite func() error
}

// DB is a tipbot database file. It implements bot.Store and is safe for
// concurrent use.
type DB struct {
	bolt *bbolt.DB
	path string
	log  *slog.Logger
	// readOnly: opened with OpenReadOnly; there is no writer.
	readOnly bool

	mu    sync.Mutex
	cond  *sync.Cond
	queue []*request
	// behind holds UpdateBehind's requests: each runs alone, taking turns
	// with the batches of queue (behindNext: its turn has come).
	behind     []*request
	behindNext bool
	closed     bool
	done       chan struct{} // closed when the writer has exited

	onCommit atomic.Pointer[func(batch int, took time.Duration)]

	// checked is closed when the integrity check of the file has ended;
	// checkStop abandons it (Close).
	checked   chan struct{}
	checkStop atomic.Bool
	// damage is set once damage is seen; from then on writes refuse.
	damage atomic.Pointer[DamageError]
	opened atomic.Bool // Open has returned it: damage found later is logged

	failWrite    func() error
	commitErr    atomic.Pointer[error] // the last commit's error, nil after a good one
	commitErrors atomic.Int64
	onCommitErr  atomic.Pointer[func(err error)]

	// events indexes the event ids of each workspace (see events.go).
	events *eventIndex
	// votes indexes the vote log of each workspace (see votelog.go).
	votes *voteLogs
}

// OnCommit sets a function told of every successful commit: how many
// Updates it carried and how long it took, fsync included (for metrics).
// It runs on the writer goroutine and must be quick.
func (db *DB) OnCommit(f func(batch int, took time.Duration)) {
	db.onCommit.Store(&f)
}

var _ bot.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path. It fails within
// about Options.Timeout when another process holds the file. It checks the
// file first (see Check): damage found within CheckBudget makes it fail
// with a DamageError; the check of a larger file goes on in the background
// and the first write waits for it.
func Open(path string, o Options) (*DB, error) {
	return open(path, o, false)
}

// OpenReadOnly opens an existing database for reading only: it never
// creates, migrates or writes the file, and Update returns ErrReadOnly.
// Readers share the file with each other, not with a running tipbot: when
// one holds it, OpenReadOnly fails within about Options.Timeout with an
// error wrapping ErrInUse. A file of an older or newer schema is refused,
// and so is a damaged file (a DamageError), as Open does.
func OpenReadOnly(path string, o Options) (*DB, error) {
	return open(path, o, true)
}

func open(path string, o Options, readOnly bool) (_ *DB, err error) {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.CheckBudget <= 0 {
		o.CheckBudget = CheckBudget
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := preCheck(path); err != nil {
		return nil, err
	}
	db := &DB{path: path, log: log, readOnly: readOnly, done: make(chan struct{}), checked: make(chan struct{}), failWrite: o.FailWrite,
		events: newEventIndex(), votes: newVoteLogs()}
	db.cond = sync.NewCond(&db.mu)
	err = db.guard(func() error {
		var err error
		if readOnly {
			db.bolt, err = bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: o.Timeout})
		} else {
			db.bolt, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.Timeout, NoSync: o.NoSync, FreelistType: bbolt.FreelistMapType})
		}
		return err
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout) && readOnly:
		return nil, fmt.Errorf("store: %s is %w", filepath.Base(path), ErrInUse)
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("store: %s is locked by another process (is another tipbot running?)", filepath.Base(path))
	case errors.Is(err, ErrDamaged):
		return nil, err
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, &DamageError{Path: path, Detail: err.Error()}
	case err != nil && readOnly:
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			db.checkStop.Store(true)
			<-db.checked
			_ = db.bolt.Close()
		}
	}()
	go db.integrity()
	select {
	case <-db.checked:
	case <-time.After(o.CheckBudget):
		log.Info("store: the integrity check of the file goes on in the background; writes wait for it", "path", path)
	}
	if d := db.damage.Load(); d != nil {
		return nil, d
	}
	if readOnly {
		if err := db.guard(func() error { return db.bolt.View(checkSchema) }); err != nil {
			return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
		}
		close(db.done) // no writer
		db.opened.Store(true)
		return db, nil
	}
	// The schema is written only when the file is new or older: after
	// the whole check, so that a damaged file is never written.
	if err := db.guard(func() error { return db.bolt.View(checkSchema) }); err != nil {
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		<-db.checked
		if d := db.damage.Load(); d != nil {
			return nil, d
		}
		if err := db.guard(func() error { return db.bolt.Update(initSchema) }); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	go db.writer()
	db.opened.Store(true)
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
	db.checkStop.Store(true)
	<-db.checked
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Backup writes a consistent snapshot of the whole file to w while the
// database stays in use, and returns the number of bytes written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, wrapBolt("backup", err)
	}
	return n, nil
}

// Check verifies the consistency of the file: both meta pages, every page
// of the bucket tree read from the file without trusting it, every record
// of a known kind decoded, then bbolt's own check (pages, freelist, key
// order). It returns the problems found joined in one error, or nil.
func (db *DB) Check() error {
	r, err := db.fullCheck()
	if err != nil {
		return wrapBolt("check", err)
	}
	if !r.Sound() {
		return fmt.Errorf("store: check: %w", errors.Join(func() []error {
			var errs []error
			for _, p := range r.Problems {
				errs = append(errs, errors.New(p))
			}
			return errs
		}()...))
	}
	return nil
}

// fullCheck runs checkFile then, when the tree is sound, bbolt's check.
func (db *DB) fullCheck() (Report, error) {
	r, err := checkFile(db.path, &db.checkStop)
	if err != nil || !r.Sound() || db.checkStop.Load() {
		return r, err
	}
	err = db.view(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			r.Problems = append(r.Problems, err.Error())
		}
		return nil
	})
	return r, err
}

// integrity runs the check of Open and records damage; it closes checked.
func (db *DB) integrity() {
	defer close(db.checked)
	r, err := db.fullCheck()
	if err != nil {
		if !errors.Is(err, ErrDamaged) {
			db.log.Warn("store: could not check the file", "path", db.path, "err", err)
		}
		return
	}
	if !r.Sound() && !db.checkStop.Load() {
		db.markDamaged(summary(r.Problems))
	}
}

// markDamaged records damage (the first one seen is kept) and returns it.
func (db *DB) markDamaged(detail string) *DamageError {
	d := &DamageError{Path: db.path, Detail: detail}
	if db.damage.CompareAndSwap(nil, d) && db.opened.Load() {
		db.log.Error("store: the database is damaged; writes are refused from now on", "path", db.path, "damage", detail)
		return d
	}
	return db.damage.Load()
}

// Damage returns the damage seen in the file, or nil.
func (db *DB) Damage() error {
	if d := db.damage.Load(); d != nil {
		return d
	}
	return nil
}

// guard runs fn, turning a panic raised by reading the file (see
// damageFromPanic) into a DamageError and marking the database damaged.
// Memory faults on the mapped file become panics while fn runs. Other
// panics go on.
func (db *DB) guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if !damageFromPanic() {
				panic(p)
			}
			err = db.markDamaged(fmt.Sprintf("reading it failed: %v", p))
		}
	}()
	return fn()
}

// view is bbolt's View under guard.
func (db *DB) view(fn func(*bbolt.Tx) error) error {
	return db.guard(func() error { return db.bolt.View(fn) })
}

// Workspaces lists the workspaces that have data, in key order. Keys that
// do not parse are logged and skipped.
func (db *DB) Workspaces(ctx context.Context) ([]bot.Workspace, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []bot.Workspace
	err := db.view(func(tx *bbolt.Tx) error {
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
	err = db.view(func(btx *bbolt.Tx) error {
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
	return db.enqueue(ctx, ws, fn, false)
}

// UpdateBehind is Update for one step of a long job (forget-me's chunks):
// fn runs in a transaction of its own, never batched with other updates,
// and takes turns with them: while updates are queued, each step waits
// for one batch of them to commit first. So an event waits behind at most
// one step, and no step waits forever. It implements bot.BehindStore.
func (db *DB) UpdateBehind(ctx context.Context, ws bot.Workspace, fn func(tx bot.Tx) error) error {
	return db.enqueue(ctx, ws, fn, true)
}

func (db *DB) enqueue(ctx context.Context, ws bot.Workspace, fn func(tx bot.Tx) error, behind bool) error {
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
	if d := db.damage.Load(); d != nil {
		return d
	}
	r := &request{ws: key, fn: fn, done: make(chan error, 1)}
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return ErrClosed
	}
	if behind {
		db.behind = append(db.behind, r)
	} else {
		db.queue = append(db.queue, r)
	}
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
	<-db.checked // no write before the whole file is checked
	for {
		db.mu.Lock()
		for len(db.queue) == 0 && len(db.behind) == 0 && !db.closed {
			db.cond.Wait()
		}
		if len(db.queue) == 0 && len(db.behind) == 0 {
			db.mu.Unlock()
			db.mergeVotes() // leave the file with its votes in place
			return
		}
		if len(db.behind) > 0 && (len(db.queue) == 0 || db.behindNext) {
			r := db.behind[0]
			db.behind = db.behind[1:]
			db.behindNext = false
			db.mu.Unlock()
			db.commit([]*request{r})
			continue
		}
		db.behindNext = true
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
		if d := db.damage.Load(); d != nil {
			for _, r := range live {
				r.done <- d
			}
			return
		}
		failed, ferr := -1, error(nil)
		merge := false
		var b *batch
		start := time.Now()
		err := db.guard(func() error {
			return db.bolt.Update(func(btx *bbolt.Tx) error {
				b = &batch{events: db.events, votes: db.votes}
				for i, r := range live {
					if err := db.run(btx, r, b); err != nil {
						failed, ferr = i, err
						return errRollback
					}
				}
				if err := b.flush(btx); err != nil {
					return err
				}
				if db.failWrite != nil {
					return db.failWrite()
				}
				return nil
			})
		})
		if errors.Is(ferr, ErrDamaged) {
			continue // refused above
		}
		if failed >= 0 {
			live[failed].done <- ferr
			live = append(live[:failed], live[failed+1:]...)
			continue
		}
		if errors.Is(err, ErrDamaged) {
			continue
		}
		if err != nil {
			db.log.Error("store: commit failed", "updates", len(live), "err", err)
			err = wrapBolt("commit", err)
			db.commitFailed(err)
		} else {
			db.events.committed(b)
			merge = db.votes.committed(b)
			db.commitErr.Store(nil)
			if f := db.onCommit.Load(); f != nil {
				(*f)(len(live), time.Since(start))
			}
		}
		for _, r := range live {
			r.done <- err
		}
		if merge {
			db.mergeVotes()
		}
		return
	}
}

// run calls one request's function, turning a panic into its error.
func (db *DB) run(btx *bbolt.Tx, r *request, b *batch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if damageFromPanic() {
				err = db.markDamaged(fmt.Sprintf("reading it failed: %v", p))
				return
			}
			db.log.Error("store: update function panicked", "workspace", string(r.ws), "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("store: update panicked: %v", p)
		}
	}()
	return r.fn(newTx(btx, r.ws, b))
}

// commitFailed records a failed commit for CommitError and the OnCommitError
// hook.
func (db *DB) commitFailed(err error) {
	db.commitErr.Store(&err)
	db.commitErrors.Add(1)
	if f := db.onCommitErr.Load(); f != nil {
		(*f)(err)
	}
}

// CommitError returns the error of the last commit when it failed (a full
// disk, an I/O error), or nil once a commit has succeeded since; it also
// returns the damage seen in the file, if any. Health checks report it.
func (db *DB) CommitError() error {
	if d := db.damage.Load(); d != nil {
		return d
	}
	if p := db.commitErr.Load(); p != nil {
		return *p
	}
	return nil
}

// CommitErrors returns how many commits have failed since Open.
func (db *DB) CommitErrors() int64 { return db.commitErrors.Load() }

// OnCommitError sets a function told of every failed commit (for
// metrics). It runs on the writer goroutine and must be quick.
func (db *DB) OnCommitError(f func(err error)) {
	db.onCommitErr.Store(&f)
}

// ReadOnly tells whether the file is open read-only (OpenReadOnly): bbolt
// then opens it without write access and never writes it.
func (db *DB) ReadOnly() bool { return db.readOnly && db.bolt.IsReadOnly() }
