package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// Record formats. The first byte of every stored tip and person is its
// format version, so a later schema can read older records.
const (
	tipFormat    = 1
	personFormat = 1
	memberFormat = 1
)

var errCorrupt = errors.New("corrupt record")

// encoder appends compact fields to a byte slice: strings as uvarint length
// then bytes, integers as varints.
type encoder struct{ b []byte }

func (e *encoder) byte(c byte)      { e.b = append(e.b, c) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *encoder) bool(v bool)      { e.byte(boolByte(v)) }
func (e *encoder) time(t time.Time) { e.varint(t.Unix()); e.uvarint(uint64(t.Nanosecond())) }
func (e *encoder) code(s string, table []string) {
	for i, v := range table {
		if v == s {
			e.byte(byte(i + 1))
			return
		}
	}
	e.byte(0)
	e.str(s)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decoder reads what encoder wrote. The first error sticks; later reads
// return zero values, so callers check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// str copies the string out of the transaction's memory.
func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) strs() []string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) { // each string takes at least one byte
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) bool() bool { return d.byte() == 1 }

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if d.err != nil || nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) code(table []string) string {
	c := d.byte()
	if c == 0 {
		return d.str()
	}
	if int(c) > len(table) {
		d.fail()
		return ""
	}
	return table[c-1]
}

var (
	sourceCodes     = []string{string(bot.SourceCommand), string(bot.SourcePrefix), string(bot.SourceReaction), string(bot.SourceShortcut), string(bot.SourceSession)}
	visibilityCodes = []string{string(bot.VisibilityChannel), string(bot.VisibilityUnknown), string(bot.VisibilityThread)}
	statusCodes     = []string{string(bot.StatusPublished), string(bot.StatusPending), string(bot.StatusFeatured), string(bot.StatusRejected)}
)

// encodeTip writes every field of t but its id, which is the key.
func encodeTip(t bot.Tip) []byte {
	e := encoder{b: make([]byte, 0, 64+len(t.Text))}
	e.byte(tipFormat)
	e.str(t.Channel)
	e.str(t.MessageID)
	e.str(t.ThreadID)
	e.str(t.AuthorID)
	e.str(t.AuthorName)
	e.str(t.Text)
	e.strs(t.Topics)
	e.code(string(t.Source), sourceCodes)
	e.uvarint(uint64(t.SessionID))
	e.code(string(t.Status), statusCodes)
	e.varint(int64(t.UsefulVotes))
	e.time(t.CreatedAt)
	e.time(t.UpdatedAt)
	e.str(t.CapturedBy)
	e.strs(t.Periods)
	e.bool(t.HallOfFame)
	// Added later: absent (workspace) in older records and in tips of the
	// whole workspace.
	if t.Visibility != bot.VisibilityWorkspace || t.Applied > 0 {
		e.code(string(t.Visibility), visibilityCodes)
	}
	// Added later still: the applied count, absent when 0.
	if t.Applied > 0 {
		e.uvarint(uint64(t.Applied))
	}
	return e.b
}

func decodeTip(id bot.TipID, b []byte) (bot.Tip, error) {
	d := decoder{b: b}
	if v := d.byte(); v != tipFormat {
		return bot.Tip{}, fmt.Errorf("store: tip %s: unknown format %d", id, v)
	}
	t := bot.Tip{ID: id}
	t.Channel = d.str()
	t.MessageID = d.str()
	t.ThreadID = d.str()
	t.AuthorID = d.str()
	t.AuthorName = d.str()
	t.Text = d.str()
	t.Topics = d.strs()
	t.Source = bot.Source(d.code(sourceCodes))
	t.SessionID = bot.SessionID(d.uvarint())
	t.Status = bot.Status(d.code(statusCodes))
	t.UsefulVotes = int(d.varint())
	t.CreatedAt = d.time()
	t.UpdatedAt = d.time()
	t.CapturedBy = d.str()
	t.Periods = d.strs()
	t.HallOfFame = d.bool()
	if len(d.b) > 0 && d.err == nil {
		t.Visibility = bot.Visibility(d.code(visibilityCodes))
	}
	if len(d.b) > 0 && d.err == nil {
		t.Applied = int(d.uvarint())
	}
	if d.err != nil {
		return bot.Tip{}, fmt.Errorf("store: tip %s: %w", id, d.err)
	}
	return t, nil
}

