package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// Board kinds: the first byte of a board bucket's name.
const (
	kindTips    = 't' // per period, members are tip ids (order index only)
	kindAuthors = 'a' // per period
	kindTopics  = 'c' // per period
	kindExperts = 'x' // per topic, all time
)

// keySize holds a tips board's tip count.
var keySize = []byte{0}

func boardName(kind byte, name string) []byte { return append([]byte{kind}, name...) }

// tipRankKey orders a tips board: most votes first, then lower id.
func tipRankKey(votes int, id bot.TipID) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 12), ^votes32(int64(votes)))
	return binary.BigEndian.AppendUint64(k, uint64(id))
}

// allPeriod is the all-time period. Every ranked tip counts in it, whether
// or not its Periods name it (SearchTips relies on that).
const allPeriod = "all"

// tipPeriods returns the periods a ranked tip counts in, without
// duplicates, "all" included.
func tipPeriods(t bot.Tip) []string {
	out := make([]string, 0, len(t.Periods)+1)
	for _, p := range t.Periods {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if !slices.Contains(out, allPeriod) {
		out = append(out, allPeriod)
	}
	return out
}

// Derived rankings. Quarters, years and all time are not ranked by tips
// boards of their own: a vote would move its tip in five boards. A tip
// whose periods include a month (bot.PeriodKey's "m2026-11") is kept in
// its week's and month's boards only, and the rankings of that month's
// quarter and year, and of all time, merge month boards when read (see
// rankView). The boards "q…", "y…" and "all" hold only the tips whose
// periods name them without a month implying them.

// derived reports whether a period's ranking merges month boards.
func derived(period string) bool {
	_, ok := bot.MonthsOf(period)
	return ok || period == allPeriod
}

// rankBoards returns the tips boards a ranked tip is kept in: its periods
// and "all", less those its month implies.
func rankBoards(t bot.Tip) []string {
	periods := tipPeriods(t)
	i := slices.IndexFunc(periods, bot.IsMonthKey)
	if i < 0 {
		return periods
	}
	quarter, year, _ := bot.ParentsOfMonth(periods[i])
	return slices.DeleteFunc(periods, func(p string) bool { return p == quarter || p == year || p == allPeriod })
}

// forEachShare calls fn for each member of a member board that a ranked
// tip counts for: its author in the authors board of each period, each
// topic in the topics board of each period, its author among the experts
// of each topic. Periods and topics count once each.
func forEachShare(t bot.Tip, fn func(kind byte, board, member string)) {
	if !indexed(t) {
		return
	}
	period := func(p string) {
		fn(kindAuthors, p, t.AuthorID)
		for i, topic := range t.Topics {
			if !slices.Contains(t.Topics[:i], topic) {
				fn(kindTopics, p, topic)
			}
		}
	}
	for i, p := range t.Periods {
		if !slices.Contains(t.Periods[:i], p) {
			period(p)
		}
	}
	if !slices.Contains(t.Periods, allPeriod) {
		period(allPeriod)
	}
	for i, topic := range t.Topics {
		if !slices.Contains(t.Topics[:i], topic) {
			fn(kindExperts, topic, t.AuthorID)
		}
	}
}

// updateBoards moves a tip's contribution to every board from old (absent
// when hadOld is false) to cur (absent when hasCur is false).
func (t *tx) updateBoards(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	oldRanked, curRanked := hadOld && indexed(old), hasCur && indexed(cur)
	if !oldRanked && !curRanked {
		return nil
	}
	if _, err := t.wbucket(bBoards); err != nil {
		return err
	}
	p, err := t.pending()
	if err != nil {
		return err
	}
	var oldPeriods, curPeriods []string
	if oldRanked {
		oldPeriods = rankBoards(old)
	}
	if curRanked {
		if oldRanked && slices.Equal(old.Periods, cur.Periods) {
			curPeriods = oldPeriods // a vote: same boards
		} else {
			curPeriods = rankBoards(cur)
		}
	}

	// Tips boards: move the tip's rank key in each period.
	oldKey, curKey := tipRankKey(old.UsefulVotes, old.ID), tipRankKey(cur.UsefulVotes, cur.ID)
	id := uint64(cur.ID)
	if !hasCur {
		id = uint64(old.ID)
	}
	for _, period := range oldPeriods {
		switch {
		case !slices.Contains(curPeriods, period):
			p.moveRank(period, id, oldKey, nil)
		case !bytes.Equal(oldKey, curKey):
			p.moveRank(period, id, oldKey, curKey)
		}
	}
	for _, period := range curPeriods {
		if !slices.Contains(oldPeriods, period) {
			p.moveRank(period, id, nil, curKey)
		}
	}

	// Member boards: net change per member, summed over the batch. A vote
	// keeps the tip's author, periods and topics: only votes move.
	if oldRanked && curRanked && old.AuthorID == cur.AuthorID && slices.Equal(old.Periods, cur.Periods) && slices.Equal(old.Topics, cur.Topics) {
		if dv := int64(cur.UsefulVotes) - int64(old.UsefulVotes); dv != 0 {
			forEachShare(cur, func(kind byte, board, member string) { p.addMember(kind, board, member, dv, 0) })
		}
		return nil
	}
	forEachShare(old, func(kind byte, board, member string) {
		p.addMember(kind, board, member, -int64(old.UsefulVotes), -1)
	})
	forEachShare(cur, func(kind byte, board, member string) {
		p.addMember(kind, board, member, int64(cur.UsefulVotes), 1)
	})
	return nil
}

// Fill of tips boards: a tip's rank key mostly lands at the end of its
// votes group, so they fill well.
const tipsBoardFill = 0.9

func createBoard(boards *bbolt.Bucket, name []byte, fill float64) (*bbolt.Bucket, error) {
	b, err := boards.CreateBucketIfNotExists(name)
	if err != nil {
		return nil, fmt.Errorf("store: board %q: %w", name, err)
	}
	b.FillPercent = fill
	return b, nil
}

// resizeBoard applies a change of member count to a board, removing the
// board when it has no member left.
func resizeBoard(boards, b *bbolt.Bucket, name []byte, change int64) error {
	if change == 0 {
		return nil
	}
	size := boardSize(b) + change
	if size <= 0 {
		return boards.DeleteBucket(name)
	}
	return b.Put(keySize, u64(uint64(size)))
}

func boardSize(b *bbolt.Bucket) int64 {
	if v := b.Get(keySize); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

// TopTips returns up to n ranked tips created in the period, most useful
// first, then lower id.
func (t *tx) TopTips(period string, n int) ([]bot.Tip, error) {
	view, err := t.rankView(period)
	if err != nil || len(view) == 0 || n <= 0 {
		return nil, err
	}
	ids := make([]bot.TipID, 0, min(n, 1024))
	heads := make([]rankHead, 0, len(view))
	for _, b := range view {
		h := rankHead{c: b.Cursor()}
		h.k, _ = h.c.First()
		heads = append(heads, h.skipSize())
	}
	// The boards' keys sort in rank order: take the smallest head each time.
	// A tip is in one of them, unless its periods name two months: its
	// keys then come out one after the other, and count once.
	var last []byte
	for len(ids) < n {
		best := -1
		for i, h := range heads {
			if h.k != nil && (best < 0 || bytes.Compare(h.k, heads[best].k) < 0) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		if k := heads[best].k; !bytes.Equal(k, last) {
			last = k
			ids = append(ids, bot.TipID(binary.BigEndian.Uint64(k[4:])))
		}
		heads[best].k, _ = heads[best].c.Next()
		heads[best] = heads[best].skipSize()
	}
	return t.tips(ids)
}

// rankHead is a cursor over a tips board and its current rank key (nil
// at the end).
type rankHead struct {
	c *bbolt.Cursor
	k []byte
}

// skipSize steps over keys that are not rank keys (the size key).
func (h rankHead) skipSize() rankHead {
	for h.k != nil && len(h.k) != 12 {
		h.k, _ = h.c.Next()
	}
	return h
}

// rankView returns the tips boards whose merge ranks the period: its own
// board and, for a quarter, a year or all time, its months' boards. It
// applies pending changes first.
func (t *tx) rankView(period string) ([]*bbolt.Bucket, error) {
	if err := t.flushed(); err != nil {
		return nil, err
	}
	boards := t.bucket(bBoards)
	if boards == nil {
		return nil, nil
	}
	var view []*bbolt.Bucket
	add := func(name []byte) {
		if b := boards.Bucket(name); b != nil {
			view = append(view, b)
		}
	}
	add(boardName(kindTips, period))
	if months, ok := bot.MonthsOf(period); ok {
		for _, m := range months {
			add(boardName(kindTips, m))
		}
	} else if period == allPeriod {
		prefix := []byte{kindTips, bot.MonthKeyPrefix[0]}
		var names [][]byte
		c := boards.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if v == nil && bot.IsMonthKey(string(k[1:])) {
				names = append(names, k)
			}
		}
		for _, name := range names {
			add(name)
		}
	}
	return view, nil
}

// tips loads tips by id, skipping any that vanished.
func (t *tx) tips(ids []bot.TipID) ([]bot.Tip, error) {
	out := make([]bot.Tip, 0, len(ids))
	for _, id := range ids {
		tip, err := t.Tip(id)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, tip)
	}
	return out, nil
}

// TopAuthors returns up to n authors of the period by votes, tips, then id.
func (t *tx) TopAuthors(period string, n int) ([]bot.Standing, error) {
	return t.top(kindAuthors, period, n)
}

// TopTopics returns up to n topics of the period by tips, votes, then name.
func (t *tx) TopTopics(period string, n int) ([]bot.Standing, error) {
	return t.top(kindTopics, period, n)
}

// Experts returns up to n authors of ranked tips on the topic.
func (t *tx) Experts(topic string, n int) ([]bot.Standing, error) {
	return t.top(kindExperts, topic, n)
}

// PutTip creates or replaces a tip, keeping the message and author
// indexes, the search index and the boards in step with it.
func (t *tx) PutTip(tip bot.Tip) error {
	if tip.ID == 0 {
		return fmt.Errorf("store: put tip: zero id")
	}
	if err := checkKeyParts(tip); err != nil {
		return fmt.Errorf("store: put tip %s: %w", tip.ID, err)
	}
	tips, err := t.wbucket(bTips)
	if err != nil {
		return err
	}
	key := tipKey(tip.ID)
	prev := tips.Get(key)
	old, known := t.read.of(tip.ID, prev)
	if prev != nil && !known {
		if old, err = decodeTip(tip.ID, prev); err != nil {
			return err
		}
	}
	t.read = tipRead{}
	if err := tips.Put(key, encodeTip(tip)); err != nil {
		return fmt.Errorf("store: put tip %s: %w", tip.ID, err)
	}
	if seq := tips.Sequence(); uint64(tip.ID) > seq {
		if err := tips.SetSequence(uint64(tip.ID)); err != nil {
			return fmt.Errorf("store: put tip %s: %w", tip.ID, err)
		}
	}
	if err := t.updateIndexes(old, prev != nil, tip, true); err != nil {
		return fmt.Errorf("store: put tip %s: %w", tip.ID, err)
	}
	return nil
}

// DeleteTip removes the tip, its votes and every index entry for it; no
// error when it does not exist.
func (t *tx) DeleteTip(id bot.TipID) error {
	tips, err := t.wbucket(bTips)
	if err != nil {
		return err
	}
	key := tipKey(id)
	prev := tips.Get(key)
	if prev == nil {
		return nil
	}
	old, err := decodeTip(id, prev)
	if err != nil {
		return err
	}
	if err := tips.Delete(key); err != nil {
		return fmt.Errorf("store: delete tip %s: %w", id, err)
	}
	votes, err := t.wbucket(bVotes)
	if err != nil {
		return err
	}
	if err := deletePrefix(votes, key); err != nil {
		return fmt.Errorf("store: delete tip %s: %w", id, err)
	}
	// Its votes in the log go too.
	var logged [][]byte
	if err := t.eachOverlaid(key, func(k string, v []byte) error {
		if len(v) > 0 {
			logged = append(logged, []byte(k))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("store: delete tip %s: %w", id, err)
	}
	for _, k := range logged {
		if err := t.setVote(k, []byte{}); err != nil {
			return fmt.Errorf("store: delete tip %s: %w", id, err)
		}
	}
	if err := t.updateIndexes(old, true, bot.Tip{}, false); err != nil {
		return fmt.Errorf("store: delete tip %s: %w", id, err)
	}
	return nil
}

// maxKeyPart bounds the strings that become parts of keys (ids, periods,
// topics, counter names), so that no key can exceed bbolt's limit and the
// changes applied at commit cannot fail on them.
const maxKeyPart = 4096

func checkKeyParts(t bot.Tip) error {
	if len(t.AuthorID) > maxKeyPart || len(t.Channel) > maxKeyPart || len(t.MessageID) > maxKeyPart {
		return fmt.Errorf("author, channel or message id longer than %d bytes", maxKeyPart)
	}
	for _, s := range t.Periods {
		if len(s) > maxKeyPart {
			return fmt.Errorf("period longer than %d bytes", maxKeyPart)
		}
	}
	for _, s := range t.Topics {
		if len(s) > maxKeyPart {
			return fmt.Errorf("topic longer than %d bytes", maxKeyPart)
		}
	}
	return nil
}

// updateIndexes moves every index entry of a tip from old to cur.
func (t *tx) updateIndexes(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	msgs, err := t.wbucket(bMsgs)
	if err != nil {
		return err
	}
	if hadOld && old.MessageID != "" && (!hasCur || old.Channel != cur.Channel || old.MessageID != cur.MessageID) {
		k := msgKey(old.Channel, old.MessageID)
		// Only drop the entry if it still points at this tip.
		if v := msgs.Get(k); len(v) == 8 && bot.TipID(binary.BigEndian.Uint64(v)) == old.ID {
			if err := msgs.Delete(k); err != nil {
				return err
			}
		}
	}
	if hasCur && cur.MessageID != "" {
		// A vote rewrites the tip: leave an entry that is already right
		// alone, so that its page stays clean.
		k, id := msgKey(cur.Channel, cur.MessageID), tipKey(cur.ID)
		if !bytes.Equal(msgs.Get(k), id) {
			if err := msgs.Put(k, id); err != nil {
				return err
			}
		}
	}
	authors, err := t.wbucket(bAuthors)
	if err != nil {
		return err
	}
	if hadOld && (!hasCur || old.AuthorID != cur.AuthorID) {
		if err := authors.Delete(append(appendStr(nil, old.AuthorID), tipKey(old.ID)...)); err != nil {
			return err
		}
	}
	if hasCur && (!hadOld || old.AuthorID != cur.AuthorID) {
		if err := authors.Put(append(appendStr(nil, cur.AuthorID), tipKey(cur.ID)...), empty); err != nil {
			return err
		}
	}
	if err := t.updateChannels(old, hadOld, cur, hasCur); err != nil {
		return err
	}
	if err := t.updateRestricted(old, hadOld, cur, hasCur); err != nil {
		return err
	}
	if err := t.updateBoards(old, hadOld, cur, hasCur); err != nil {
		return err
	}
	return t.updateTerms(old, hadOld, cur, hasCur)
}

// channelKey is a tip's entry in the channels index: its channel, its
// creation second (sign bit flipped, so earlier sorts first), its id.
func channelKey(t bot.Tip) []byte {
	k := appendStr(make([]byte, 0, 1+len(t.Channel)+16), t.Channel)
	k = binary.BigEndian.AppendUint64(k, uint64(t.CreatedAt.Unix())^1<<63)
	return binary.BigEndian.AppendUint64(k, uint64(t.ID))
}

// updateChannels moves a tip's entry in the channels index.
func (t *tx) updateChannels(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	if hadOld && hasCur && old.ID == cur.ID && old.Channel == cur.Channel && old.CreatedAt.Unix() == cur.CreatedAt.Unix() {
		return nil // a vote, an edit: same entry
	}
	channels, err := t.wbucket(bChannels)
	if err != nil {
		return err
	}
	if hadOld {
		if err := channels.Delete(channelKey(old)); err != nil {
			return err
		}
	}
	if hasCur {
		return channels.Put(channelKey(cur), empty)
	}
	return nil
}

// TipsInChannel calls fn for each tip captured in the channel and created
// in [from, to) (to zero: no end), oldest first, until fn returns an
// error. It reads the channel's tips of the period only.
func (t *tx) TipsInChannel(channel string, from, to time.Time, fn func(bot.Tip) error) error {
	b := t.bucket(bChannels)
	if b == nil {
		return nil
	}
	prefix := appendStr(nil, channel)
	var ids []bot.TipID
	c := b.Cursor()
	start := binary.BigEndian.AppendUint64(slices.Clip(prefix), uint64(from.Unix())^1<<63)
	for k, _ := c.Seek(start); len(k) == len(prefix)+16 && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		at := int64(binary.BigEndian.Uint64(k[len(prefix):]) ^ 1<<63)
		if !to.IsZero() && at >= to.Unix()+1 {
			break
		}
		ids = append(ids, bot.TipID(binary.BigEndian.Uint64(k[len(prefix)+8:])))
	}
	for _, id := range ids {
		tip, err := t.Tip(id)
		if errors.Is(err, bot.ErrNotFound) {
			continue // gone meanwhile
		}
		if err != nil {
			return err
		}
		if tip.CreatedAt.Before(from) || (!to.IsZero() && !tip.CreatedAt.Before(to)) {
			continue // the index keeps seconds
		}
		if err := fn(tip); err != nil {
			return err
		}
	}
	return nil
}
