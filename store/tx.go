package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/tipbot/tipbot/bot"
)

// The buckets of a workspace, in the order of sub below.
const (
	bTips = iota
	bMsgs
	bAuthors
	bVotes
	bPending
	bPersons
	bCounters
	bRecords
	bEvents
	bBoards
	bTerms
	bChannels
	bPeople
	bVoteLog
	nSubs
)

// sub names the workspace buckets and sets how full split pages are left:
// high where new keys mostly come after (or before) every existing one.
var sub = [nSubs]struct {
	name []byte
	fill float64
}{
	bTips:     {[]byte("tips"), 0.9},
	bMsgs:     {[]byte("msgs"), 0.9},
	bAuthors:  {[]byte("authors"), 0.5},
	bVotes:    {[]byte("votes"), 0.9},
	bPending:  {[]byte("pending"), 0.5},
	bPersons:  {[]byte("persons"), 0.5},
	bCounters: {[]byte("counters"), 0.5},
	bRecords:  {[]byte("records"), 0.5},
	bEvents:   {[]byte("events"), 0.5},
	bBoards:   {[]byte("boards"), 0.5},
	bTerms:    {[]byte("terms"), 0.5},
	bChannels: {[]byte("channels"), 0.9},
	bPeople:   {[]byte("people"), 0.5},
	bVoteLog:  {[]byte("votelog"), 1}, // records are only ever added at the end
}

// tx is one workspace's view of a bbolt transaction. It implements bot.Tx;
// in a read-only bbolt transaction the write methods fail.
type tx struct {
	btx   *bbolt.Tx
	key   []byte
	ws    *bbolt.Bucket // nil until the workspace exists
	found bool          // ws was looked up
	subs  [nSubs]*bbolt.Bucket
	batch *batch   // nil in read-only transactions
	pend  *pending // this workspace's share of batch, once used
	read  tipRead  // the last tip Tip decoded, for PutTip
	// logVotes is the vote log as the transaction reads it, once read: the
	// index's (write) or its snapshot's (read-only); see votelog.go.
	logVotes voteOverlay
}

// tipRead is a stored tip value and what it decodes to. A vote reads its
// tip then writes it back: PutTip, finding the very same stored bytes,
// need not decode them again.
type tipRead struct {
	v   []byte
	tip bot.Tip
}

// of returns the decoded tip when v is the value it was decoded from.
func (r tipRead) of(id bot.TipID, v []byte) (bot.Tip, bool) {
	if len(v) == 0 || len(r.v) != len(v) || &r.v[0] != &v[0] || r.tip.ID != id {
		return bot.Tip{}, false
	}
	return r.tip, true
}

var _ bot.Tx = (*tx)(nil)

func newTx(btx *bbolt.Tx, key []byte, b *batch) *tx { return &tx{btx: btx, key: key, batch: b} }

// pending returns the batch's changes of this workspace, which every
// write method may add to.
func (t *tx) pending() (*pending, error) {
	if t.pend == nil {
		if t.batch == nil || !t.btx.Writable() {
			return nil, bolterrors.ErrTxNotWritable
		}
		t.pend = t.batch.get(t.key)
	}
	return t.pend, nil
}

// flushed applies pending changes before a read that depends on them.
func (t *tx) flushed() error {
	if t.pend == nil && t.batch != nil {
		t.pend = t.batch.ws[string(t.key)]
	}
	if t.pend.empty() {
		return nil
	}
	return t.flush()
}

// bucket returns a workspace bucket for reading, or nil when the workspace
// has no data yet.
func (t *tx) bucket(i int) *bbolt.Bucket {
	if t.subs[i] != nil {
		return t.subs[i]
	}
	var p *pending // write transactions share the buckets found across the batch
	if t.batch != nil {
		if p = t.batch.get(t.key); p.subs[i] != nil {
			t.subs[i] = p.subs[i]
			return t.subs[i]
		}
	}
	if !t.found {
		t.ws = t.btx.Bucket(bucketWS).Bucket(t.key)
		t.found = true
	}
	if t.ws == nil {
		return nil
	}
	b := t.ws.Bucket(sub[i].name)
	if b != nil {
		b.FillPercent = sub[i].fill
		if p != nil {
			p.subs[i] = b
		}
	}
	t.subs[i] = b
	return b
}

