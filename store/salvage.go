package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// BucketSalvage is what tipbot salvage saved and lost of one bucket (and
// the buckets nested in it).
type BucketSalvage struct {
	Bucket       string // e.g. "ws/slack:T1/tips"
	Saved        int    // records copied
	Undecodable  int    // records found whose value does not decode (lost)
	DamagedPages int    // damaged pages: what they held is lost
}

// SalvageReport is the outcome of Salvage.
type SalvageReport struct {
	Buckets  []BucketSalvage // in name order
	Saved    int             // records copied, all buckets
	Problems []string        // the damage met, as Check lists it
}

// Salvage copies every record of the database file src that can still be
// read and decoded into a new file dst (which must not exist), bucket by
// bucket, with each bucket's sequence number. It reads src from its raw
// pages without trusting them, so it works on a file bbolt refuses to
// open, and never writes src. Records below a damaged page, or whose
// value does not decode, are lost and counted. Stop tipbot before: a file
// being written may read as damaged. Derived data (rankings, the search
// index, counters) is copied as found and may still count lost tips.
func Salvage(src, dst string) (SalvageReport, error) {
	return SalvageWith(src, dst, SalvageOptions{})
}

// SalvageOptions tune Salvage.
type SalvageOptions struct {
	// Workspace is the key of the workspace ("slack:T0123") that records
	// met on pages cut off from their bucket belong to, when the file no
	// longer tells it (the pages naming it are lost) and has held only
	// that one; "" leaves such records out and says so.
	Workspace string
}

// SalvageWith is Salvage with options.
func SalvageWith(src, dst string, o SalvageOptions) (SalvageReport, error) {
	if o.Workspace != "" {
		w, err := bot.ParseWorkspace(o.Workspace)
		if err != nil || w.Key() != o.Workspace {
			return SalvageReport{}, fmt.Errorf("store: salvage: %q is not a workspace key such as slack:T0123", o.Workspace)
		}
	}
	if held, err := holdShared(src, 0); err != nil {
		return SalvageReport{}, err
	} else if held != nil {
		defer held.bolt.Close()
	}
	f, err := os.Open(src)
	if err != nil {
		return SalvageReport{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return SalvageReport{}, err
	}
	m, problems := readMetas(f, st.Size())
	if m.pageSize == 0 {
		// No tree to start from: the page scan alone, with bbolt's usual
		// page size and no freelist.
		const ps = 4096
		if st.Size() < 3*ps {
			return SalvageReport{Problems: problems}, fmt.Errorf("store: salvage %s: both meta pages are damaged (%s); nothing can be read from it, restore a backup", src, summary(problems))
		}
		m = fileMeta{pageSize: ps, hwm: uint64(st.Size() / ps), freelist: ^uint64(0)}
		problems = append(problems, "both meta pages are damaged: the pages are read as 4096 bytes each, with no tree to start from")
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		return SalvageReport{}, fmt.Errorf("store: salvage: %s already exists; name a new file", dst)
	}
	out, err := bbolt.Open(dst, 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return SalvageReport{}, fmt.Errorf("store: salvage: %w", err)
	}
	rep, err := salvageInto(f, st.Size(), m, problems, out, o)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		// The copy is a tipbot database even when the records of the
		// schema were lost: Open writes what is missing.
		var db *DB
		if db, err = Open(dst, Options{}); err == nil {
			err = db.Close()
		}
	}
	if err != nil {
		_ = os.Remove(dst)
		return rep, fmt.Errorf("store: salvage into %s: %w", dst, err)
	}
	return rep, nil
}

// salvageGroup is the bucket a path is reported under: at most three
// levels ("ws/slack:T1/tips"), deeper buckets counting in their parent.
func salvageGroup(path [][]byte) string {
	if len(path) > 3 {
		path = path[:3]
	}
	return pathName(path)
}

