package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// Restricted tips (bot.Tip.Restricted) are shown only in their channel (or thread): the
// workspace's boards and search terms leave them out (see indexed), and
// each scope (bot.Tip.Scope: a channel, or a channel's private thread)
// has an index of its own, kept in the records bucket under a
// kind no core record uses, and in the terms bucket under terms no query
// can spell:
//
//	records/
//	  \x00restricted/
//	    't' str(scope) id(8)                          → ""           the scope's ranked restricted tips
//	    'r' str(scope) str(board) ^votes(4) id(8)     → str(author)  their rankings: board is a period of
//	                                                                    the tip ("all" included) or "#topic"
//	terms/
//	  str("\x00" scope "\x00" term) ...               postings, as the workspace's terms
//
// A channel's answers merge the workspace's rankings with its own (and its
// thread's), so a
// ranking never filters a long list after the fact: a vote on a
// restricted tip moves its rank keys, as on the workspace's boards.
var kindRestricted = []byte("\x00restricted")

// indexed reports whether a tip is in the workspace's boards and search
// terms: ranked and not restricted to its channel.
func indexed(t bot.Tip) bool { return t.Ranked() && !t.Restricted() }

// restrictedHere reports whether a tip is in its channel's index.
func restrictedHere(t bot.Tip) bool { return t.Ranked() && t.Restricted() }

func restrictedTipKey(t bot.Tip) []byte {
	return append(appendStr([]byte{'t'}, t.Scope()), tipKey(t.ID)...)
}

func restrictedBoardPrefix(scope, board string) []byte {
	return appendStr(appendStr([]byte{'r'}, scope), board)
}

// restrictedBoards returns the rankings of a scope a restricted tip is
// in: its periods ("all" included) and its topics as "#topic".
func restrictedBoards(t bot.Tip) []string {
	boards := tipPeriods(t)
	for _, topic := range t.Topics {
		if b := "#" + topic; !slices.Contains(boards, b) {
			boards = append(boards, b)
		}
	}
	return boards
}

// scopedTerm is a search term of a scope's restricted tips.
func scopedTerm(scope, term string) string { return "\x00" + scope + "\x00" + term }

// restrictedTerms returns the scoped search terms of a tip in its
// scope's index.
func restrictedTerms(t bot.Tip, present bool) []string {
	if !present || !restrictedHere(t) {
		return nil
	}
	terms := bot.SearchTerms(t)
	for i, term := range terms {
		terms[i] = scopedTerm(t.Scope(), term)
	}
	return terms
}

// updateRestricted moves a tip's entries in its scope's index from old
// to cur.
func (t *tx) updateRestricted(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	oldIn, curIn := hadOld && restrictedHere(old), hasCur && restrictedHere(cur)
	if !oldIn && !curIn {
		return nil
	}
	records, err := t.wbucket(bRecords)
	if err != nil {
		return err
	}
	b, err := records.CreateBucketIfNotExists(kindRestricted)
	if err != nil {
		return fmt.Errorf("store: restricted index: %w", err)
	}
	rankKeys := func(tip bot.Tip) map[string][]byte {
		keys := map[string][]byte{}
		for _, board := range restrictedBoards(tip) {
			k := append(restrictedBoardPrefix(tip.Scope(), board), tipRankKey(tip.UsefulVotes, tip.ID)...)
			keys[string(k)] = appendStr(nil, tip.AuthorID)
		}
		return keys
	}
	var oldKeys, curKeys map[string][]byte
	if oldIn {
		oldKeys = rankKeys(old)
	}
	if curIn {
		curKeys = rankKeys(cur)
	}
	for k := range oldKeys {
		if _, keep := curKeys[k]; !keep {
			if err := b.Delete([]byte(k)); err != nil {
				return fmt.Errorf("store: restricted index: %w", err)
			}
		}
	}
	for k, v := range curKeys {
		if !bytes.Equal(oldKeys[k], v) {
			if err := b.Put([]byte(k), v); err != nil {
				return fmt.Errorf("store: restricted index: %w", err)
			}
		}
	}
	if oldIn && (!curIn || old.Scope() != cur.Scope()) {
		if err := b.Delete(restrictedTipKey(old)); err != nil {
			return fmt.Errorf("store: restricted index: %w", err)
		}
	}
	if curIn && (!oldIn || old.Scope() != cur.Scope()) {
		if err := b.Put(restrictedTipKey(cur), empty); err != nil {
			return fmt.Errorf("store: restricted index: %w", err)
		}
	}
	// Search postings: votes do not touch them.
	if oldIn && curIn && old.Scope() == cur.Scope() && old.Text == cur.Text && slices.Equal(old.Topics, cur.Topics) {
		return nil
	}
	oldTerms, curTerms := restrictedTerms(old, hadOld), restrictedTerms(cur, hasCur)
	return t.movePostings(oldTerms, curTerms, old.ID, cur.ID)
}