// wbucket returns a workspace bucket for writing, creating the workspace
// on its first write.
func (t *tx) wbucket(i int) (*bbolt.Bucket, error) {
	if b := t.bucket(i); b != nil {
		return b, nil
	}
	if !t.btx.Writable() {
		return nil, bolterrors.ErrTxNotWritable
	}
	ws, err := t.btx.Bucket(bucketWS).CreateBucketIfNotExists(t.key)
	if err != nil {
		return nil, fmt.Errorf("store: create workspace: %w", err)
	}
	for j := range sub {
		if _, err := ws.CreateBucketIfNotExists(sub[j].name); err != nil {
			return nil, fmt.Errorf("store: create workspace: %w", err)
		}
	}
	t.ws, t.found = ws, true
	return t.bucket(i), nil
}

// Tip returns the tip with that id, or bot.ErrNotFound.
func (t *tx) Tip(id bot.TipID) (bot.Tip, error) {
	b := t.bucket(bTips)
	if b == nil {
		return bot.Tip{}, bot.ErrNotFound
	}
	v := b.Get(tipKey(id))
	if v == nil {
		return bot.Tip{}, bot.ErrNotFound
	}
	tip, err := decodeTip(id, v)
	if err == nil && t.batch != nil {
		// Kept with slices of its own: the caller may change the copy it gets.
		kept := tip
		kept.Topics, kept.Periods = slices.Clone(tip.Topics), slices.Clone(tip.Periods)
		t.read = tipRead{v: v, tip: kept}
	}
	return tip, err
}

// TipByMessage returns the tip captured from that message, or bot.ErrNotFound.
func (t *tx) TipByMessage(channel, messageID string) (bot.Tip, error) {
	b := t.bucket(bMsgs)
	if b == nil || messageID == "" {
		return bot.Tip{}, bot.ErrNotFound
	}
	v := b.Get(msgKey(channel, messageID))
	if len(v) != 8 {
		return bot.Tip{}, bot.ErrNotFound
	}
	return t.Tip(bot.TipID(binary.BigEndian.Uint64(v)))
}

func msgKey(channel, messageID string) []byte {
	return append(appendStr(nil, channel), messageID...)
}

// chunk is how many entries the ForEach methods read before calling fn, so
// fn may write to the transaction without disturbing an open cursor.
const chunk = 256

// ForEachTip calls fn for every tip in id order until fn returns an error.
func (t *tx) ForEachTip(fn func(bot.Tip) error) error {
	b := t.bucket(bTips)
	if b == nil {
		return nil
	}
	var from []byte
	for {
		var tips []bot.Tip
		c := b.Cursor()
		k, v := c.First()
		if from != nil {
			k, v = c.Seek(from)
		}
		for ; k != nil && len(tips) < chunk; k, v = c.Next() {
			tip, err := decodeTip(bot.TipID(binary.BigEndian.Uint64(k)), v)
			if err != nil {
				return err
			}
			tips = append(tips, tip)
		}
		for _, tip := range tips {
			if err := fn(tip); err != nil {
				return err
			}
		}
		if k == nil {
			return nil
		}
		from = tipKey(tips[len(tips)-1].ID + 1)
	}
}

// TipsBefore calls fn for each tip with an id below before (0: every
// tip), highest id first, until fn returns an error. Tips are decoded one
// at a time: a caller that stops early reads no more.
func (t *tx) TipsBefore(before bot.TipID, fn func(bot.Tip) error) error {
	b := t.bucket(bTips)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	var k, v []byte
	if before == 0 {
		k, v = c.Last()
	} else if at, _ := c.Seek(tipKey(before)); at == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil; k, v = c.Prev() {
		if len(k) != 8 {
			continue
		}
		id := bot.TipID(binary.BigEndian.Uint64(k))
		if before != 0 && id >= before {
			continue
		}
		tip, err := decodeTip(id, v)
		if err != nil {
			return err
		}
		if err := fn(tip); err != nil {
			return err
		}
	}
	return nil
}

