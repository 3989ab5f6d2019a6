package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// The search index maps each term to the ids of the ranked tips holding
// it. A term's ids are kept in blocks: the key is str(term) ^minID(8), the
// value the block's other ids in increasing order as uvarint gaps from
// minID. Blocks sort newest first. The key str(term) alone holds the
// term's posting count. Postings do not depend on votes, so a vote never
// touches the index; SearchTips orders the matches itself.
const (
	blockMaxIDs   = 256
	blockMaxBytes = 512
)

func termKey(term string) []byte { return appendStr(nil, term) }

func blockKey(prefix []byte, minID uint64) []byte {
	k := make([]byte, 0, len(prefix)+8)
	return binary.BigEndian.AppendUint64(append(k, prefix...), ^minID)
}

func decodeBlock(minID uint64, v []byte, out []uint64) ([]uint64, error) {
	out = append(out, minID)
	id := minID
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || d == 0 || id+d < id { // a gap past 2^64 wraps: corrupt
			return out, errCorrupt
		}
		id += d
		out = append(out, id)
		v = v[n:]
	}
	return out, nil
}

// encodeBlock writes ids (increasing, at least one) as a block value.
func encodeBlock(ids []uint64) []byte {
	v := make([]byte, 0, 2*len(ids))
	for i := 1; i < len(ids); i++ {
		v = binary.AppendUvarint(v, ids[i]-ids[i-1])
	}
	return v
}