func salvageInto(f interface {
	ReadAt([]byte, int64) (int, error)
}, size int64, m fileMeta, problems []string, out *bbolt.DB, o SalvageOptions) (SalvageReport, error) {
	tx, err := out.Begin(true)
	if err != nil {
		return SalvageReport{}, err
	}
	defer func() { _ = tx.Rollback() }()
	groups := map[string]*BucketSalvage{}
	named := func(name string) *BucketSalvage {
		g := groups[name]
		if g == nil {
			g = &BucketSalvage{Bucket: name}
			groups[name] = g
		}
		return g
	}
	group := func(path [][]byte) *BucketSalvage { return named(salvageGroup(path)) }
	// bucketAt creates the nested buckets of path in the new file.
	bucketAt := func(path [][]byte) (*bbolt.Bucket, error) {
		b, err := tx.CreateBucketIfNotExists(path[0])
		for _, name := range path[1:] {
			if err != nil {
				break
			}
			b, err = b.CreateBucketIfNotExists(name)
		}
		return b, err
	}
	var werr error
	var workspaces [][]byte
	s := newScan(f, size, m)
	s.problems = problems
	s.bucket = func(path [][]byte, seq uint64) {
		if len(path) == 2 && bytes.Equal(path[0], bucketWS) && !slices.ContainsFunc(workspaces, func(w []byte) bool { return bytes.Equal(w, path[1]) }) {
			workspaces = append(workspaces, bytes.Clone(path[1]))
		}
		b, err := bucketAt(path)
		if err == nil && seq != 0 {
			err = b.SetSequence(seq)
		}
		if err != nil && werr == nil {
			werr = err
		}
	}
	s.record = func(path [][]byte, k, v []byte) error {
		if err := decodes(path, k, v); err != nil {
			return err
		}
		if len(path) == 0 {
			return errors.New("a value at the top level, outside any bucket")
		}
		b, err := bucketAt(path)
		if err == nil {
			err = b.Put(k, v)
		}
		if err != nil {
			if werr == nil {
				werr = err
			}
			return err
		}
		group(path).Saved++
		return nil
	}
	if m.root != 0 {
		s.run()
	}
	s.scanPages(func() []byte {
		if len(workspaces) == 1 {
			return workspaces[0]
		}
		return nil
	}, []byte(o.Workspace), func(path [][]byte, k []byte) bool {
		b := tx.Bucket(path[0])
		for _, name := range path[1:] {
			if b == nil {
				return false
			}
			b = b.Bucket(name)
		}
		return b != nil && b.Get(k) != nil
	})
	// Tips met on loose pages may lie past the sequence the tips bucket's
	// header kept: new tips must not take their ids.
	if wss := tx.Bucket(bucketWS); wss != nil && werr == nil {
		werr = wss.ForEachBucket(func(w []byte) error {
			if tips := wss.Bucket(w).Bucket(sub[bTips].name); tips != nil {
				if k, _ := tips.Cursor().Last(); len(k) == 8 && binary.BigEndian.Uint64(k) > tips.Sequence() {
					return tips.SetSequence(binary.BigEndian.Uint64(k))
				}
			}
			return nil
		})
	}
	if werr != nil {
		return SalvageReport{}, werr
	}
	rep := SalvageReport{Problems: s.problems}
	for name, n := range s.lostRecords {
		named(name).Undecodable += n
	}
	for name, n := range s.lostPages {
		named(name).DamagedPages += n
	}
	for _, g := range groups {
		rep.Buckets = append(rep.Buckets, *g)
		rep.Saved += g.Saved
	}
	slices.SortFunc(rep.Buckets, func(a, b BucketSalvage) int {
		switch {
		case a.Bucket < b.Bucket:
			return -1
		case a.Bucket > b.Bucket:
			return 1
		}
		return 0
	})
	return rep, tx.Commit()
}

// pageKinds are the workspace buckets whose records the page scan can
// place by their own shape when the pages above them are lost: the data
// people gave (tips, votes, names), not what is derived from it.
var pageKinds = []int{bTips, bMsgs, bAuthors, bVotes, bPending, bPersons, bChannels, bPeople}