// TipsByAuthor calls fn for each tip of the author, in id order.
func (t *tx) TipsByAuthor(authorID string, fn func(bot.Tip) error) error {
	b := t.bucket(bAuthors)
	if b == nil {
		return nil
	}
	prefix := appendStr(nil, authorID)
	var ids []bot.TipID
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+8 {
			ids = append(ids, bot.TipID(binary.BigEndian.Uint64(k[len(prefix):])))
		}
	}
	for _, id := range ids {
		tip, err := t.Tip(id)
		if errors.Is(err, bot.ErrNotFound) {
			continue // deleted by fn
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

func voteKey(tip bot.TipID, voter string) []byte { return append(tipKey(tip), voter...) }

// Vote returns the voter's useful reactions on the tip, or bot.ErrNotFound.
func (t *tx) Vote(tip bot.TipID, voter string) (bot.Vote, error) {
	v, err := t.voteValue(voteKey(tip, voter))
	if err != nil {
		return bot.Vote{}, err
	}
	if len(v) == 0 {
		return bot.Vote{}, bot.ErrNotFound
	}
	emojis, err := decodeEmojis(v)
	if err != nil {
		return bot.Vote{}, fmt.Errorf("store: vote %s %q: %w", tip, voter, err)
	}
	return bot.Vote{Emojis: emojis}, nil
}

// ForEachVote calls fn for each voter of the tip, in voter order.
func (t *tx) ForEachVote(tip bot.TipID, fn func(voter string, v bot.Vote) error) error {
	type entry struct {
		voter string
		value []byte
	}
	prefix := tipKey(tip)
	var all []entry
	if b := t.bucket(bVotes); b != nil {
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			all = append(all, entry{string(k[8:]), v})
		}
	}
	// The log's votes over the bucket's: both in voter order.
	err := t.eachOverlaid(prefix, func(k string, v []byte) error {
		voter := k[8:]
		i, found := slices.BinarySearchFunc(all, voter, func(e entry, s string) int { return strings.Compare(e.voter, s) })
		switch {
		case found && len(v) > 0:
			all[i].value = v
		case found:
			all = slices.Delete(all, i, i+1)
		case len(v) > 0:
			all = slices.Insert(all, i, entry{voter, v})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range all {
		emojis, err := decodeEmojis(e.value)
		if err != nil {
			return fmt.Errorf("store: vote %s %q: %w", tip, e.voter, err)
		}
		if err := fn(e.voter, bot.Vote{Emojis: emojis}); err != nil {
			return err
		}
	}
	return nil
}

func pendingPrefix(channel, messageID string) []byte {
	return appendStr(appendStr(nil, channel), messageID)
}

// PendingVotes returns the useful reactions on a message that is not a tip,
// in voter order.
func (t *tx) PendingVotes(channel, messageID string) ([]bot.PendingVote, error) {
	b := t.bucket(bPending)
	if b == nil {
		return nil, nil
	}
	prefix := pendingPrefix(channel, messageID)
	var out []bot.PendingVote
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		emojis, err := decodeEmojis(v)
		if err != nil {
			return nil, fmt.Errorf("store: pending vote: %w", err)
		}
		out = append(out, bot.PendingVote{Voter: string(k[len(prefix):]), Emojis: emojis})
	}
	return out, nil
}

// Person returns what is kept about a contributor, or bot.ErrNotFound.
func (t *tx) Person(id string) (bot.Person, error) {
	b := t.bucket(bPersons)
	if b == nil || id == "" {
		return bot.Person{}, bot.ErrNotFound
	}
	v := b.Get([]byte(id))
	if v == nil {
		return bot.Person{}, bot.ErrNotFound
	}
	return decodePerson(id, v)
}

// Member returns what the directory of people knows of a person, or
// bot.ErrNotFound.
func (t *tx) Member(id string) (bot.Member, error) {
	b := t.bucket(bPeople)
	if b == nil || id == "" {
		return bot.Member{}, bot.ErrNotFound
	}
	v := b.Get([]byte(id))
	if v == nil {
		return bot.Member{}, bot.ErrNotFound
	}
	return decodeMember(id, v)
}

// Counter returns a named counter, 0 when never set.
func (t *tx) Counter(name string) (int64, error) {
	if t.pend == nil && t.batch != nil {
		t.pend = t.batch.ws[string(t.key)]
	}
	var n int64
	if t.pend != nil {
		n = t.pend.counters[name]
	}
	if b := t.bucket(bCounters); b != nil && name != "" {
		n += storedCounter(b, name)
	}
	return n, nil
}

// Record returns an opaque record, or bot.ErrNotFound.
func (t *tx) Record(kind, key string) ([]byte, error) {
	b := t.bucket(bRecords)
	if b == nil || kind == "" || key == "" {
		return nil, bot.ErrNotFound
	}
	kb := b.Bucket([]byte(kind))
	if kb == nil {
		return nil, bot.ErrNotFound
	}
	v := kb.Get([]byte(key))
	if v == nil {
		return nil, bot.ErrNotFound
	}
	return cloneBytes(v), nil
}

// ForEachRecord calls fn for every record of a kind, in key order.
func (t *tx) ForEachRecord(kind string, fn func(key string, value []byte) error) error {
	return t.eachRecord(kind, false, fn)
}

// ForEachRecordReverse calls fn for each record of a kind, in decreasing
// key order, until fn returns an error.
func (t *tx) ForEachRecordReverse(kind string, fn func(key string, value []byte) error) error {
	return t.eachRecord(kind, true, fn)
}

// eachRecord reads a kind's records chunk by chunk, so that fn may write
// records between chunks.
func (t *tx) eachRecord(kind string, reverse bool, fn func(key string, value []byte) error) error {
	b := t.bucket(bRecords)
	if b == nil || kind == "" {
		return nil
	}
	type entry struct {
		key   string
		value []byte
	}
	var from []byte // where the next chunk starts; nil: at the first (last) key
	for {
		kb := b.Bucket([]byte(kind))
		if kb == nil {
			return nil
		}
		var all []entry
		c := kb.Cursor()
		var k, v []byte
		switch {
		case !reverse && from == nil:
			k, v = c.First()
		case !reverse:
			k, v = c.Seek(from)
		case from == nil:
			k, v = c.Last()
		default:
			// The last key before from.
			if k, _ = c.Seek(from); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		for k != nil && len(all) < chunk {
			all = append(all, entry{string(k), cloneBytes(v)})
			if reverse {
				k, v = c.Prev()
			} else {
				k, v = c.Next()
			}
		}
		for _, e := range all {
			if err := fn(e.key, e.value); err != nil {
				return err
			}
		}
		if k == nil {
			return nil
		}
		last := all[len(all)-1].key
		if reverse {
			from = []byte(last) // the chunk goes on just before it
		} else {
			from = append([]byte(last), 0) // the next key after the last one
		}
	}
}

// NextTipID reserves a new tip id.
func (t *tx) NextTipID() (bot.TipID, error) {
	b, err := t.wbucket(bTips)
	if err != nil {
		return 0, err
	}
	n, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("store: next tip id: %w", err)
	}
	return bot.TipID(n), nil
}

// PutVote sets the voter's useful reactions on a tip. An empty set removes
// the vote, as DeleteVote does.
func (t *tx) PutVote(tip bot.TipID, voter string, v bot.Vote) error {
	if len(v.Emojis) == 0 {
		return t.DeleteVote(tip, voter)
	}
	if tip == 0 || voter == "" {
		return fmt.Errorf("store: put vote: empty tip or voter")
	}
	if err := t.setVote(voteKey(tip, voter), encodeEmojis(v.Emojis)); err != nil {
		return fmt.Errorf("store: put vote: %w", err)
	}
	return nil
}

// DeleteVote removes the voter's reactions on a tip; no error when missing.
func (t *tx) DeleteVote(tip bot.TipID, voter string) error {
	if err := t.setVote(voteKey(tip, voter), []byte{}); err != nil {
		return fmt.Errorf("store: delete vote: %w", err)
	}
	return nil
}

// VotesBy locates every vote and pending vote of voter, scanning the
// workspace's votes (seconds for ten million: meant for View).
func (t *tx) VotesBy(voter string) (bot.VoteRefs, error) {
	var refs bot.VoteRefs
	if voter == "" {
		return refs, nil
	}
	if votes := t.bucket(bVotes); votes != nil {
		c := votes.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) > 8 && string(k[8:]) == voter {
				refs.Tips = append(refs.Tips, bot.TipID(binary.BigEndian.Uint64(k)))
			}
		}
	}
	err := t.eachOverlaid(nil, func(k string, v []byte) error {
		if len(k) <= 8 || k[8:] != voter {
			return nil
		}
		id := bot.TipID(binary.BigEndian.Uint64([]byte(k[:8])))
		i, found := slices.BinarySearch(refs.Tips, id)
		switch {
		case found && len(v) == 0:
			refs.Tips = slices.Delete(refs.Tips, i, i+1)
		case !found && len(v) > 0:
			refs.Tips = slices.Insert(refs.Tips, i, id)
		}
		return nil
	})
	if err != nil {
		return refs, err
	}
	if pending := t.bucket(bPending); pending != nil {
		c := pending.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			channel, rest, ok := cutStr(k)
			if !ok {
				continue
			}
			if msg, rest, ok := cutStr(rest); ok && string(rest) == voter {
				refs.Pending = append(refs.Pending, bot.MessageRef{Channel: string(channel), MessageID: string(msg)})
			}
		}
	}
	return refs, nil
}

