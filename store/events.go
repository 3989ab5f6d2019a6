package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// Event ids. A workspace remembers the ids of the events it handled
// (MarkEvent) in generations of eventSlot each, keyed by the slot of the
// time MarkEvent was given; generations more than keptSlots behind the
// newest are dropped, so an id is kept for at least 24 hours.
//
// A generation is a log: one record per commit, at the end of the
// generation's bucket (key: 8-byte record number, one more than the last),
// listing the ids that commit marked. A commit thus writes one record where
// it writes at all, at the end of a bucket, where one key per id would
// land on a page of its own for most ids: event ids are random, and those
// page writes were a fifth of an ingest's commit. EventSeen reads an index
// in memory (eventIndex): for each log generation, the hash of each id and
// the record listing it, loaded from the logs by the first write
// transaction that needs it and kept in step after each commit. A hash
// found is checked against its record, so the index never says "seen" for
// an id that was not marked.
//
// Generations written by earlier versions (bucket named by the 8-byte
// slot, one key per id) are read by key until they age out.
const (
	eventSlot = 12 * time.Hour
	keptSlots = 2
)

// logGenPrefix starts the name of a log generation's bucket, before the
// 8-byte slot (an older generation's name is the slot alone).
const logGenPrefix = 'L'

func slotOf(at time.Time) uint64 {
	s := at.Unix() / int64(eventSlot/time.Second)
	if at.Unix() < 0 && at.Unix()%int64(eventSlot/time.Second) != 0 {
		s--
	}
	return uint64(s) ^ 1<<63 // order-preserving for negative times
}

func logGenName(slot uint64) []byte { return binary.BigEndian.AppendUint64([]byte{logGenPrefix}, slot) }

// eventGen is one generation: its slot and its buckets, the log and, from
// an earlier version, the ids by key (either may be nil).
type eventGen struct {
	slot uint64
	log  *bbolt.Bucket
	ids  *bbolt.Bucket
}

// eventGens lists a workspace's generations in slot order. A write
// transaction reads them once per batch and the batch keeps the list.
type eventGens struct{ gens []eventGen }

// newest returns the newest slot, or 0 when there is none.
func (g *eventGens) newest() uint64 {
	if len(g.gens) == 0 {
		return 0
	}
	return g.gens[len(g.gens)-1].slot
}

// at returns the generation of a slot, adding an empty one if needed.
func (g *eventGens) at(slot uint64) *eventGen {
	i, found := slices.BinarySearchFunc(g.gens, slot, func(e eventGen, s uint64) int {
		switch {
		case e.slot < s:
			return -1
		case e.slot > s:
			return 1
		}
		return 0
	})
	if !found {
		g.gens = slices.Insert(g.gens, i, eventGen{slot: slot})
	}
	return &g.gens[i]
}

func readEventGens(b *bbolt.Bucket) *eventGens {
	g := &eventGens{}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		switch {
		case len(k) == 8:
			if ids := b.Bucket(k); ids != nil {
				g.at(binary.BigEndian.Uint64(k)).ids = ids
			}
		case len(k) == 9 && k[0] == logGenPrefix:
			if log := b.Bucket(k); log != nil {
				log.FillPercent = 1 // records are only ever added at the end
				g.at(binary.BigEndian.Uint64(k[1:])).log = log
			}
		}
	}
	return g
}

// gens returns the workspace's generations (the batch's list in a write
// transaction), or nil when it has no events bucket yet.
func (t *tx) gens() (*eventGens, *pending, error) {
	b := t.bucket(bEvents)
	if b == nil {
		return nil, nil, nil
	}
	if t.batch == nil || !t.btx.Writable() {
		return readEventGens(b), nil, nil
	}
	p, err := t.pending()
	if err != nil {
		return nil, nil, err
	}
	if p.events == nil {
		p.events = readEventGens(b)
	}
	return p.events, p, nil
}