// lowID tells whether an 8-byte big-endian key is a plausible tip id: not
// zero and below 2^48, so its first two bytes are zero.
func lowID(b []byte) bool {
	return len(b) == 8 && b[0] == 0 && b[1] == 0 && binary.BigEndian.Uint64(b) != 0
}

// emojiSet tells whether v is a set of one or more non-empty names.
func emojiSet(v []byte) bool {
	names, err := decodeEmojis(v)
	if err != nil || len(names) == 0 {
		return false
	}
	for _, n := range names {
		if n == "" {
			return false
		}
	}
	return true
}

// fits tells whether k and v have the shape of a record of the workspace
// bucket kind, decoded with the store's codecs and, for records, written
// back to the very same bytes.
func fits(kind int, k, v []byte) bool {
	switch kind {
	case bTips:
		if !lowID(k) {
			return false
		}
		t, err := decodeTip(bot.TipID(binary.BigEndian.Uint64(k)), v)
		return err == nil && bytes.Equal(encodeTip(t), v)
	case bPersons:
		p, err := decodePerson(string(k), v)
		return len(k) > 0 && err == nil && bytes.Equal(encodePerson(p), v)
	case bPeople:
		m, err := decodeMember(string(k), v)
		return len(k) > 0 && err == nil && bytes.Equal(encodeMember(m), v)
	case bVotes:
		return len(k) > 8 && lowID(k[:8]) && emojiSet(v)
	case bPending:
		ch, rest, ok := cutStr(k)
		if !ok || len(ch) == 0 {
			return false
		}
		msg, voter, ok := cutStr(rest)
		return ok && len(msg) > 0 && len(voter) > 0 && emojiSet(v)
	case bMsgs:
		ch, msg, ok := cutStr(k)
		return ok && len(ch) > 0 && len(msg) > 0 && lowID(v)
	case bAuthors:
		a, rest, ok := cutStr(k)
		return ok && len(a) > 0 && lowID(rest) && len(v) == 0
	case bChannels:
		c, rest, ok := cutStr(k)
		return ok && len(c) > 0 && len(rest) == 16 && lowID(rest[8:]) && len(v) == 0
	}
	return false
}

// leafElem is a key and value of a leaf page; bucket tells a nested
// bucket's header (and inline page) from a record.
type leafElem struct {
	k, v   []byte
	bucket bool
}

// leafElems reads the sound elements of a leaf page: in the page, in key
// order, with known flags. ok is false when any element is not.
func leafElems(buf []byte) (elems []leafElem, ok bool) {
	count := int(le.Uint16(buf[10:]))
	if pageHeaderSize+count*elemSize > len(buf) {
		return nil, false
	}
	var prev []byte
	for i := range count {
		e := uint64(pageHeaderSize + i*elemSize)
		kflags := le.Uint32(buf[e:])
		at := e + uint64(le.Uint32(buf[e+4:]))
		ksize, vsize := uint64(le.Uint32(buf[e+8:])), uint64(le.Uint32(buf[e+12:]))
		if at > uint64(len(buf)) || ksize+vsize > uint64(len(buf))-at || ksize == 0 || kflags&^leafIsBucket != 0 {
			return nil, false
		}
		k := buf[at : at+ksize]
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			return nil, false
		}
		prev = k
		elems = append(elems, leafElem{k: k, v: buf[at+ksize : at+ksize+vsize], bucket: kflags&leafIsBucket != 0})
	}
	return elems, true
}

// take marks a loose page (and its overflow pages) as read.
func (s *scan) take(id uint64, buf []byte) {
	for i := range uint64(len(buf)) / uint64(s.meta.pageSize) {
		s.seen[id+i] = true
	}
	s.pages++
}

