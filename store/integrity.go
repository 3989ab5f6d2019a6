package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/tipbot/tipbot/bot"
)

// ErrDamaged is wrapped by every error about a damaged database file (see
// DamageError).
var ErrDamaged = errors.New("store: database damaged")

// DamageError says that the database file is damaged, what was seen and
// what to do. Once a DB has seen damage it refuses every write, so that
// what is left of the file stays as it is for tipbot salvage.
type DamageError struct {
	Path   string // the database file
	Detail string // what was found, e.g. "page 12 is neither a branch nor a leaf"
}

func (e *DamageError) Error() string {
	name := e.Path
	return fmt.Sprintf("the database %s is damaged (%s), so tipbot will not write to it. Stop tipbot and keep the file "+
		"as it is. Run \"tipbot check -db %s\" to list the damage, then \"tipbot salvage -db %s -o NEW.db\" to copy every "+
		"record that can still be read into a new file, and run tipbot on NEW.db (set store.path); or restore your "+
		"latest backup (tipbot backup, GET /admin/backup).", name, e.Detail, name, name)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Is(target error) bool { return target == ErrDamaged }

// CheckBudget is how long Open and OpenReadOnly wait for the integrity
// check of the file; a larger file is checked on in the background, and the
// first write waits for the end of that check.
const CheckBudget = 2 * time.Second

// The bbolt file format (go.etcd.io/bbolt internal/common), read here
// without bbolt so that a damaged file is never trusted: every offset is
// checked against the page and the file before it is used. Integers are in
// the machine's byte order, little-endian on every platform tipbot ships.
const (
	pageHeaderSize = 16 // id(8) flags(2) count(2) overflow(4)
	elemSize       = 16 // branch: pos, ksize, pgid(8); leaf: flags, pos, ksize, vsize
	bucketHeader   = 16 // root pgid(8), sequence(8)
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagFreelist   = 0x10
	leafIsBucket   = 0x01
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	metaSize       = 64 // magic … txid, then the checksum
	maxDepth       = 64
)

var le = binary.LittleEndian

// fileMeta is a sound meta page.
type fileMeta struct {
	pageSize int64
	root     uint64 // page of the root bucket
	freelist uint64
	hwm      uint64 // pages in use: every page id is below it
	txid     uint64
}

func parseMeta(p []byte) (fileMeta, error) {
	if len(p) < pageHeaderSize+metaSize {
		return fileMeta{}, errors.New("too short")
	}
	if le.Uint16(p[8:])&flagMeta == 0 {
		return fileMeta{}, errors.New("not marked as a meta page")
	}
	m := p[pageHeaderSize:]
	if le.Uint32(m[0:]) != boltMagic {
		return fileMeta{}, errors.New("no bbolt marker")
	}
	if le.Uint32(m[4:]) != boltVersion {
		return fileMeta{}, fmt.Errorf("bbolt format version %d", le.Uint32(m[4:]))
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return fileMeta{}, errors.New("checksum mismatch")
	}
	fm := fileMeta{
		pageSize: int64(le.Uint32(m[8:])),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		hwm:      le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}
	if fm.pageSize < 512 || fm.pageSize > 1<<16 || fm.pageSize&(fm.pageSize-1) != 0 {
		return fileMeta{}, fmt.Errorf("page size %d", fm.pageSize)
	}
	return fm, nil
}

// readMetas reads both meta pages and the file size. It returns the meta
// bbolt would use (the sound one of the higher transaction) and the
// problems seen: a damaged meta page, a file shorter than its pages.
func readMetas(f io.ReaderAt, size int64) (fileMeta, []string) {
	var problems []string
	buf := make([]byte, 4096)
	n, _ := f.ReadAt(buf, 0)
	m0, err0 := parseMeta(buf[:n])
	ps := int64(4096)
	if err0 == nil {
		ps = m0.pageSize
	}
	buf1 := make([]byte, pageHeaderSize+metaSize)
	n, _ = f.ReadAt(buf1, ps)
	m1, err1 := parseMeta(buf1[:n])
	if err0 != nil && err1 != nil && ps != 4096 {
		// Try the usual page size for the second meta too.
		n, _ = f.ReadAt(buf1, 4096)
		m1, err1 = parseMeta(buf1[:n])
	}
	if err0 != nil {
		problems = append(problems, fmt.Sprintf("meta page 0: %v", err0))
	}
	if err1 != nil {
		problems = append(problems, fmt.Sprintf("meta page 1: %v", err1))
	}
	var m fileMeta
	switch {
	case err0 != nil && err1 != nil:
		return fileMeta{}, problems
	case err0 != nil:
		m = m1
	case err1 != nil:
		m = m0
	case m1.txid > m0.txid:
		m = m1
	default:
		m = m0
	}
	if need := int64(m.hwm) * m.pageSize; size < need {
		problems = append(problems, fmt.Sprintf("the file is %d bytes, shorter than its %d pages of %d bytes (truncated)", size, m.hwm, m.pageSize))
	}
	if m.hwm < 4 || m.root < 2 || m.root >= m.hwm {
		problems = append(problems, fmt.Sprintf("meta page: root page %d outside the file's %d pages", m.root, m.hwm))
	}
	if m.freelist != ^uint64(0) && (m.freelist < 2 || m.freelist >= m.hwm) {
		problems = append(problems, fmt.Sprintf("meta page: freelist page %d outside the file's %d pages", m.freelist, m.hwm))
	}
	return m, problems
}

// scan walks the bucket tree of a bbolt file from its raw pages.
type scan struct {
	f        io.ReaderAt
	size     int64
	meta     fileMeta
	seen     map[uint64]bool
	stop     *atomic.Bool // set to abandon the scan (Close)
	problems []string
	pages    int
	records  int
	// record is called with each key and value of a bucket path (the
	// names of the nested buckets); it returns why the value does not
	// decode, or nil. The slices are valid only during the call.
	record func(path [][]byte, k, v []byte) error
	// bucket is called with each nested bucket and its sequence number.
	bucket func(path [][]byte, seq uint64)
	// lost counts, per bucket path, damaged pages and undecodable records.
	lostPages   map[string]int
	lostRecords map[string]int
	// free holds the pages the freelist names (and the freelist's own),
	// once it was read whole: freeKnown. Salvage's page scan skips them,
	// as they hold older versions of records.
	free      map[uint64]bool
	freeKnown bool
}

func newScan(f io.ReaderAt, size int64, m fileMeta) *scan {
	return &scan{f: f, size: size, meta: m, seen: map[uint64]bool{}, stop: new(atomic.Bool),
		lostPages: map[string]int{}, lostRecords: map[string]int{}}
}

// pathName is a bucket path as tipbot salvage prints it: "ws/slack:T1/tips".
func pathName(path [][]byte) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = fmt.Sprintf("%q", p)
		parts[i] = parts[i][1 : len(parts[i])-1]
	}
	if len(parts) == 0 {
		return "(root)"
	}
	return strings.Join(parts, "/")
}