// findBlock positions on the block of the term where id belongs: the
// newest block whose smallest id is at most id. It returns nil when every
// block of the term holds only larger ids (or there is none).
func findBlock(c *bbolt.Cursor, prefix []byte, id uint64) (k, v []byte) {
	k, v = c.Seek(blockKey(prefix, id))
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

func blockMin(k []byte) uint64 { return ^binary.BigEndian.Uint64(k[len(k)-8:]) }

// lastBlock returns the term's oldest block, or nil.
func lastBlock(c *bbolt.Cursor, prefix []byte) (k, v []byte) {
	k, v = c.Seek(blockKey(prefix, 0))
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		k, v = c.Prev()
	}
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

func postingCount(terms *bbolt.Bucket, prefix []byte) uint64 {
	n, w := binary.Uvarint(terms.Get(prefix))
	if w <= 0 {
		return 0
	}
	return n
}

func setPostingCount(terms *bbolt.Bucket, prefix []byte, n uint64) error {
	if n == 0 {
		return terms.Delete(prefix)
	}
	return terms.Put(prefix, binary.AppendUvarint(nil, n))
}

// putBlock stores ids (increasing) as one block, or two when too big.
func putBlock(terms *bbolt.Bucket, prefix []byte, ids []uint64) error {
	v := encodeBlock(ids)
	if len(ids) > blockMaxIDs || len(v) > blockMaxBytes {
		half := len(ids) / 2
		if err := terms.Put(blockKey(prefix, ids[0]), encodeBlock(ids[:half])); err != nil {
			return err
		}
		return terms.Put(blockKey(prefix, ids[half]), encodeBlock(ids[half:]))
	}
	return terms.Put(blockKey(prefix, ids[0]), v)
}

func addPosting(terms *bbolt.Bucket, term string, id uint64) error {
	prefix := termKey(term)
	c := terms.Cursor()
	k, v := findBlock(c, prefix, id)
	if k == nil {
		// Older than every block: extend the oldest one downwards.
		k, v = lastBlock(c, prefix)
	}
	var ids []uint64
	if k != nil {
		var err error
		if ids, err = decodeBlock(blockMin(k), v, nil); err != nil {
			return fmt.Errorf("term %q: %w", term, err)
		}
		i, found := slices.BinarySearch(ids, id)
		if found {
			return nil
		}
		ids = slices.Insert(ids, i, id)
		if i == 0 {
			if err := terms.Delete(cloneBytes(k)); err != nil {
				return err
			}
		}
	} else {
		ids = []uint64{id}
	}
	if err := putBlock(terms, prefix, ids); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	return setPostingCount(terms, prefix, postingCount(terms, prefix)+1)
}

func removePosting(terms *bbolt.Bucket, term string, id uint64) error {
	prefix := termKey(term)
	k, v := findBlock(terms.Cursor(), prefix, id)
	if k == nil {
		return nil
	}
	ids, err := decodeBlock(blockMin(k), v, nil)
	if err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	i, found := slices.BinarySearch(ids, id)
	if !found {
		return nil
	}
	ids = slices.Delete(ids, i, i+1)
	if i == 0 || len(ids) == 0 {
		if err := terms.Delete(cloneBytes(k)); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		if err := terms.Put(blockKey(prefix, ids[0]), encodeBlock(ids)); err != nil {
			return err
		}
	}
	return setPostingCount(terms, prefix, postingCount(terms, prefix)-1)
}

// indexTerms returns the search terms of a tip that is in the index.
func indexTerms(t bot.Tip, present bool) []string {
	if !present || !indexed(t) {
		return nil
	}
	return bot.SearchTerms(t)
}

// updateTerms moves a tip's postings from old to cur. Votes do not matter;
// when the text, topics and ranking are unchanged nothing is done.
func (t *tx) updateTerms(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	if hadOld && hasCur && indexed(old) == indexed(cur) && old.Text == cur.Text && slices.Equal(old.Topics, cur.Topics) {
		return nil
	}
	oldTerms, curTerms := indexTerms(old, hadOld), indexTerms(cur, hasCur)
	if len(oldTerms) == 0 && len(curTerms) == 0 {
		return nil
	}
	return t.movePostings(oldTerms, curTerms, old.ID, cur.ID)
}

// movePostings removes a tip's postings of the terms it lost and adds
// those of the terms it gained.
func (t *tx) movePostings(oldTerms, curTerms []string, oldID, curID bot.TipID) error {
	terms, err := t.wbucket(bTerms)
	if err != nil {
		return err
	}
	for _, term := range oldTerms {
		if !slices.Contains(curTerms, term) {
			if err := removePosting(terms, term, uint64(oldID)); err != nil {
				return err
			}
		}
	}
	for _, term := range curTerms {
		if !slices.Contains(oldTerms, term) {
			if err := addPosting(terms, term, uint64(curID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// postings returns every id of the term, newest first.
func postings(terms *bbolt.Bucket, prefix []byte, n uint64) ([]uint64, error) {
	out := make([]uint64, 0, n)
	var block []uint64
	c := terms.Cursor()
	for k, v := c.Seek(blockKey(prefix, ^uint64(0))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+8 {
			continue
		}
		var err error
		if block, err = decodeBlock(blockMin(k), v, block[:0]); err != nil {
			return nil, err
		}
		for i := len(block) - 1; i >= 0; i-- {
			out = append(out, block[i])
		}
	}
	return out, nil
}

// prober tests whether ids, asked in decreasing order, are postings of a
// term, reusing the last decoded block.
type prober struct {
	terms  *bbolt.Bucket
	prefix []byte
	valid  bool     // block answers for ids in [lo, hi]
	block  []uint64 // increasing
	lo, hi uint64
	err    error
}

func (p *prober) has(id uint64) bool {
	if !p.valid || id < p.lo || id > p.hi {
		p.valid, p.block = true, p.block[:0]
		k, v := findBlock(p.terms.Cursor(), p.prefix, id)
		if k == nil {
			p.lo, p.hi = 0, id // no block holds ids up to id
			return false
		}
		var err error
		if p.block, err = decodeBlock(blockMin(k), v, p.block); err != nil {
			p.valid, p.err = false, err
			return false
		}
		// Blocks split the ids in ranges: this one answers from its
		// smallest id up to id at least.
		p.lo, p.hi = p.block[0], max(id, p.block[len(p.block)-1])
	}
	_, found := slices.BinarySearch(p.block, id)
	return found
}

// Rough costs in microseconds, used to choose how to answer a search
// (measured on a warm 1,000,000-tip file, rounded up).
const (
	costDecode    = 0.01 // decode one posting of a term's list
	costProbe     = 0.7  // find one id in a term's blocks, ids in no order
	costProbeDesc = 0.4  // the same, ids in decreasing order (blocks reused)
	costStep      = 0.06 // one entry of the all-time tips board, with a set lookup
	costTip       = 4.0  // read one tip's votes
)

// termInfo is a search term's postings prefix and how many tips it holds.
type termInfo struct {
	prefix []byte
	n      uint64
}

// queryTerms returns the postings of each term of query, indexed as
// index(term) (nil: the term itself), rarest first; nil when a term holds
// no tip, so that nothing matches.
func queryTerms(terms *bbolt.Bucket, query []string, index func(term string) string) []termInfo {
	infos := make([]termInfo, len(query))
	for i, q := range query {
		if index != nil {
			q = index(q)
		}
		infos[i].prefix = termKey(q)
		if infos[i].n = postingCount(terms, infos[i].prefix); infos[i].n == 0 {
			return nil
		}
	}
	slices.SortFunc(infos, func(a, b termInfo) int { return cmp.Compare(a.n, b.n) })
	return infos
}

// SearchTips returns up to limit ranked tips holding every term, most
// useful first, then newest.
//
// From the terms' posting counts it estimates the cost of three ways and
// takes the cheapest: walk the all-time ranking in result order probing
// each term's postings, stopping at limit matches (dense matches); decode
// the rarest term's ids, then walk the board testing them in memory and
// probing the others (a rare term with common ones); or intersect the
// terms' id lists, rarest first, then rank the matches by walking the
// board or, for a few, by reading their votes. Each walk has a step budget
// and falls back to intersecting, so a bad estimate (terms that avoid each
// other) costs at most a few times the best.
func (t *tx) SearchTips(query []string, limit int) ([]bot.Tip, error) {
	if err := t.flushed(); err != nil {
		return nil, err
	}
	terms := t.bucket(bTerms)
	query = dedupe(query)
	if terms == nil || limit <= 0 || len(query) == 0 {
		return nil, nil
	}
	infos := queryTerms(terms, query, nil)
	if infos == nil {
		return nil, nil
	}

	// Expected matches if the terms are independent, and the cost of each
	// way: walk the board probing every term (probes stop at the first
	// term missing); decode the rarest term, then walk testing it in
	// memory and probing the others; intersect every list, then rank.
	all, err := t.rankView(allPeriod)
	if err != nil {
		return nil, err
	}
	var ranked float64
	for _, b := range all {
		ranked += float64(boardSize(b))
	}
	step := stepCost(len(all))
	expected := ranked
	costIntersect := float64(infos[0].n) * costDecode
	probesAll, probesRest, reach := 0.0, 0.0, 1.0
	for i, ti := range infos {
		share := min(float64(ti.n)/max(ranked, 1), 1)
		expected *= share
		probesAll += reach
		if i > 0 {
			probesRest += reach
			costIntersect += min(float64(ti.n)*costDecode, float64(infos[0].n)*costProbeDesc)
		}
		reach *= share
	}
	expected = max(expected, 1)
	walkSteps := float64(limit) * ranked / expected
	costWalk := walkSteps * (step + costProbe*probesAll)
	costWalkSet := float64(infos[0].n)*costDecode + walkSteps*(step+costProbe*probesRest)

	if len(all) > 0 && min(costWalk, costWalkSet) < costIntersect {
		var rarest []uint64 // decreasing; nil: probe the rarest term too
		probing := infos
		if costWalkSet < costWalk {
			var err error
			if rarest, err = postings(terms, infos[0].prefix, infos[0].n); err != nil {
				return nil, fmt.Errorf("store: search: %w", err)
			}
			probing = infos[1:]
		}
		probers := make([]*prober, len(probing))
		for i, ti := range probing {
			probers[i] = &prober{terms: terms, prefix: ti.prefix}
		}
		var ids []bot.TipID
		done := walkBoards(all, int(2*costIntersect/step)+1000, func(id uint64) bool {
			if rarest != nil && !containsDesc(rarest, id) {
				return false
			}
			for _, p := range probers {
				if !p.has(id) {
					return false
				}
			}
			ids = append(ids, bot.TipID(id))
			return len(ids) == limit
		})
		for _, p := range probers {
			if p.err != nil {
				return nil, fmt.Errorf("store: search: %w", p.err)
			}
		}
		if done {
			return t.tips(ids)
		}
	}

	matches, err := postings(terms, infos[0].prefix, infos[0].n)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	for _, ti := range infos[1:] {
		if len(matches) == 0 {
			return nil, nil
		}
		if float64(ti.n)*costDecode < float64(len(matches))*costProbeDesc {
			other, err := postings(terms, ti.prefix, ti.n)
			if err != nil {
				return nil, fmt.Errorf("store: search: %w", err)
			}
			matches = intersectDesc(matches, other)
			continue
		}
		p := prober{terms: terms, prefix: ti.prefix}
		kept := matches[:0]
		for _, id := range matches {
			if p.has(id) {
				kept = append(kept, id)
			}
		}
		if p.err != nil {
			return nil, fmt.Errorf("store: search: %w", p.err)
		}
		matches = kept
	}
	if len(matches) == 0 {
		return nil, nil
	}
	m := float64(len(matches))
	costDirect := m * costTip
	if len(all) > 0 && float64(limit)*ranked/m*step < costDirect {
		if ids, done := rankByBoard(all, matches, limit, int(2*costDirect/step)+1000); done {
			return t.tips(ids)
		}
	}
	ids, err := t.rankDirect(matches, limit)
	if err != nil {
		return nil, err
	}
	return t.tips(ids)
}

// stepCost is costStep when walking the merge of n tips boards: each step
// also compares the boards' heads.
func stepCost(n int) float64 {
	return costStep * (1 + float64(max(n-1, 0))/8)
}

// intersectDesc keeps the ids of a that are also in b; both decrease.
func intersectDesc(a, b []uint64) []uint64 {
	out := a[:0]
	j := 0
	for _, id := range a {
		for j < len(b) && b[j] > id {
			j++
		}
		if j == len(b) {
			break
		}
		if b[j] == id {
			out = append(out, id)
		}
	}
	return out
}

// rankDirect reads the votes of every match and returns the best limit.
func (t *tx) rankDirect(matches []uint64, limit int) ([]bot.TipID, error) {
	tips := t.bucket(bTips)
	type scored struct {
		id    uint64
		votes int
	}
	all := make([]scored, 0, len(matches))
	for _, id := range matches {
		v := tips.Get(u64(id))
		if v == nil {
			continue
		}
		votes, ok := tipVotes(v)
		if !ok {
			return nil, fmt.Errorf("store: search: tip %s: %w", bot.TipID(id), errCorrupt)
		}
		all = append(all, scored{id, votes})
	}
	slices.SortFunc(all, func(a, b scored) int { return cmp.Or(cmp.Compare(b.votes, a.votes), cmp.Compare(b.id, a.id)) })
	ids := make([]bot.TipID, 0, min(limit, len(all)))
	for _, s := range all[:min(limit, len(all))] {
		ids = append(ids, bot.TipID(s.id))
	}
	return ids, nil
}

// rankByBoard walks the all-time ranking (see walkBoards) keeping the ids that are
// matches (decreasing) until limit came up. It gives up (done false) after
// budget entries.
func rankByBoard(all []*bbolt.Bucket, matches []uint64, limit, budget int) (ids []bot.TipID, done bool) {
	done = walkBoards(all, budget, func(id uint64) bool {
		if containsDesc(matches, id) {
			ids = append(ids, bot.TipID(id))
		}
		return len(ids) == limit
	})
	return ids, done
}

// containsDesc reports whether a decreasing list holds id.
func containsDesc(list []uint64, id uint64) bool {
	_, found := slices.BinarySearchFunc(list, id, func(e, target uint64) int { return cmp.Compare(target, e) })
	return found
}

// walkBoards calls visit with the ids of the merge of tips boards (all
// time merges the month boards), most votes first and newest first among
// equal votes, until visit returns true or the boards end (done true), or
// budget entries were visited (done false). Each group of equal votes is
// read backwards from its end in every board, then the walk seeks the next
// group.
func walkBoards(boards []*bbolt.Bucket, budget int, visit func(id uint64) bool) (done bool) {
	groupOf := func(k []byte) uint64 { return uint64(binary.BigEndian.Uint32(k[:4])) }
	curs := make([]*bbolt.Cursor, len(boards))
	for i, b := range boards {
		curs[i] = b.Cursor()
	}
	heads := make([][]byte, len(boards))
	var last []byte // a tip in two boards (periods naming two months) comes out twice in a row
	steps := 0
	for from := uint64(0); from <= math.MaxUint32; {
		// The next group present in any board.
		group := uint64(math.MaxUint32) + 1
		for _, c := range curs {
			if k, _ := c.Seek(binary.BigEndian.AppendUint32(nil, uint32(from))); len(k) == 12 {
				group = min(group, groupOf(k))
			}
		}
		if group > math.MaxUint32 {
			return true
		}
		// Each board's newest entry of the group.
		for i, c := range curs {
			var k []byte
			if group == math.MaxUint32 {
				k, _ = c.Last()
			} else if nk, _ := c.Seek(binary.BigEndian.AppendUint32(nil, uint32(group+1))); nk != nil {
				k, _ = c.Prev()
			} else {
				k, _ = c.Last()
			}
			if len(k) != 12 || groupOf(k) != group {
				k = nil
			}
			heads[i] = k
		}
		// Within the group the keys order the ids: take the largest.
		for {
			best := -1
			for i, k := range heads {
				if k != nil && (best < 0 || bytes.Compare(k, heads[best]) > 0) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			if steps++; steps > budget {
				return false
			}
			if k := heads[best]; !bytes.Equal(k, last) {
				last = k
				if visit(binary.BigEndian.Uint64(k[4:])) {
					return true
				}
			}
			k, _ := curs[best].Prev()
			if len(k) != 12 || groupOf(k) != group {
				k = nil
			}
			heads[best] = k
		}
		from = group + 1
	}
	return true
}

// dedupe returns ss without repeats, in first-seen order.
func dedupe(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