// EventSeen reports whether MarkEvent recorded the id in a kept generation
// (in this transaction too).
func (t *tx) EventSeen(id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	g, p, err := t.gens()
	if g == nil || err != nil {
		return false, err // no events bucket: nothing marked, in this batch either
	}
	var idx *wsEvents
	if p != nil { // a write transaction
		if slot, ok := p.marked[id]; ok && slot+keptSlots >= max(g.newest(), p.newestMark) {
			return true, nil // marked in this batch, in a generation still kept
		}
		if t.batch.events != nil {
			if idx, err = t.batch.events.workspace(string(t.key), g); err != nil {
				return false, err
			}
		}
	}
	key := []byte(id)
	h := idx.hash(id)
	for _, gen := range slices.Backward(g.gens) {
		if gen.ids != nil && gen.ids.Get(key) != nil {
			return true, nil
		}
		if gen.log == nil {
			continue
		}
		if idx != nil {
			rec, ok := idx.lookup(gen.slot, h)
			if !ok {
				continue // every id of the generation has its hash indexed
			}
			if has, err := recordHas(gen.log.Get(u64(rec)), key); has || err != nil {
				return has, err
			}
			// Another id with the same hash: read the whole log.
		}
		if has, err := logHas(gen.log, key); has || err != nil {
			return has, err
		}
	}
	return false, nil
}

// MarkEvent remembers an event id as handled at time at, in the generation
// of at (or the oldest kept one when at is older). The ids a batch marks
// are written when it ends (flushEvents).
func (t *tx) MarkEvent(id string, at time.Time) error {
	if id == "" {
		return nil
	}
	if _, err := t.wbucket(bEvents); err != nil {
		return err
	}
	g, p, err := t.gens()
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("store: mark event outside a batch")
	}
	slot := slotOf(at)
	newest := max(g.newest(), p.newestMark)
	if newest > keptSlots && slot < newest-keptSlots {
		slot = newest - keptSlots
	}
	if s, ok := p.marked[id]; ok && s >= slot {
		return nil
	}
	if p.marks == nil {
		p.marks, p.marked = map[uint64][]string{}, map[string]uint64{}
	}
	p.marks[slot] = append(p.marks[slot], id)
	p.marked[id] = slot
	p.newestMark = max(p.newestMark, slot)
	return nil
}

// flushEvents writes the ids the batch marked in this workspace, one log
// record per generation, drops the generations that fell behind, and
// notes what the index learns once the batch is committed.
func (t *tx) flushEvents() error {
	p := t.pend
	if p == nil || len(p.marks) == 0 {
		return nil
	}
	b, err := t.wbucket(bEvents)
	if err != nil {
		return err
	}
	g, _, err := t.gens()
	if err != nil {
		return err
	}
	for _, slot := range slices.Sorted(maps.Keys(p.marks)) {
		gen := g.at(slot)
		if gen.log == nil {
			if gen.log, err = b.CreateBucketIfNotExists(logGenName(slot)); err != nil {
				return fmt.Errorf("store: mark events: %w", err)
			}
			gen.log.FillPercent = 1
		}
		ids := p.marks[slot]
		rec, err := appendRecord(gen.log, encodeIDs(ids))
		if err != nil {
			return fmt.Errorf("store: mark events: %w", err)
		}
		p.logged = append(p.logged, loggedIDs{slot, rec, ids})
	}
	newest := g.newest()
	drop := 0
	for drop < len(g.gens) && g.gens[drop].slot+keptSlots < newest {
		gen := g.gens[drop]
		if gen.ids != nil {
			if err := b.DeleteBucket(u64(gen.slot)); err != nil {
				return fmt.Errorf("store: drop events: %w", err)
			}
		}
		if gen.log != nil {
			if err := b.DeleteBucket(logGenName(gen.slot)); err != nil {
				return fmt.Errorf("store: drop events: %w", err)
			}
		}
		p.dropped = append(p.dropped, gen.slot)
		drop++
	}
	g.gens = g.gens[drop:]
	p.marks, p.marked = nil, nil
	return nil
}

// appendRecord puts rec at the end of a log bucket, under the next
// record number (8 bytes, from 1), and returns that number.
func appendRecord(log *bbolt.Bucket, rec []byte) (uint64, error) {
	n := uint64(1)
	if k, _ := log.Cursor().Last(); len(k) == 8 {
		n = binary.BigEndian.Uint64(k) + 1
	}
	return n, log.Put(u64(n), rec)
}

// encodeIDs is a log record: each id as uvarint length, then its bytes.
func encodeIDs(ids []string) []byte {
	n := 0
	for _, id := range ids {
		n += binary.MaxVarintLen16 + len(id)
	}
	out := make([]byte, 0, n)
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(len(id)))
		out = append(out, id...)
	}
	return out
}