func (s *scan) damaged(path [][]byte, format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf("%s: %s", pathName(path), fmt.Sprintf(format, args...)))
	s.lostPages[salvageGroup(path)]++
}

// page reads page id and its overflow pages, checking its header, and
// marks the overflow pages seen.
func (s *scan) page(id uint64) ([]byte, error) {
	buf, err := s.readPage(id)
	if err == nil && len(buf) > int(s.meta.pageSize) {
		for i := range uint64(len(buf)) / uint64(s.meta.pageSize) {
			s.seen[id+i] = true
		}
	}
	return buf, err
}

// readPage is page without marking anything seen.
func (s *scan) readPage(id uint64) ([]byte, error) {
	ps := s.meta.pageSize
	if id < 2 || id >= s.meta.hwm {
		return nil, fmt.Errorf("page %d is outside the file's %d pages", id, s.meta.hwm)
	}
	off := int64(id) * ps
	if off+ps > s.size {
		return nil, fmt.Errorf("page %d lies beyond the end of the file (truncated)", id)
	}
	hdr := make([]byte, ps)
	if _, err := s.f.ReadAt(hdr, off); err != nil {
		return nil, fmt.Errorf("page %d: %v", id, err)
	}
	if got := le.Uint64(hdr); got != id {
		return nil, fmt.Errorf("page %d names itself page %d", id, got)
	}
	over := uint64(le.Uint32(hdr[12:]))
	if over == 0 {
		return hdr, nil
	}
	if id+over >= s.meta.hwm || off+int64(over+1)*ps > s.size {
		return nil, fmt.Errorf("page %d claims %d overflow pages beyond the file", id, over)
	}
	buf := make([]byte, int64(over+1)*ps)
	if _, err := s.f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("page %d: %v", id, err)
	}
	return buf, nil
}