// ReassignVotes moves the votes and pending votes of voter that refs
// locates to newVoter, merging emoji sets where newVoter already reacted,
// and returns how many moved; those gone since are skipped.
func (t *tx) ReassignVotes(refs bot.VoteRefs, voter, newVoter string) (int, error) {
	if voter == "" || newVoter == "" {
		return 0, fmt.Errorf("store: reassign votes: empty voter")
	}
	if voter == newVoter || refs.Empty() {
		return 0, nil
	}
	moved := 0
	for _, id := range refs.Tips {
		from, to := voteKey(id, voter), voteKey(id, newVoter)
		v, err := t.voteValue(from)
		if err != nil {
			return moved, fmt.Errorf("store: reassign votes: %w", err)
		}
		if len(v) == 0 {
			continue
		}
		old, err := t.voteValue(to)
		if err != nil {
			return moved, fmt.Errorf("store: reassign votes: %w", err)
		}
		merged, err := mergeEmojis(v, old)
		if err != nil {
			return moved, fmt.Errorf("store: reassign votes: %w", err)
		}
		if err := t.setVote(to, merged); err != nil {
			return moved, err
		}
		if err := t.setVote(from, []byte{}); err != nil {
			return moved, err
		}
		moved++
	}
	pending, err := t.wbucket(bPending)
	if err != nil {
		return moved, err
	}
	for _, m := range refs.Pending {
		prefix := pendingPrefix(m.Channel, m.MessageID)
		k := append(slices.Clip(prefix), voter...)
		if pending.Get(k) == nil {
			continue
		}
		if err := moveVote(pending, k, append(slices.Clip(prefix), newVoter...)); err != nil {
			return moved, fmt.Errorf("store: reassign votes: %w", err)
		}
		moved++
	}
	return moved, nil
}