// restrictedBucket returns the restricted index for reading, or nil.
func (t *tx) restrictedBucket() *bbolt.Bucket {
	records := t.bucket(bRecords)
	if records == nil {
		return nil
	}
	return records.Bucket(kindRestricted)
}

// RestrictedTips calls fn, in id order, for each ranked tip restricted to
// the scope.
func (t *tx) RestrictedTips(scope string, fn func(bot.Tip) error) error {
	b := t.restrictedBucket()
	if b == nil {
		return nil
	}
	prefix := appendStr([]byte{'t'}, scope)
	var ids []bot.TipID
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+8 {
			return fmt.Errorf("store: restricted index: %w", errCorrupt)
		}
		ids = append(ids, bot.TipID(binary.BigEndian.Uint64(k[len(prefix):])))
	}
	return t.eachTip(ids, fn)
}

// eachTip calls fn for each tip of ids that exists.
func (t *tx) eachTip(ids []bot.TipID, fn func(bot.Tip) error) error {
	for _, id := range ids {
		tip, err := t.Tip(id)
		if err == bot.ErrNotFound {
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(tip); err != nil {
			return err
		}
	}
	return nil
}

// RestrictedTop returns up to n of the scope's restricted tips on a
// board (a period key, "all", or "#topic"), most useful first, then lower
// id.
func (t *tx) RestrictedTop(scope, board string, n int) ([]bot.Tip, error) {
	b := t.restrictedBucket()
	if b == nil || n <= 0 {
		return nil, nil
	}
	prefix := restrictedBoardPrefix(scope, board)
	var ids []bot.TipID
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(ids) < n; k, _ = c.Next() {
		if len(k) != len(prefix)+12 {
			return nil, fmt.Errorf("store: restricted index: %w", errCorrupt)
		}
		ids = append(ids, bot.TipID(binary.BigEndian.Uint64(k[len(prefix)+4:])))
	}
	var out []bot.Tip
	err := t.eachTip(ids, func(tip bot.Tip) error { out = append(out, tip); return nil })
	return out, err
}

// RestrictedStandings returns the authors of the scope's restricted
// tips on a board with the votes and tips they gathered there, in no
// particular order. It reads the board's keys, not the tips.
func (t *tx) RestrictedStandings(scope, board string) ([]bot.Standing, error) {
	b := t.restrictedBucket()
	if b == nil {
		return nil, nil
	}
	prefix := restrictedBoardPrefix(scope, board)
	by := map[string]int{} // author → index in out
	var out []bot.Standing
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+12 {
			return nil, fmt.Errorf("store: restricted index: %w", errCorrupt)
		}
		d := decoder{b: v}
		author := d.raw() // copied only for a new author
		if d.err != nil {
			return nil, fmt.Errorf("store: restricted index: %w", d.err)
		}
		i, ok := by[string(author)]
		if !ok {
			i = len(out)
			out = append(out, bot.Standing{Member: string(author)})
			by[out[i].Member] = i
		}
		out[i].Tips++
		out[i].Votes += int64(^binary.BigEndian.Uint32(k[len(prefix):]))
	}
	return out, nil
}

