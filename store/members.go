package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

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
func shardOf(member string, s uint32) uint32 {
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

// encodeShard encodes entries already in rank order.
func encodeShard(entries []bot.Standing) []byte {
	size := 0
	for _, e := range entries {
		size += 3*binary.MaxVarintLen16 + len(e.Member)
	}
	b := make([]byte, 0, size)
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.Votes))
		b = binary.AppendUvarint(b, uint64(e.Tips))
		b = binary.AppendUvarint(b, uint64(len(e.Member)))
		b = append(b, e.Member...)
	}
	return b
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

// memberChange is a pending change of one member of a board.
type memberChange struct {
	member string
	delta
}

// applyMembers applies summed changes to one member board, rewriting the
// shards they touch, or every shard when the shard count changes.
func applyMembers(boards *bbolt.Bucket, kind byte, name string, changes []memberChange) error {
	key := memberBoardKey(kind, name)
	count, err := memberCount(boards, key)
	if err != nil {
		return err
	}
	oldS := shardCount(count)
	byShard := map[uint32][]memberChange{}
	for _, c := range changes {
		i := shardOf(c.member, oldS)
		byShard[i] = append(byShard[i], c)
	}
	shards := make(map[uint32][]bot.Standing, len(byShard))
	for i, cs := range byShard {
		entries, err := decodeShard(boards.Get(shardKey(key, i)), -1, nil)
		if err != nil {
			return err
		}
		var pos map[string]int // member → index, for many changes
		if len(cs) > 8 {
			pos = make(map[string]int, len(entries)+len(cs))
			for j, e := range entries {
				pos[e.Member] = j
			}
		}
		for _, c := range cs {
			j, ok := -1, false
			if pos != nil {
				j, ok = pos[c.member]
			} else {
				j = slices.IndexFunc(entries, func(e bot.Standing) bool { return e.Member == c.member })
				ok = j >= 0
			}
			if !ok {
				entries = append(entries, bot.Standing{Member: c.member})
				j = len(entries) - 1
				if pos != nil {
					pos[c.member] = j
				}
				count++
			}
			e := &entries[j]
			e.Votes, e.Tips = max(e.Votes+c.votes, 0), max(e.Tips+c.tips, 0)
		}
		entries = slices.DeleteFunc(entries, func(e bot.Standing) bool {
			if e.Votes == 0 && e.Tips == 0 {
				count--
				return true
			}
			return false
		})
		shards[i] = entries
	}
	newS := shardCount(count)
	if newS != oldS {
		// Reshard: gather every member, drop the old shards, split anew.
		var all []bot.Standing
		for i := range oldS {
			k := shardKey(key, i)
			if entries, ok := shards[i]; ok {
				all = append(all, entries...)
			} else if all, err = decodeShard(boards.Get(k), -1, all); err != nil {
				return err
			}
			if err := boards.Delete(k); err != nil {
				return err
			}
		}
		clear(shards)
		for i := range newS {
			shards[i] = nil
		}
		for _, e := range all {
			i := shardOf(e.Member, newS)
			shards[i] = append(shards[i], e)
		}
	}
	idx := make([]uint32, 0, len(shards))
	for i := range shards {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		entries := shards[i]
		k := shardKey(key, i)
		if len(entries) == 0 {
			if err := boards.Delete(k); err != nil {
				return err
			}
			continue
		}
		slices.SortFunc(entries, func(x, y bot.Standing) int { return rankCmp(kind, x, y) })
		if err := boards.Put(k, encodeShard(entries)); err != nil {
			return err
		}
	}
	if count <= 0 {
		return boards.Delete(key)
	}
	return boards.Put(key, binary.AppendUvarint(nil, uint64(count)))
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