// eachID calls fn with each id of a log record.
func eachID(rec []byte, fn func(id []byte) bool) error {
	for len(rec) > 0 {
		n, w := binary.Uvarint(rec)
		if w <= 0 || uint64(len(rec)-w) < n {
			return fmt.Errorf("store: damaged event log record")
		}
		if !fn(rec[w : w+int(n)]) {
			return nil
		}
		rec = rec[w+int(n):]
	}
	return nil
}

func recordHas(rec, id []byte) (bool, error) {
	found := false
	err := eachID(rec, func(x []byte) bool {
		found = bytes.Equal(x, id)
		return !found
	})
	return found, err
}

func logHas(log *bbolt.Bucket, id []byte) (bool, error) {
	c := log.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if has, err := recordHas(v, id); has || err != nil {
			return has, err
		}
	}
	return false, nil
}

// loggedIDs are ids a batch wrote to a generation's log record.
type loggedIDs struct {
	slot, rec uint64
	ids       []string
}

// eventIndex is the in-memory index of the log generations of each
// workspace (see the Event ids comment). The writer goroutine reads and
// changes it; Erase forgets a workspace.
type eventIndex struct {
	seed maphash.Seed
	mu   sync.Mutex
	ws   map[string]*wsEvents
}

// wsEvents indexes one workspace's log generations: by slot, the hash of
// each id and the number of the record listing it.
type wsEvents struct {
	seed  maphash.Seed
	mu    sync.Mutex
	slots map[uint64]map[uint64]uint32
}

func newEventIndex() *eventIndex {
	return &eventIndex{seed: maphash.MakeSeed(), ws: map[string]*wsEvents{}}
}

// workspace returns a workspace's index, loading it from its generations
// (read in a write transaction, before the batch wrote any) the first
// time.
func (x *eventIndex) workspace(key string, g *eventGens) (*wsEvents, error) {
	x.mu.Lock()
	w := x.ws[key]
	x.mu.Unlock()
	if w != nil {
		return w, nil
	}
	w = &wsEvents{seed: x.seed, slots: map[uint64]map[uint64]uint32{}}
	for _, gen := range g.gens {
		if gen.log == nil {
			continue
		}
		m := map[uint64]uint32{}
		c := gen.log.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			rec := uint32(binary.BigEndian.Uint64(k))
			if err := eachID(v, func(id []byte) bool {
				m[maphash.Bytes(x.seed, id)] = rec
				return true
			}); err != nil {
				return nil, err
			}
		}
		w.slots[gen.slot] = m
	}
	x.mu.Lock()
	x.ws[key] = w
	x.mu.Unlock()
	return w, nil
}

// committed brings the index of the workspaces a batch wrote to in step
// with it, once it is committed. A workspace not loaded yet is left to
// load from the file.
func (x *eventIndex) committed(b *batch) {
	if x == nil || b == nil {
		return
	}
	for key, p := range b.ws {
		if len(p.logged)+len(p.dropped) == 0 {
			continue
		}
		x.mu.Lock()
		w := x.ws[key]
		x.mu.Unlock()
		if w == nil {
			continue
		}
		w.mu.Lock()
		for _, l := range p.logged {
			m := w.slots[l.slot]
			if m == nil {
				m = make(map[uint64]uint32, len(l.ids))
				w.slots[l.slot] = m
			}
			for _, id := range l.ids {
				m[maphash.String(w.seed, id)] = uint32(l.rec)
			}
		}
		for _, s := range p.dropped {
			delete(w.slots, s)
		}
		w.mu.Unlock()
	}
}

// forget drops a workspace's index (its data was erased).
func (x *eventIndex) forget(key string) {
	if x == nil {
		return
	}
	x.mu.Lock()
	delete(x.ws, key)
	x.mu.Unlock()
}

func (w *wsEvents) hash(id string) uint64 {
	if w == nil {
		return 0
	}
	return maphash.String(w.seed, id)
}

// lookup returns the record of the id hashed h in a slot, if indexed.
func (w *wsEvents) lookup(slot, h uint64) (uint64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rec, ok := w.slots[slot][h]
	return uint64(rec), ok
}
