package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/tipbot/tipbot/bot"
)

// Restricted tips (bot.Tip.Restricted) are shown only in their channel: the
// workspace's boards and search terms leave them out (see indexed), and a
// per-channel index lists them, kept in the records bucket under a kind no
// core record uses:
//
//	records/
//	  \x00restricted/  str(channel) id(8) → ""   ranked restricted tips
//
// A channel's answers merge the workspace's rankings with that index, so a
// ranking never filters a long list after the fact.
var kindRestricted = []byte("\x00restricted")

// indexed reports whether a tip is in the workspace's boards and search
// terms: ranked and not restricted to its channel.
func indexed(t bot.Tip) bool { return t.Ranked() && !t.Restricted() }

// restrictedHere reports whether a tip is in its channel's index.
func restrictedHere(t bot.Tip) bool { return t.Ranked() && t.Restricted() }

func restrictedKey(t bot.Tip) []byte { return append(appendStr(nil, t.Channel), tipKey(t.ID)...) }

// updateRestricted moves a tip's entry in the per-channel index from old
// to cur.
func (t *tx) updateRestricted(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	oldIn, curIn := hadOld && restrictedHere(old), hasCur && restrictedHere(cur)
	if !oldIn && !curIn || (oldIn && curIn && old.Channel == cur.Channel) {
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
	if oldIn {
		if err := b.Delete(restrictedKey(old)); err != nil {
			return fmt.Errorf("store: restricted index: %w", err)
		}
	}
	if curIn {
		if err := b.Put(restrictedKey(cur), empty); err != nil {
			return fmt.Errorf("store: restricted index: %w", err)
		}
	}
	return nil
}

// RestrictedTips calls fn, in id order, for each ranked tip restricted to
// the channel.
func (t *tx) RestrictedTips(channel string, fn func(bot.Tip) error) error {
	records := t.bucket(bRecords)
	if records == nil {
		return nil
	}
	b := records.Bucket(kindRestricted)
	if b == nil {
		return nil
	}
	prefix := appendStr(nil, channel)
	var ids []bot.TipID
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+8 {
			return fmt.Errorf("store: restricted index: %w", errCorrupt)
		}
		ids = append(ids, bot.TipID(binary.BigEndian.Uint64(k[len(prefix):])))
	}
	for _, id := range ids {
		tip, err := t.Tip(id)
		if err != nil {
			return err
		}
		if err := fn(tip); err != nil {
			return err
		}
	}
	return nil
}
