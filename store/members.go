package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// Member boards (authors and topics of a period, experts of a topic) are
// kept compactly in the boards bucket rather than as a bucket each: a
// vote changes its author in about seven boards, and one small value per
// board shard costs a commit far fewer pages than member and rank keys
// spread over B-tree leaves.
//
//	kind str(name)            → member count (uvarint)
//	kind str(name) shard(4)   → the shard's members in rank order, each
//	                            votes, tips, len(member) (uvarints), member
//
// A member's shard is its FNV-1a hash modulo the board's shard count, the
// power of two giving at most shardMembers members per shard on average.
// The count alone sets it, so a board's bytes depend only on its members,
// not on its history; empty shards are not stored.
const shardMembers = 128

// maxShards bounds the shard count (and so the shard index).
const maxShards = 1 << 20

// shardCount returns the number of shards of a board of n members.
func shardCount(n int64) uint32 {
	s := uint32(1)
	for int64(s)*shardMembers < n && s < maxShards {
		s <<= 1
	}
	return s
}

// shardOf returns the shard of member among s (a power of two).
func shardOf[M string | []byte](member M, s uint32) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(member); i++ {
		h ^= uint32(member[i])
		h *= 16777619
	}
	return h & (s - 1)
}

// memberBoardKey is the header key of a member board; its shards' keys
// extend it by the shard index.
func memberBoardKey(kind byte, name string) []byte {
	return appendStr([]byte{kind}, name)
}

func shardKey(board []byte, i uint32) []byte {
	k := make([]byte, 0, len(board)+4)
	return binary.BigEndian.AppendUint32(append(k, board...), i)
}

// rankCmp orders a member board: larger (a, b) first, then member, where
// (a, b) is (tips, votes) for topics boards and (votes, tips) otherwise.
func rankCmp(kind byte, x, y bot.Standing) int {
	xa, xb, ya, yb := x.Votes, x.Tips, y.Votes, y.Tips
	if kind == kindTopics {
		xa, xb, ya, yb = xb, xa, yb, ya
	}
	return cmp.Or(cmp.Compare(ya, xa), cmp.Compare(yb, xb), strings.Compare(x.Member, y.Member))
}

// shardReader decodes a shard's entries in order without copying.
type shardReader struct{ b []byte }

func (r *shardReader) next() (votes, tips int64, member []byte, ok bool, err error) {
	if len(r.b) == 0 {
		return 0, 0, nil, false, nil
	}
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(r.b)
		if n <= 0 {
			return 0, 0, nil, false, errCorrupt
		}
		vals[i], r.b = v, r.b[n:]
	}
	if vals[2] == 0 || vals[2] > uint64(len(r.b)) || vals[0] > 1<<62 || vals[1] > 1<<62 {
		return 0, 0, nil, false, errCorrupt
	}
	member, r.b = r.b[:vals[2]], r.b[vals[2]:]
	return int64(vals[0]), int64(vals[1]), member, true, nil
}

// decodeShard appends up to limit entries of a shard (all when limit < 0)
// to out.
func decodeShard(v []byte, limit int, out []bot.Standing) ([]bot.Standing, error) {
	r := shardReader{v}
	for n := 0; limit < 0 || n < limit; n++ {
		votes, tips, member, ok, err := r.next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		out = append(out, bot.Standing{Member: string(member), Votes: votes, Tips: tips})
	}
	return out, nil
}

// memberCount reads a member board's header; 0 when the board is absent.
func memberCount(boards *bbolt.Bucket, key []byte) (int64, error) {
	v := boards.Get(key)
	if v == nil {
		return 0, nil
	}
	n, w := binary.Uvarint(v)
	if w <= 0 || w != len(v) || n == 0 || n > 1<<62 {
		return 0, errCorrupt
	}
	return int64(n), nil
}

// memberEntry is one member of a shard while its board is rewritten;
// member may alias the stored value, which stays valid until the
// transaction ends.
type memberEntry struct {
	votes, tips int64
	member      []byte
	raw         []byte // the entry as stored, while unchanged; else nil
}

// entryCmp returns the rank order of a member board's entries (see rankCmp).
func entryCmp(kind byte) func(x, y memberEntry) int {
	if kind == kindTopics {
		return func(x, y memberEntry) int {
			return cmp.Or(cmp.Compare(y.tips, x.tips), cmp.Compare(y.votes, x.votes), bytes.Compare(x.member, y.member))
		}
	}
	return func(x, y memberEntry) int {
		return cmp.Or(cmp.Compare(y.votes, x.votes), cmp.Compare(y.tips, x.tips), bytes.Compare(x.member, y.member))
	}
}

// entryScratch recycles applyMembers' buffer of unchanged entries, which
// every commit that moves votes needs for every board it touches.
var entryScratch = sync.Pool{New: func() any { return new([]memberEntry) }}