// moveVote renames a vote key, merging emoji sets when the new key exists.
func moveVote(b *bbolt.Bucket, from, to []byte) error {
	emojis, err := mergeEmojis(b.Get(from), b.Get(to))
	if err != nil {
		return err
	}
	if err := b.Put(to, emojis); err != nil {
		return err
	}
	return b.Delete(from)
}

// mergeEmojis returns the union of two stored emoji sets (old may be
// empty), stored.
func mergeEmojis(v, old []byte) ([]byte, error) {
	emojis, err := decodeEmojis(v)
	if err != nil {
		return nil, err
	}
	if len(old) > 0 {
		more, err := decodeEmojis(old)
		if err != nil {
			return nil, err
		}
		emojis = append(emojis, more...)
		slices.Sort(emojis)
		emojis = slices.Compact(emojis)
	}
	return encodeEmojis(emojis), nil
}

// PutPendingVote records (or, with no emojis, removes) a voter's reactions
// on a message that is not a tip.
func (t *tx) PutPendingVote(channel, messageID string, v bot.PendingVote) error {
	if v.Voter == "" {
		return fmt.Errorf("store: put pending vote: empty voter")
	}
	b, err := t.wbucket(bPending)
	if err != nil {
		return err
	}
	k := append(pendingPrefix(channel, messageID), v.Voter...)
	if len(v.Emojis) == 0 {
		err = b.Delete(k)
	} else {
		err = b.Put(k, encodeEmojis(v.Emojis))
	}
	if err != nil {
		return fmt.Errorf("store: put pending vote: %w", err)
	}
	return nil
}