// loneWorkspace looks, among leaf pages, for leaves of the ws bucket
// (every element a bucket named as a workspace is), on the pages or
// inline in a bucket of theirs (a small ws bucket lives inside the root's
// leaf): it returns the workspace they name when they all name the same
// one, else nil.
func (s *scan) loneWorkspace(leaves []uint64) []byte {
	var ws []byte
	several := false
	var look func(buf []byte, depth int)
	look = func(buf []byte, depth int) {
		elems, ok := leafElems(buf)
		if !ok || len(elems) == 0 {
			return
		}
		names := true
		for _, e := range elems {
			w, err := bot.ParseWorkspace(string(e.k))
			names = names && e.bucket && err == nil && w.Key() == string(e.k)
		}
		if names {
			for _, e := range elems {
				if ws != nil && !bytes.Equal(ws, e.k) {
					several = true
				}
				ws = e.k
			}
			return
		}
		if depth == 0 {
			return
		}
		for _, e := range elems {
			// An inline bucket: its header's root page is 0 and its
			// page follows the header.
			if e.bucket && len(e.v) > bucketHeader+pageHeaderSize && le.Uint64(e.v) == 0 {
				look(e.v[bucketHeader:], depth-1)
			}
		}
	}
	for _, id := range leaves {
		if buf, err := s.readPage(id); err == nil {
			look(buf, 2)
		}
	}
	if several {
		return nil
	}
	return bytes.Clone(ws)
}

// leafPages lists the pages below last whose header says they are leaves
// (whether the tree walk read them or the freelist names them).
func (s *scan) leafPages(last uint64) []uint64 {
	var leaves []uint64
	hdr := make([]byte, pageHeaderSize)
	for id := uint64(2); id < last; id++ {
		if _, err := s.f.ReadAt(hdr, int64(id)*s.meta.pageSize); err != nil {
			continue
		}
		if le.Uint64(hdr) == id && le.Uint16(hdr[8:]) == flagLeaf {
			leaves = append(leaves, id)
		}
	}
	return leaves
}

// lostGroup is where the page scan counts the leaf pages it found but
// could not place in a bucket.
const lostGroup = "(pages cut off from their bucket)"