// run walks the whole tree from the root bucket.
func (s *scan) run() {
	s.checkFreelist()
	s.walkPage(nil, s.meta.root, 0)
}

// checkFreelist reads the freelist page, which bbolt loads at open: its
// ids must fit in it and name pages of the file.
func (s *scan) checkFreelist() {
	id := s.meta.freelist
	if id == ^uint64(0) {
		return // not synced (NoFreelistSync): bbolt rebuilds it
	}
	buf, err := s.page(id)
	if err != nil {
		s.damaged([][]byte{[]byte("(freelist)")}, "%v", err)
		return
	}
	if flags := le.Uint16(buf[8:]); flags != flagFreelist {
		s.damaged([][]byte{[]byte("(freelist)")}, "page %d is not a freelist page (flags %#x)", id, flags)
		return
	}
	count, at := uint64(le.Uint16(buf[10:])), uint64(pageHeaderSize)
	if count == 0xFFFF {
		count, at = le.Uint64(buf[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(buf))-at)/8 {
		s.damaged([][]byte{[]byte("(freelist)")}, "freelist page %d claims %d ids, more than it holds", id, count)
		return
	}
	free := map[uint64]bool{}
	for i := range uint64(len(buf)) / uint64(s.meta.pageSize) {
		free[id+i] = true
	}
	for i := range count {
		page := le.Uint64(buf[at+8*i:])
		if page < 2 || page >= s.meta.hwm {
			s.damaged([][]byte{[]byte("(freelist)")}, "freelist page %d names page %d, outside the file", id, page)
			return
		}
		free[page] = true
	}
	s.free, s.freeKnown = free, true
}

func (s *scan) walkPage(path [][]byte, id uint64, depth int) {
	if s.stop.Load() {
		return
	}
	if depth > maxDepth {
		s.damaged(path, "page %d: the tree is deeper than %d", id, maxDepth)
		return
	}
	if s.seen[id] {
		s.damaged(path, "page %d is referenced twice", id)
		return
	}
	s.seen[id] = true
	buf, err := s.page(id)
	if err != nil {
		s.damaged(path, "%v", err)
		return
	}
	s.pages++
	s.walkNode(path, buf, id, depth)
}

// walkNode reads the elements of a page (or of an inline bucket, id 0).
func (s *scan) walkNode(path [][]byte, buf []byte, id uint64, depth int) {
	flags := le.Uint16(buf[8:])
	count := int(le.Uint16(buf[10:]))
	if pageHeaderSize+count*elemSize > len(buf) {
		s.damaged(path, "page %d: %d elements do not fit in it", id, count)
		return
	}
	// field returns buf[at : at+n] if it lies in the page.
	field := func(at, n uint64) ([]byte, bool) {
		if at > uint64(len(buf)) || n > uint64(len(buf))-at {
			return nil, false
		}
		return buf[at : at+n], true
	}
	var prev []byte
	switch flags {
	case flagBranch:
		children := make([]uint64, 0, count)
		for i := range count {
			e := uint64(pageHeaderSize + i*elemSize)
			k, ok := field(e+uint64(le.Uint32(buf[e:])), uint64(le.Uint32(buf[e+4:])))
			if !ok || (i > 0 && bytes.Compare(prev, k) >= 0) {
				s.damaged(path, "branch page %d: element %d is out of place", id, i)
				return
			}
			prev = k
			children = append(children, le.Uint64(buf[e+8:]))
		}
		for _, c := range children {
			s.walkPage(path, c, depth+1)
		}
	case flagLeaf:
		bad := 0
		for i := range count {
			e := uint64(pageHeaderSize + i*elemSize)
			kflags := le.Uint32(buf[e:])
			ksize, vsize := uint64(le.Uint32(buf[e+8:])), uint64(le.Uint32(buf[e+12:]))
			kv, ok := field(e+uint64(le.Uint32(buf[e+4:])), ksize+vsize)
			if !ok || ksize == 0 || (i > 0 && bytes.Compare(prev, kv[:ksize]) >= 0) || kflags&^leafIsBucket != 0 {
				bad++
				continue
			}
			k, v := kv[:ksize], kv[ksize:]
			prev = k
			if kflags&leafIsBucket == 0 {
				s.records++
				if s.record != nil {
					if err := s.record(path, k, v); err != nil {
						s.problems = append(s.problems, fmt.Sprintf("%s: %v", pathName(path), err))
						s.lostRecords[salvageGroup(path)]++
					}
				}
				continue
			}
			sub := append(path[:len(path):len(path)], k)
			if len(v) < bucketHeader {
				s.damaged(sub, "the bucket's header is cut short")
				continue
			}
			if s.bucket != nil {
				s.bucket(sub, le.Uint64(v[8:]))
			}
			if root := le.Uint64(v); root != 0 {
				s.walkPage(sub, root, depth+1)
			} else if len(v) < bucketHeader+pageHeaderSize {
				s.damaged(sub, "the inline bucket is cut short")
			} else {
				s.walkNode(sub, v[bucketHeader:], 0, depth+1)
			}
		}
		if bad > 0 {
			s.damaged(path, "leaf page %d: %d of its %d elements are damaged", id, bad, count)
		}
	default:
		s.damaged(path, "page %d is neither a branch nor a leaf (flags %#x)", id, flags)
	}
}

// decodes returns why a record of a tipbot bucket does not decode, or nil.
// Buckets it does not know are accepted as they are.
func decodes(path [][]byte, k, v []byte) error {
	if len(path) == 1 && string(path[0]) == string(bucketMeta) && string(k) == string(keySchema) && len(v) != 4 {
		return errors.New("bad schema version record")
	}
	if len(path) != 3 || string(path[0]) != string(bucketWS) {
		return nil
	}
	switch string(path[2]) {
	case "tips":
		if len(k) != 8 {
			return fmt.Errorf("tip key %x is not 8 bytes", k)
		}
		_, err := decodeTip(bot.TipID(binary.BigEndian.Uint64(k)), v)
		return err
	case "persons":
		_, err := decodePerson(string(k), v)
		return err
	case "people":
		_, err := decodeMember(string(k), v)
		return err
	case "counters":
		if len(v) != 8 {
			return fmt.Errorf("counter %q is %d bytes, not 8", k, len(v))
		}
	case "votes", "pending":
		if _, err := decodeEmojis(v); err != nil {
			return fmt.Errorf("emoji set %x: %w", k, err)
		}
	case "votelog":
		if len(k) != 8 {
			return fmt.Errorf("vote log key %x is not 8 bytes", k)
		}
		var bad error
		if err := eachLoggedVote(v, func(key, emojis []byte) {
			if _, err := decodeEmojis(emojis); err != nil && bad == nil {
				bad = fmt.Errorf("vote log record %x: emoji set of %x: %w", k, key, err)
			}
		}); err != nil {
			return fmt.Errorf("vote log record %x: %w", k, err)
		}
		return bad
	}
	return nil
}

// Report is the outcome of a full check of a database file.
type Report struct {
	Pages    int      // pages of the tree read
	Records  int      // records (keys with values) found
	Problems []string // what is damaged, empty when the file is sound
}

// Sound tells whether the check found nothing wrong.
func (r Report) Sound() bool { return len(r.Problems) == 0 }

// checkFile reads the file at path from its raw pages: both meta pages,
// the whole bucket tree, every record of a known kind decoded. stop
// abandons it early (then the report is incomplete).
func checkFile(path string, stop *atomic.Bool) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Report{}, err
	}
	if st.Size() == 0 {
		return Report{}, nil // a new file, bbolt writes its first pages
	}
	m, problems := readMetas(f, st.Size())
	if len(problems) > 0 && m.pageSize == 0 {
		return Report{Problems: problems}, nil
	}
	s := newScan(f, st.Size(), m)
	if stop != nil {
		s.stop = stop
	}
	s.record = decodes
	s.problems = problems
	s.run()
	return Report{Pages: s.pages, Records: s.records, Problems: s.problems}, nil
}