// tipVotes reads only the useful votes of an encoded tip.
func tipVotes(b []byte) (int, bool) {
	d := decoder{b: b}
	if d.byte() != tipFormat {
		return 0, false
	}
	for range 6 { // channel, message, thread, author, author name, text
		d.raw()
	}
	for n := d.uvarint(); n > 0 && d.err == nil; n-- { // topics
		d.raw()
	}
	d.code(sourceCodes)
	d.uvarint() // session
	d.code(statusCodes)
	v := d.varint()
	return int(v), d.err == nil
}

func encodePerson(p bot.Person) []byte {
	e := encoder{}
	e.byte(personFormat)
	e.str(p.Name)
	e.time(p.FirstTipAt)
	return e.b
}

func decodePerson(id string, b []byte) (bot.Person, error) {
	d := decoder{b: b}
	if v := d.byte(); v != personFormat {
		return bot.Person{}, fmt.Errorf("store: person %q: unknown format %d", id, v)
	}
	p := bot.Person{ID: id, Name: d.str(), FirstTipAt: d.time()}
	if d.err != nil {
		return bot.Person{}, fmt.Errorf("store: person %q: %w", id, d.err)
	}
	return p, nil
}

// encodeMember writes a directory entry: format, flags (bot 1, admin 2,
// deleted 4, foreign 8), name, locale.
func encodeMember(m bot.Member) []byte {
	e := encoder{b: make([]byte, 0, 4+len(m.Name)+len(m.Locale))}
	e.byte(memberFormat)
	var flags byte
	if m.Bot {
		flags |= 1
	}
	if m.Admin {
		flags |= 2
	}
	if m.Deleted {
		flags |= 4
	}
	if m.Foreign {
		flags |= 8
	}
	e.byte(flags)
	e.str(m.Name)
	e.str(m.Locale)
	return e.b
}

func decodeMember(id string, b []byte) (bot.Member, error) {
	d := decoder{b: b}
	if v := d.byte(); v != memberFormat {
		return bot.Member{}, fmt.Errorf("store: member %q: unknown format %d", id, v)
	}
	flags := d.byte()
	m := bot.Member{ID: id, Bot: flags&1 != 0, Admin: flags&2 != 0, Deleted: flags&4 != 0, Foreign: flags&8 != 0, Name: d.str(), Locale: d.str()}
	if d.err != nil {
		return bot.Member{}, fmt.Errorf("store: member %q: %w", id, d.err)
	}
	return m, nil
}

// encodeEmojis writes an emoji set: each name as uvarint length and bytes.
func encodeEmojis(emojis []string) []byte {
	e := encoder{b: make([]byte, 0, 8*len(emojis))}
	for _, s := range emojis {
		e.str(s)
	}
	return e.b
}

func decodeEmojis(b []byte) ([]string, error) {
	d := decoder{b: b}
	var out []string
	for len(d.b) > 0 && d.err == nil {
		out = append(out, d.str())
	}
	return out, d.err
}

// Fixed-width keys, big-endian so that byte order is numeric order.

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func tipKey(id bot.TipID) []byte { return u64(uint64(id)) }

// votes32 clamps a count into the 32 bits used by ranking keys.
func votes32(v int64) uint32 {
	if v < 0 {
		return 0
	}
	if v > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// appendStr appends a length-prefixed string, so that composite keys made
// of several strings can never be confused with one another.
func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// cutStr reads a length-prefixed string from the start of b.
func cutStr(b []byte) (s, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}

// cloneBytes copies a value out of a transaction's memory; nil stays nil
// only when the value is missing.
func cloneBytes(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// empty is the value of keys that carry no data. It is not nil: bbolt's
// Get returns nil for a nil value written in the same transaction, which
// would read as a missing key.
var empty = []byte{}