// scanPages is salvage's second pass, after the walk of the tree: it
// reads every page of the file the walk did not reach (cut off by a
// damaged or missing page above it) and that the freelist does not name,
// and recovers the records of the sound leaf pages among them. A leaf of
// a workspace bucket (its elements the workspace's buckets) gives their
// trees back whole; a leaf of records is placed in the one workspace
// bucket whose shape every record has (see fits). Both need the file to
// hold one workspace, ws; with several, or none known, such pages are
// counted as lost. has tells whether the copy already holds a key: a
// record the walk found wins over a copy met on a loose page.
func (s *scan) scanPages(known func() []byte, given []byte, has func(path [][]byte, k []byte) bool) {
	if !s.freeKnown {
		s.problems = append(s.problems, "the freelist is lost: the loose pages read may also hold older versions of records, "+
			"or records deleted since (forget-me); where a key is met twice the first is kept")
	}
	ps := s.meta.pageSize
	last := min(s.meta.hwm, uint64(s.size/ps))
	var leaves []uint64
	for id := uint64(2); id < last; id++ {
		if s.seen[id] || s.free[id] {
			continue
		}
		hdr := make([]byte, pageHeaderSize)
		if _, err := s.f.ReadAt(hdr, int64(id)*ps); err != nil {
			continue
		}
		if le.Uint64(hdr) == id && le.Uint16(hdr[8:]) == flagLeaf {
			leaves = append(leaves, id)
		}
	}
	isSub := func(name []byte) bool {
		for i := range sub {
			if bytes.Equal(sub[i].name, name) {
				return true
			}
		}
		return false
	}
	// lost pages are listed once per reason, in the order first met.
	var reasons []string
	lostIDs := map[string][]uint64{}
	lost := func(id uint64, why string) {
		if lostIDs[why] == nil {
			reasons = append(reasons, why)
		}
		lostIDs[why] = append(lostIDs[why], id)
		s.lostPages[lostGroup]++
	}
	defer func() {
		for _, why := range reasons {
			ids := lostIDs[why]
			list := fmt.Sprint(ids[:min(len(ids), 8)])
			if len(ids) > 8 {
				list = list[:len(list)-1] + " …]"
			}
			s.problems = append(s.problems, fmt.Sprintf("%d loose pages %s: %s", len(ids), list, why))
		}
	}()
	ws := known()
	if ws == nil && len(leaves) > 0 {
		ws = s.loneWorkspace(leaves)
	}
	if ws == nil && len(leaves) > 0 {
		// The page naming the workspace is lost (the root of a cut
		// file): an older copy of it, on a page freed since, still names
		// it when the file has only ever held one workspace.
		ws = s.loneWorkspace(s.leafPages(last))
	}
	if ws == nil && len(given) > 0 {
		ws = given // the operator says which (salvage -workspace)
	}
	// First the leaves of a workspace bucket: the trees below them are
	// walked as the tree walk does, with their bucket paths. Not when the
	// freelist is lost: such a leaf may be an old one, naming pages that
	// were freed and written again since.
	for _, id := range leaves {
		if !s.freeKnown || s.seen[id] || s.stop.Load() {
			continue
		}
		buf, err := s.readPage(id)
		if err != nil {
			continue
		}
		elems, ok := leafElems(buf)
		if !ok || len(elems) == 0 || !elems[0].bucket {
			continue
		}
		wsLeaf := true
		for _, e := range elems {
			wsLeaf = wsLeaf && e.bucket && isSub(e.k)
		}
		if !wsLeaf {
			continue // buckets deeper down (periods, event slots, record kinds): no name to place them
		}
		if ws == nil {
			lost(id, "a workspace's buckets, but the file does not tell which workspace (salvage again with -workspace ID)")
			continue
		}
		s.take(id, buf)
		for _, e := range elems {
			path := [][]byte{bucketWS, ws, e.k}
			if len(e.v) < bucketHeader {
				s.damaged(path, "the bucket's header is cut short")
				continue
			}
			if s.bucket != nil {
				s.bucket(path, le.Uint64(e.v[8:]))
			}
			if root := le.Uint64(e.v); root == 0 && len(e.v) >= bucketHeader+pageHeaderSize {
				s.walkNode(path, e.v[bucketHeader:], 0, 3)
			} else if root != 0 && !s.seen[root] {
				s.walkPage(path, root, 3)
			}
		}
	}
	// Then the leaves of records, placed by their shape.
	for _, id := range leaves {
		if s.seen[id] || s.stop.Load() {
			continue
		}
		buf, err := s.readPage(id)
		if err != nil {
			lost(id, err.Error())
			continue
		}
		elems, ok := leafElems(buf)
		if !ok {
			lost(id, "a leaf page whose elements are damaged")
			continue
		}
		if len(elems) == 0 {
			continue
		}
		kind := -1
		for _, c := range pageKinds {
			all := true
			for _, e := range elems {
				all = all && !e.bucket && fits(c, e.k, e.v)
			}
			if !all {
				continue
			}
			if kind >= 0 {
				kind = -2 // two kinds fit: no guess
				break
			}
			kind = c
		}
		switch {
		case kind < 0:
			lost(id, "records of no single workspace bucket that can be told by their shape "+
				"(rankings, search terms, event ids, counters: derived or short-lived data), or damaged ones")
			continue
		case ws == nil:
			lost(id, fmt.Sprintf("records of %s, but the file does not tell which workspace (salvage again with -workspace ID)", sub[kind].name))
			continue
		}
		s.take(id, buf)
		path := [][]byte{bucketWS, ws, sub[kind].name}
		for _, e := range elems {
			if has(path, e.k) {
				continue
			}
			s.records++
			if err := s.record(path, e.k, e.v); err != nil {
				s.problems = append(s.problems, fmt.Sprintf("%s: %v", pathName(path), err))
				s.lostRecords[salvageGroup(path)]++
			}
		}
	}
}
