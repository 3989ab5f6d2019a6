package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"go.etcd.io/bbolt"
)

// The vote log. A vote's home is the votes bucket, keyed by tip then voter
// (voteKey), so that a tip's voters are read together. Written there one
// by one, the votes of a commit land on about as many pages as they have
// tips, and every page a commit dirties costs a write and its share of
// the fsync: those page writes were half of an ingest's commit.
//
// So a write transaction does not put votes in the votes bucket. The
// votes a commit adds, changes or removes go in one record at the end of
// the workspace's vote log (bucket "votelog", key: 8-byte record number,
// one more than the last; value: for each vote, its uvarint-length key
// and its uvarint-length emoji set, empty for a vote removed), which
// dirties a page or two. Once the logs hold mergeVotesAt votes, the writer
// merges them into the votes bucket in a transaction of their own, in key
// order, where the new votes of a tip share pages, and empties the logs;
// it merges too when the database closes.
//
// Readers see the votes bucket with the log laid over it. A write
// transaction reads the log through an index in memory (voteLogs), loaded
// by the first write transaction that needs it and kept in step after
// each commit; a read-only transaction decodes the log of its own
// snapshot, the first time it reads a vote.
const mergeVotesAt = 4096

// voteOverlay maps a vote key to its emoji set as the log has it: an
// empty value is a vote removed.
type voteOverlay map[string][]byte

// voteLogs is the database's index of the vote logs, by workspace key.
// Only the writer goroutine reads and changes the overlays; mu guards the
// map of workspaces, which EraseWorkspace changes too.
type voteLogs struct {
	mu sync.Mutex
	ws map[string]*loggedVotes
	n  int // votes in all overlays
	// mergeAt is the n at which the logs are merged: mergeVotesAt, or
	// more after a merge failed, so that a failing disk is not asked for
	// a big transaction after every commit.
	mergeAt int
}

// loggedVotes is the overlay of one workspace's log.
type loggedVotes struct{ o voteOverlay }

func newVoteLogs() *voteLogs { return &voteLogs{ws: map[string]*loggedVotes{}, mergeAt: mergeVotesAt} }

// workspace returns the overlay of a workspace, loading it from its log.
func (l *voteLogs) workspace(key string, log *bbolt.Bucket) (voteOverlay, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.ws[key]; ok {
		return w.o, nil
	}
	o, err := readVoteLog(log)
	if err != nil {
		return nil, err
	}
	l.ws[key] = &loggedVotes{o}
	l.n += len(o)
	return o, nil
}

// committed lays the votes a committed batch logged over the overlays,
// and reports whether the logs should now be merged.
func (l *voteLogs) committed(b *batch) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, p := range b.ws {
		if len(p.votes) == 0 {
			continue
		}
		w, ok := l.ws[key]
		if !ok { // forgotten meanwhile: loaded again when next needed
			continue
		}
		for k, v := range p.votes {
			if _, had := w.o[k]; !had {
				l.n++
			}
			w.o[k] = v
		}
	}
	return l.n >= l.mergeAt
}

// failed puts the next merge off until mergeVotesAt more votes are logged.
func (l *voteLogs) failed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mergeAt = l.n + mergeVotesAt
}

// forget drops a workspace's overlay; the next write transaction loads it
// again from the file.
func (l *voteLogs) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.ws[key]; ok {
		l.n -= len(w.o)
		delete(l.ws, key)
	}
}

// loaded returns the overlays that hold votes.
func (l *voteLogs) loaded() map[string]*loggedVotes {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]*loggedVotes)
	for k, w := range l.ws {
		if len(w.o) > 0 {
			out[k] = w
		}
	}
	return out
}

// merged empties the overlays a merge wrote, unless forgotten meanwhile.
func (l *voteLogs) merged(done map[string]*loggedVotes) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, w := range done {
		if l.ws[k] == w {
			l.n -= len(w.o)
			w.o = voteOverlay{}
		}
	}
	l.mergeAt = mergeVotesAt
}

// readVoteLog decodes a whole vote log (nil: empty), later records over
// earlier ones.
func readVoteLog(log *bbolt.Bucket) (voteOverlay, error) {
	o := voteOverlay{}
	if log == nil {
		return o, nil
	}
	c := log.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := eachLoggedVote(v, func(key, emojis []byte) {
			o[string(key)] = bytes.Clone(emojis)
		}); err != nil {
			return nil, fmt.Errorf("store: vote log record %x: %w", k, err)
		}
	}
	return o, nil
}

var errVoteRecord = errors.New("malformed vote log record")

// eachLoggedVote calls fn for each vote of a log record.
func eachLoggedVote(rec []byte, fn func(key, emojis []byte)) error {
	for len(rec) > 0 {
		key, rest, ok := cutStr(rec)
		if !ok {
			return errVoteRecord
		}
		emojis, rest, ok := cutStr(rest)
		if !ok {
			return errVoteRecord
		}
		fn(key, emojis)
		rec = rest
	}
	return nil
}