// preCheck reads the meta pages and the size of an existing file, before
// bbolt maps it: a file shorter than its meta says would fault on access.
func preCheck(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bbolt reports it, or creates the file
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil
	}
	if _, problems := readMetas(f, st.Size()); len(problems) > 0 {
		return &DamageError{Path: path, Detail: strings.Join(problems, "; ")}
	}
	return nil
}

// summary joins the first problems of a report for a DamageError.
func summary(problems []string) string {
	const shown = 3
	if len(problems) <= shown {
		return strings.Join(problems, "; ")
	}
	return strings.Join(problems[:shown], "; ") + fmt.Sprintf("; and %d more problems", len(problems)-shown)
}

// damageFromPanic reports whether a recovered panic comes from reading the
// file: raised in bbolt or in this package's decoding (a fault on the
// mapped file, an assertion on a page, an index out of a value's bounds),
// not in a caller's function. It must be called from the deferred
// function that recovered the panic, while the panicking stack is intact.
func damageFromPanic() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	panicking := false
	for {
		fr, more := frames.Next()
		switch {
		case fr.Function == "runtime.gopanic" || fr.Function == "runtime.sigpanic":
			panicking = true
		case panicking && strings.HasPrefix(fr.Function, "runtime."):
		case panicking:
			return strings.HasPrefix(fr.Function, "go.etcd.io/bbolt") ||
				(strings.HasPrefix(fr.Function, "github.com/tipbot/tipbot/store.") && !strings.HasSuffix(fr.File, "_test.go"))
		}
		if !more {
			return false
		}
	}
}