// RestrictedSearch returns up to limit of the scope's restricted tips
// holding every term, most useful first, then newest.
func (t *tx) RestrictedSearch(scope string, query []string, limit int) ([]bot.Tip, error) {
	terms := t.bucket(bTerms)
	query = dedupe(query)
	if terms == nil || limit <= 0 || len(query) == 0 {
		return nil, nil
	}
	infos := queryTerms(terms, query, func(term string) string { return scopedTerm(scope, term) })
	if infos == nil {
		return nil, nil
	}
	matches, err := postings(terms, infos[0].prefix, infos[0].n)
	if err != nil {
		return nil, err
	}
	for _, info := range infos[1:] {
		if len(matches) == 0 {
			return nil, nil
		}
		other, err := postings(terms, info.prefix, info.n)
		if err != nil {
			return nil, err
		}
		matches = intersectDesc(matches, other)
	}
	ids, ok, err := t.rankScoped(scope, matches, limit)
	if err != nil {
		return nil, err
	}
	if !ok {
		if ids, err = t.rankDirect(matches, limit); err != nil {
			return nil, err
		}
	}
	var out []bot.Tip
	err = t.eachTip(ids, func(tip bot.Tip) error { out = append(out, tip); return nil })
	return out, err
}

// scopedWalkFactor bounds the walk of rankScoped: it visits at most this
// many ranking entries per match before reading each match (rankDirect,
// a lookup per match) is the cheaper way.
const scopedWalkFactor = 16

// rankScoped returns up to limit of matches (a decreasing list of the
// scope's restricted tips), most useful first, then newest, by walking
// the scope's all-time ranking (most votes first) until limit of them
// came up and their last group of equal votes ended: no tip is read.
// ok is false when that would not beat rankDirect (matches fewer than
// limit, or the walk went past its budget) or when the ranking did not
// hold every match it should have.
func (t *tx) rankScoped(scope string, matches []uint64, limit int) (ids []bot.TipID, ok bool, err error) {
	b := t.restrictedBucket()
	if b == nil || len(matches) <= limit {
		return nil, false, nil
	}
	type hit struct {
		inv uint32 // ^votes: smaller is more useful
		id  uint64
	}
	var hits []hit
	budget := scopedWalkFactor * len(matches)
	prefix := restrictedBoardPrefix(scope, "all")
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+12 {
			return nil, false, fmt.Errorf("store: restricted index: %w", errCorrupt)
		}
		inv := binary.BigEndian.Uint32(k[len(prefix):])
		if len(hits) >= limit && inv != hits[len(hits)-1].inv {
			break // the last hit's group of equal votes has ended
		}
		if budget--; budget < 0 {
			return nil, false, nil
		}
		if id := binary.BigEndian.Uint64(k[len(prefix)+4:]); containsDesc(matches, id) {
			hits = append(hits, hit{inv, id})
		}
	}
	if len(hits) < limit {
		return nil, false, nil // the ranking misses some matches: read them
	}
	slices.SortFunc(hits, func(x, y hit) int { return cmp.Or(cmp.Compare(x.inv, y.inv), cmp.Compare(y.id, x.id)) })
	ids = make([]bot.TipID, 0, limit)
	for _, h := range hits[:limit] {
		ids = append(ids, bot.TipID(h.id))
	}
	return ids, true, nil
}

// AuthorStandings returns the standings in the period of those of the
// authors who have ranked tips in it, in no particular order. It reads
// each shard of the board holding one of them once, not the ranks.
func (t *tx) AuthorStandings(period string, authorIDs []string) ([]bot.Standing, error) {
	boards, key, count, err := t.memberBoard(kindAuthors, period)
	if err != nil || count == 0 || len(authorIDs) == 0 {
		return nil, err
	}
	n := shardCount(count)
	byShard := map[uint32]map[string]bool{}
	for _, id := range authorIDs {
		sh := shardOf(id, n)
		if byShard[sh] == nil {
			byShard[sh] = map[string]bool{}
		}
		byShard[sh][id] = true
	}
	var out []bot.Standing
	for sh, want := range byShard {
		r := shardReader{boards.Get(shardKey(key, sh))}
		for left := len(want); left > 0; {
			votes, tips, member, ok, err := r.next()
			if err != nil {
				return nil, fmt.Errorf("store: authors board %s: %w", period, err)
			}
			if !ok {
				break
			}
			if want[string(member)] {
				out = append(out, bot.Standing{Member: string(member), Votes: votes, Tips: tips})
				left--
			}
		}
	}
	return out, nil
}