// overlays returns the vote log laid over the votes bucket, for reading:
// in a write transaction the batch's own changes (nil when it has none)
// and the committed log's index; in a read-only one the snapshot's log.
func (t *tx) overlays() (batch, logged voteOverlay, err error) {
	writing := t.batch != nil && t.btx.Writable()
	if writing {
		if t.pend == nil {
			t.pend = t.batch.ws[string(t.key)]
		}
		if t.pend != nil {
			batch = t.pend.votes
		}
	}
	if t.logVotes == nil {
		if writing && t.batch.votes != nil {
			t.logVotes, err = t.batch.votes.workspace(string(t.key), t.bucket(bVoteLog))
		} else {
			// The log as the transaction found it: a write transaction
			// only adds to it when it ends.
			t.logVotes, err = readVoteLog(t.bucket(bVoteLog))
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return batch, t.logVotes, nil
}

// voteValue returns a vote's stored emoji set, nil when there is none.
func (t *tx) voteValue(k []byte) ([]byte, error) {
	batch, logged, err := t.overlays()
	if err != nil {
		return nil, err
	}
	if v, ok := batch[string(k)]; ok {
		return v, nil
	}
	if v, ok := logged[string(k)]; ok {
		return v, nil
	}
	if b := t.bucket(bVotes); b != nil {
		return b.Get(k), nil
	}
	return nil, nil
}

// setVote logs a vote's new emoji set (empty: removed) in the batch.
func (t *tx) setVote(k []byte, emojis []byte) error {
	if _, err := t.wbucket(bVoteLog); err != nil {
		return err
	}
	p, err := t.pending()
	if err != nil {
		return err
	}
	// The log's index must hold the workspace before the batch commits,
	// to take its votes in.
	if _, _, err := t.overlays(); err != nil {
		return err
	}
	if p.votes == nil {
		p.votes = voteOverlay{}
	}
	p.votes[string(k)] = emojis
	return nil
}

// eachOverlaid calls fn for each vote the overlays decide whose key has
// the prefix, with the value that wins (the batch's over the log's).
func (t *tx) eachOverlaid(prefix []byte, fn func(k string, v []byte) error) error {
	batch, logged, err := t.overlays()
	if err != nil {
		return err
	}
	keys := make([]string, 0)
	for k := range logged {
		if _, ok := batch[k]; !ok && len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
			keys = append(keys, k)
		}
	}
	for k := range batch {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, ok := batch[k]
		if !ok {
			v = logged[k]
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// flushVotes appends the batch's votes to the workspace's log as one
// record.
func (t *tx) flushVotes() error {
	p := t.pend
	if p == nil || len(p.votes) == 0 {
		return nil
	}
	log, err := t.wbucket(bVoteLog)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(p.votes))
	for k := range p.votes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var rec []byte
	for _, k := range keys {
		rec = appendStr(rec, k)
		rec = binary.AppendUvarint(rec, uint64(len(p.votes[k])))
		rec = append(rec, p.votes[k]...)
	}
	if _, err := appendRecord(log, rec); err != nil {
		return fmt.Errorf("store: vote log: %w", err)
	}
	return nil
}

// mergeVotes moves the votes of every loaded log into the votes buckets,
// in one transaction, and empties the logs. A failure leaves the logs as
// they were: they are merged again later. Only the writer goroutine calls
// it, between batches.
func (db *DB) mergeVotes() {
	todo := db.votes.loaded()
	if len(todo) == 0 || db.damage.Load() != nil {
		return
	}
	err := db.guard(func() error {
		return db.bolt.Update(func(btx *bbolt.Tx) error {
			root := btx.Bucket(bucketWS)
			for _, key := range slices.Sorted(maps.Keys(todo)) {
				ws := root.Bucket([]byte(key))
				if ws == nil {
					continue
				}
				if err := mergeOverlay(ws, todo[key].o); err != nil {
					return fmt.Errorf("workspace %s: %w", key, err)
				}
			}
			return nil
		})
	})
	if err != nil {
		db.log.Error("store: merging the vote logs failed; they stay as they are", "err", err)
		db.votes.failed()
		return
	}
	db.votes.merged(todo)
}

// mergeOverlay applies a workspace's logged votes to its votes bucket and
// empties its log.
func mergeOverlay(ws *bbolt.Bucket, o voteOverlay) error {
	votes, err := ws.CreateBucketIfNotExists(sub[bVotes].name)
	if err != nil {
		return err
	}
	votes.FillPercent = sub[bVotes].fill
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v := o[k]; len(v) > 0 {
			err = votes.Put([]byte(k), v)
		} else {
			err = votes.Delete([]byte(k))
		}
		if err != nil {
			return err
		}
	}
	if ws.Bucket(sub[bVoteLog].name) != nil {
		if err := ws.DeleteBucket(sub[bVoteLog].name); err != nil {
			return err
		}
	}
	_, err = ws.CreateBucket(sub[bVoteLog].name)
	return err
}

// countVotes counts a workspace's votes, its log laid over its votes
// bucket (ws: the workspace's bucket).
func countVotes(ws *bbolt.Bucket) (int, error) {
	votes := ws.Bucket(sub[bVotes].name)
	n := countKeys(votes)
	o, err := readVoteLog(ws.Bucket(sub[bVoteLog].name))
	if err != nil {
		return 0, err
	}
	for k, v := range o {
		stored := votes != nil && votes.Get([]byte(k)) != nil
		switch {
		case len(v) > 0 && !stored:
			n++
		case len(v) == 0 && stored:
			n--
		}
	}
	return n, nil
}