// base is the file name shown in short messages.
func base(path string) string { return filepath.Base(path) }

// holdShared opens path read-only with bbolt to hold its shared lock while
// the file is read from its pages: it fails with ErrInUse while a running
// tipbot holds the file. When bbolt cannot open the file (it is damaged),
// the raw reading goes on without it: db is nil then.
func holdShared(path string, timeout time.Duration) (db *DB, err error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	db = &DB{path: path, log: slogDiscard(), readOnly: true}
	if preCheck(path) != nil {
		return nil, nil
	}
	err = db.guard(func() error {
		var err error
		db.bolt, err = bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: timeout})
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is %w", base(path), ErrInUse)
	}
	if err != nil {
		return nil, nil
	}
	return db, nil
}

// CheckFile checks the database file at path as DB.Check does, without
// writing it, and reports what it found; it works on a file too damaged
// for Open. It fails with ErrInUse while a running tipbot holds the file.
func CheckFile(path string, o Options) (Report, error) {
	if _, err := os.Stat(path); err != nil {
		return Report{}, err
	}
	db, err := holdShared(path, o.Timeout)
	if err != nil {
		return Report{}, err
	}
	if db == nil {
		return checkFile(path, nil)
	}
	defer db.bolt.Close()
	r, err := db.fullCheck()
	if d := (*DamageError)(nil); errors.As(err, &d) {
		r.Problems = append(r.Problems, d.Detail)
		err = nil
	}
	return r, err
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