// DeletePendingVotes drops every pending vote on the message.
func (t *tx) DeletePendingVotes(channel, messageID string) error {
	b, err := t.wbucket(bPending)
	if err != nil {
		return err
	}
	if err := deletePrefix(b, pendingPrefix(channel, messageID)); err != nil {
		return fmt.Errorf("store: delete pending votes: %w", err)
	}
	return nil
}

// deletePrefix deletes every key of b starting with prefix.
func deletePrefix(b *bbolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, cloneBytes(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// PutPerson stores what is kept about a contributor.
func (t *tx) PutPerson(p bot.Person) error {
	if p.ID == "" {
		return fmt.Errorf("store: put person: empty id")
	}
	b, err := t.wbucket(bPersons)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(p.ID), encodePerson(p)); err != nil {
		return fmt.Errorf("store: put person: %w", err)
	}
	return nil
}

// DeletePerson forgets a contributor; no error when missing.
func (t *tx) DeletePerson(id string) error {
	if id == "" {
		return nil
	}
	b, err := t.wbucket(bPersons)
	if err != nil {
		return err
	}
	if err := b.Delete([]byte(id)); err != nil {
		return fmt.Errorf("store: delete person: %w", err)
	}
	return nil
}

// PutMember stores a person in the directory of people.
func (t *tx) PutMember(m bot.Member) error {
	if m.ID == "" {
		return fmt.Errorf("store: put member: empty id")
	}
	if len(m.ID) > maxKeyPart {
		return fmt.Errorf("store: put member: id longer than %d bytes", maxKeyPart)
	}
	b, err := t.wbucket(bPeople)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(m.ID), encodeMember(m)); err != nil {
		return fmt.Errorf("store: put member: %w", err)
	}
	return nil
}

// DeleteMember erases a person from the directory; no error when missing.
func (t *tx) DeleteMember(id string) error {
	if id == "" {
		return nil
	}
	b, err := t.wbucket(bPeople)
	if err != nil {
		return err
	}
	if err := b.Delete([]byte(id)); err != nil {
		return fmt.Errorf("store: delete member: %w", err)
	}
	return nil
}

// AddCounter adds delta to a named counter. Additions are summed and
// written once per commit.
func (t *tx) AddCounter(name string, delta int64) error {
	if name == "" {
		return fmt.Errorf("store: add counter: empty name")
	}
	if len(name) > maxKeyPart {
		return fmt.Errorf("store: add counter: name too long")
	}
	if _, err := t.wbucket(bCounters); err != nil {
		return err
	}
	p, err := t.pending()
	if err != nil {
		return err
	}
	p.counters[name] += delta
	return nil
}

// PutRecord stores an opaque record of a kind.
func (t *tx) PutRecord(kind, key string, value []byte) error {
	if kind == "" || key == "" {
		return fmt.Errorf("store: put record: empty kind or key")
	}
	b, err := t.wbucket(bRecords)
	if err != nil {
		return err
	}
	kb, err := b.CreateBucketIfNotExists([]byte(kind))
	if err != nil {
		return fmt.Errorf("store: put record %s: %w", kind, err)
	}
	if err := kb.Put([]byte(key), cloneBytes(value)); err != nil {
		return fmt.Errorf("store: put record %s: %w", kind, err)
	}
	return nil
}

// DeleteRecord removes a record; no error when missing.
func (t *tx) DeleteRecord(kind, key string) error {
	if kind == "" || key == "" {
		return nil
	}
	b, err := t.wbucket(bRecords)
	if err != nil {
		return err
	}
	kb := b.Bucket([]byte(kind))
	if kb == nil {
		return nil
	}
	if err := kb.Delete([]byte(key)); err != nil {
		return fmt.Errorf("store: delete record %s: %w", kind, err)
	}
	if k, _ := kb.Cursor().First(); k == nil {
		if err := b.DeleteBucket([]byte(kind)); err != nil {
			return fmt.Errorf("store: delete record %s: %w", kind, err)
		}
	}
	return nil
}
