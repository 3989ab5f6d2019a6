package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// batch holds the index changes of one write transaction that are applied
// when the transaction's functions have all run (or earlier, before a read
// that needs them). Concurrent events often change the same counters and
// leaderboard entries (a hot tip, the month's topics): merged here, each
// entry is written once per commit instead of once per event.
type batch struct {
	ws map[string]*pending // by workspace key
	// events is the database's index of event ids (nil: none kept).
	events *eventIndex
	// votes is the database's index of the vote logs (nil: read each
	// transaction's own).
	votes *voteLogs
}

// pending is one workspace's share of a batch.
type pending struct {
	counters map[string]int64
	members  map[boardRef]map[string]delta // summed change per member
	ranks    map[rankRef]*rankMove

	// Read once per batch: the workspace's buckets and its generations of
	// event ids.
	subs   [nSubs]*bbolt.Bucket
	events *eventGens

	// Event ids marked in the batch, by generation slot, written when it
	// ends (flushEvents); marked holds the same ids and their newest
	// slot, newestMark the newest slot of all.
	marks      map[uint64][]string
	marked     map[string]uint64
	newestMark uint64
	// What flushEvents wrote and dropped, for the index once committed.
	logged  []loggedIDs
	dropped []uint64

	// votes are the votes the batch added, changed or removed (an empty
	// value), logged when it ends (flushVotes).
	votes voteOverlay
}

// delta is a change of a member's votes and tips.
type delta struct{ votes, tips int64 }

// boardRef names a member board: its kind and its period or topic.
type boardRef struct {
	kind byte
	name string
}

// rankRef names a tip's entry in a period's tips board.
type rankRef struct {
	period string
	id     uint64
}

// rankMove is where a tip's rank key was before the batch (nil: absent)
// and where it is now.
type rankMove struct{ from, to []byte }

func (b *batch) get(key []byte) *pending {
	if b.ws == nil {
		b.ws = make(map[string]*pending)
	}
	p := b.ws[string(key)]
	if p == nil {
		p = &pending{counters: map[string]int64{}, members: map[boardRef]map[string]delta{}, ranks: map[rankRef]*rankMove{}}
		b.ws[string(key)] = p
	}
	return p
}

func (p *pending) empty() bool {
	return p == nil || len(p.counters)+len(p.members)+len(p.ranks) == 0
}

// flush applies every workspace's pending changes.
func (b *batch) flush(btx *bbolt.Tx) error {
	keys := make([]string, 0, len(b.ws))
	for k := range b.ws {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t := newTx(btx, []byte(k), b)
		t.pend = b.ws[k]
		if err := t.flush(); err != nil {
			return err
		}
		if err := t.flushEvents(); err != nil {
			return err
		}
		if err := t.flushVotes(); err != nil {
			return err
		}
	}
	return nil
}

func (p *pending) addMember(kind byte, board, member string, votes, tips int64) {
	ref := boardRef{kind, board}
	m := p.members[ref]
	if m == nil {
		m = make(map[string]delta)
		p.members[ref] = m
	}
	d := m[member]
	m[member] = delta{d.votes + votes, d.tips + tips}
}

func (p *pending) moveRank(period string, id uint64, from, to []byte) {
	ref := rankRef{period, id}
	if m := p.ranks[ref]; m != nil {
		m.to = to
		return
	}
	p.ranks[ref] = &rankMove{from: from, to: to}
}

// flush writes the workspace's pending counters and board changes, in key
// order, and empties them.
func (t *tx) flush() error {
	p := t.pend
	if p.empty() {
		return nil
	}
	if len(p.counters) > 0 {
		b, err := t.wbucket(bCounters)
		if err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(p.counters)) {
			if err := b.Put([]byte(name), u64(uint64(storedCounter(b, name)+p.counters[name]))); err != nil {
				return fmt.Errorf("store: counter %q: %w", name, err)
			}
		}
		clear(p.counters)
	}
	if len(p.members)+len(p.ranks) == 0 {
		return nil
	}
	boards, err := t.wbucket(bBoards)
	if err != nil {
		return err
	}
	if err := flushRanks(boards, p.ranks); err != nil {
		return err
	}
	clear(p.ranks)
	if err := flushMembers(boards, p.members); err != nil {
		return err
	}
	clear(p.members)
	return nil
}

// flushRanks moves tips' rank keys, board by board, keeping each board's
// size; a board left empty is removed.
func flushRanks(boards *bbolt.Bucket, ranks map[rankRef]*rankMove) error {
	refs := make([]rankRef, 0, len(ranks))
	for ref, m := range ranks {
		if !bytes.Equal(m.from, m.to) {
			refs = append(refs, ref)
		}
	}
	slices.SortFunc(refs, func(a, b rankRef) int { return cmp.Or(strings.Compare(a.period, b.period), cmp.Compare(a.id, b.id)) })
	for len(refs) > 0 {
		period := refs[0].period
		n := 1
		for n < len(refs) && refs[n].period == period {
			n++
		}
		name := boardName(kindTips, period)
		b, err := createBoard(boards, name, tipsBoardFill)
		if err != nil {
			return err
		}
		var change int64
		for _, ref := range refs[:n] {
			m := ranks[ref]
			if m.from != nil {
				if err := b.Delete(m.from); err != nil {
					return fmt.Errorf("store: tips board %s: %w", period, err)
				}
				change--
			}
			if m.to != nil {
				if err := b.Put(m.to, empty); err != nil {
					return fmt.Errorf("store: tips board %s: %w", period, err)
				}
				change++
			}
		}
		if err := resizeBoard(boards, b, name, change); err != nil {
			return fmt.Errorf("store: tips board %s: %w", period, err)
		}
		refs = refs[n:]
	}
	return nil
}

// flushMembers applies the summed changes of member boards, board by
// board, in key order.
func flushMembers(boards *bbolt.Bucket, members map[boardRef]map[string]delta) error {
	refs := make([]boardRef, 0, len(members))
	for ref := range members {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b boardRef) int { return cmp.Or(cmp.Compare(a.kind, b.kind), strings.Compare(a.name, b.name)) })
	for _, ref := range refs {
		if err := applyMembers(boards, ref.kind, ref.name, members[ref]); err != nil {
			return fmt.Errorf("store: board %q: %w", memberBoardKey(ref.kind, ref.name), err)
		}
	}
	return nil
}

func storedCounter(b *bbolt.Bucket, name string) int64 {
	if v := b.Get([]byte(name)); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}