// applyMembers applies summed changes (member → delta) to one member
// board, rewriting only the shards they touch, or every shard when the
// shard count changes. It runs once per board per commit, so it avoids
// copying: entries alias the stored shards, unchanged ones keep their
// order, and only the changed ones are sorted and merged back in.
func applyMembers(boards *bbolt.Bucket, kind byte, name string, changes map[string]delta) error {
	key := memberBoardKey(kind, name)
	count, err := memberCount(boards, key)
	if err != nil {
		return err
	}
	oldS := shardCount(count)
	byShard := make(map[uint32][]string)
	for m, d := range changes {
		if d != (delta{}) {
			i := shardOf(m, oldS)
			byShard[i] = append(byShard[i], m)
		}
	}
	if len(byShard) == 0 {
		return nil
	}
	less := entryCmp(kind)
	encoded := make(map[uint32][]byte, len(byShard))
	scratch := entryScratch.Get().(*[]memberEntry)
	kept := (*scratch)[:0] // reused: encodeMerged copies what it needs
	defer func() {
		clear(kept[:cap(kept)]) // drop the references into the file's pages
		*scratch = kept[:0]
		entryScratch.Put(scratch)
	}()
	for i, members := range byShard {
		var moved []memberEntry
		var added int64
		kept, moved, added, err = applyShard(kept[:0], boards.Get(shardKey(key, i)), members, changes)
		if err != nil {
			return err
		}
		slices.SortFunc(moved, less)
		encoded[i] = encodeMerged(kept, moved, less)
		count += added
	}
	if newS := shardCount(count); newS != oldS {
		// Reshard: gather every member, drop the old shards, split anew.
		var all []memberEntry
		for i := range oldS {
			k := shardKey(key, i)
			v, ok := encoded[i]
			if !ok {
				v = boards.Get(k)
			}
			if all, err = readEntries(all, v); err != nil {
				return err
			}
			if err := boards.Delete(k); err != nil {
				return err
			}
		}
		split := make(map[uint32][]memberEntry)
		for _, e := range all {
			i := shardOf(e.member, newS)
			split[i] = append(split[i], e)
		}
		clear(encoded)
		for i, entries := range split {
			slices.SortFunc(entries, less)
			encoded[i] = encodeMerged(entries, nil, less)
		}
	}
	idx := make([]uint32, 0, len(encoded))
	for i := range encoded {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		k := shardKey(key, i)
		if len(encoded[i]) == 0 {
			if err := boards.Delete(k); err != nil {
				return err
			}
			continue
		}
		if err := boards.Put(k, encoded[i]); err != nil {
			return err
		}
	}
	if count <= 0 {
		return boards.Delete(key)
	}
	return boards.Put(key, binary.AppendUvarint(nil, uint64(count)))
}

// applyShard applies the changes of members (those of the board that fall
// in this shard) to the stored shard v. It returns the untouched entries,
// still in rank order, appended to kept; the changed and new ones, in no
// order; and how many members the shard gained (negative when it lost
// some: a member left with neither votes nor tips goes).
func applyShard(kept []memberEntry, v []byte, members []string, changes map[string]delta) (_, moved []memberEntry, added int64, err error) {
	seen := make([]bool, len(members))
	r := shardReader{v}
	for {
		at := r.b
		votes, tips, member, ok, err := r.next()
		if err != nil {
			return nil, nil, 0, err
		}
		if !ok {
			break
		}
		raw := at[:len(at)-len(r.b)]
		j := -1
		if _, changed := changes[string(member)]; changed {
			for n, m := range members {
				if m == string(member) {
					j = n
					break
				}
			}
		}
		if j < 0 || seen[j] {
			kept = append(kept, memberEntry{votes, tips, member, raw})
			continue
		}
		seen[j] = true
		d := changes[members[j]]
		e := memberEntry{max(votes+d.votes, 0), max(tips+d.tips, 0), member, nil}
		if e.votes == 0 && e.tips == 0 {
			added--
			continue
		}
		moved = append(moved, e)
	}
	for j, m := range members {
		if seen[j] {
			continue
		}
		d := changes[m]
		if e := (memberEntry{max(d.votes, 0), max(d.tips, 0), []byte(m), nil}); e.votes != 0 || e.tips != 0 {
			moved = append(moved, e)
			added++
		}
	}
	return kept, moved, added, nil
}

// readEntries appends a stored shard's entries to out, aliasing v.
func readEntries(out []memberEntry, v []byte) ([]memberEntry, error) {
	r := shardReader{v}
	for {
		at := r.b
		votes, tips, member, ok, err := r.next()
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, memberEntry{votes, tips, member, at[:len(at)-len(r.b)]})
	}
}

// encodeMerged encodes the merge of two lists each in rank order: each
// entry is votes, tips, len(member) (uvarints), then member. b is the
// short list of changed entries: each finds its place in a by binary
// search, and a's unchanged entries are copied as stored. It returns nil
// for no entries.
func encodeMerged(a, b []memberEntry, less func(x, y memberEntry) int) []byte {
	size := 0
	for _, e := range a {
		size += entrySize(e)
	}
	for _, e := range b {
		size += entrySize(e)
	}
	if size == 0 {
		return nil
	}
	out := make([]byte, 0, size)
	for _, e := range b {
		n := sort.Search(len(a), func(i int) bool { return less(a[i], e) > 0 })
		out = appendEntries(out, a[:n])
		out = appendEntry(out, e)
		a = a[n:]
	}
	return appendEntries(out, a)
}

// entrySize bounds the encoded size of an entry.
func entrySize(e memberEntry) int {
	if e.raw != nil {
		return len(e.raw)
	}
	return 3*binary.MaxVarintLen16 + len(e.member)
}

func appendEntries(out []byte, entries []memberEntry) []byte {
	for _, e := range entries {
		out = appendEntry(out, e)
	}
	return out
}

func appendEntry(out []byte, e memberEntry) []byte {
	if e.raw != nil {
		return append(out, e.raw...)
	}
	out = binary.AppendUvarint(out, uint64(e.votes))
	out = binary.AppendUvarint(out, uint64(e.tips))
	out = binary.AppendUvarint(out, uint64(len(e.member)))
	return append(out, e.member...)
}

// memberBoard returns the boards bucket (nil when there is none), a
// member board's key and its member count, once pending changes are
// applied.
func (t *tx) memberBoard(kind byte, name string) (*bbolt.Bucket, []byte, int64, error) {
	if err := t.flushed(); err != nil {
		return nil, nil, 0, err
	}
	boards := t.bucket(bBoards)
	if boards == nil {
		return nil, nil, 0, nil
	}
	key := memberBoardKey(kind, name)
	n, err := memberCount(boards, key)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("store: board %q: %w", key, err)
	}
	return boards, key, n, nil
}

// top reads the first n entries of a member board: the first n of each
// shard, merged.
func (t *tx) top(kind byte, name string, n int) ([]bot.Standing, error) {
	boards, key, count, err := t.memberBoard(kind, name)
	if err != nil || count == 0 || n <= 0 {
		return nil, err
	}
	var out []bot.Standing
	c := boards.Cursor()
	for k, v := c.Seek(shardKey(key, 0)); k != nil && len(k) == len(key)+4 && bytes.HasPrefix(k, key); k, v = c.Next() {
		if out, err = decodeShard(v, n, out); err != nil {
			return nil, fmt.Errorf("store: board %q: %w", key, err)
		}
	}
	slices.SortFunc(out, func(x, y bot.Standing) int { return rankCmp(kind, x, y) })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// CountAuthors returns how many distinct authors have ranked tips in the
// period, from the board's header.
func (t *tx) CountAuthors(period string) (int, error) {
	_, _, n, err := t.memberBoard(kindAuthors, period)
	return int(n), err
}

// AuthorRank returns the author's standing in the period and rank (1 =
// first), counting the members ranked before them in every shard.
func (t *tx) AuthorRank(period, authorID string) (bot.Standing, int, error) {
	boards, key, count, err := t.memberBoard(kindAuthors, period)
	if err != nil {
		return bot.Standing{}, 0, err
	}
	if count == 0 {
		return bot.Standing{}, 0, bot.ErrNotFound
	}
	corrupt := func(err error) error { return fmt.Errorf("store: authors board %s: %w", period, err) }
	s := shardCount(count)
	var me bot.Standing
	found := false
	r := shardReader{boards.Get(shardKey(key, shardOf(authorID, s)))}
	for {
		votes, tips, member, ok, err := r.next()
		if err != nil {
			return bot.Standing{}, 0, corrupt(err)
		}
		if !ok {
			break
		}
		if string(member) == authorID {
			me, found = bot.Standing{Member: authorID, Votes: votes, Tips: tips}, true
			break
		}
	}
	if !found {
		return bot.Standing{}, 0, bot.ErrNotFound
	}
	rank := 1
	c := boards.Cursor()
	for k, v := c.Seek(shardKey(key, 0)); k != nil && len(k) == len(key)+4 && bytes.HasPrefix(k, key); k, v = c.Next() {
		r := shardReader{v}
		for {
			votes, tips, member, ok, err := r.next()
			if err != nil {
				return bot.Standing{}, 0, corrupt(err)
			}
			if !ok || votes < me.Votes || (votes == me.Votes && (tips < me.Tips || (tips == me.Tips && string(member) >= authorID))) {
				break
			}
			rank++
		}
	}
	return me, rank, nil
}
