package store

import (
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

// Postings are 12-byte keys ^votes(4) ^id(8) in one bucket per term, so a
// term's tips come most useful first, then newest. The key keyCount (one
// byte, sorting before every posting) holds the number of postings.
const postingLen = 12

var keyCount = []byte{0}

// termFill: new tips (no votes, highest id) go first in their group.
const termFill = 0.9

func postingKey(votes int, id bot.TipID) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, postingLen), ^votes32(int64(votes)))
	return binary.BigEndian.AppendUint64(k, ^uint64(id))
}

// indexTerms returns the search terms of a tip that is in the index.
func indexTerms(t bot.Tip, present bool) []string {
	if !present || !t.Ranked() {
		return nil
	}
	return bot.SearchTerms(t)
}

// updateTerms moves a tip's postings from old to cur: terms it lost are
// removed, terms it gained added, and when the votes changed every kept
// posting is moved to its new place.
func (t *tx) updateTerms(old bot.Tip, hadOld bool, cur bot.Tip, hasCur bool) error {
	oldTerms, curTerms := indexTerms(old, hadOld), indexTerms(cur, hasCur)
	if len(oldTerms) == 0 && len(curTerms) == 0 {
		return nil
	}
	terms, err := t.wbucket(bTerms)
	if err != nil {
		return err
	}
	var oldKey, curKey []byte
	if len(oldTerms) > 0 {
		oldKey = postingKey(old.UsefulVotes, old.ID)
	}
	if len(curTerms) > 0 {
		curKey = postingKey(cur.UsefulVotes, cur.ID)
	}
	for _, term := range oldTerms {
		if slices.Contains(curTerms, term) {
			if string(oldKey) != string(curKey) {
				if err := movePosting(terms, term, oldKey, curKey); err != nil {
					return err
				}
			}
			continue
		}
		if err := removePosting(terms, term, oldKey); err != nil {
			return err
		}
	}
	for _, term := range curTerms {
		if slices.Contains(oldTerms, term) {
			continue
		}
		if err := addPosting(terms, term, curKey); err != nil {
			return err
		}
	}
	return nil
}

func termBucket(terms *bbolt.Bucket, term string) *bbolt.Bucket {
	b := terms.Bucket([]byte(term))
	if b != nil {
		b.FillPercent = termFill
	}
	return b
}

func postingCount(b *bbolt.Bucket) uint64 {
	n, w := binary.Uvarint(b.Get(keyCount))
	if w <= 0 {
		return 0
	}
	return n
}

func addPosting(terms *bbolt.Bucket, term string, k []byte) error {
	b := termBucket(terms, term)
	if b == nil {
		var err error
		if b, err = terms.CreateBucket([]byte(term)); err != nil {
			return fmt.Errorf("term %q: %w", term, err)
		}
		b.FillPercent = termFill
	}
	if b.Get(k) != nil {
		return nil
	}
	if err := b.Put(k, empty); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	if err := b.Put(keyCount, binary.AppendUvarint(nil, postingCount(b)+1)); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	return nil
}

func removePosting(terms *bbolt.Bucket, term string, k []byte) error {
	b := termBucket(terms, term)
	if b == nil || b.Get(k) == nil {
		return nil
	}
	if err := b.Delete(k); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	n := postingCount(b)
	if n <= 1 {
		if err := terms.DeleteBucket([]byte(term)); err != nil {
			return fmt.Errorf("term %q: %w", term, err)
		}
		return nil
	}
	if err := b.Put(keyCount, binary.AppendUvarint(nil, n-1)); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	return nil
}

func movePosting(terms *bbolt.Bucket, term string, from, to []byte) error {
	b := termBucket(terms, term)
	if b == nil || b.Get(from) == nil {
		return addPosting(terms, term, to)
	}
	if err := b.Delete(from); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	if err := b.Put(to, empty); err != nil {
		return fmt.Errorf("term %q: %w", term, err)
	}
	return nil
}

// SearchTips returns up to limit ranked tips holding every term, most
// useful first, then newest. It walks the postings of the rarest term in
// that order and probes the other terms' buckets for the same key, so it
// stops as soon as limit tips matched.
func (t *tx) SearchTips(terms []string, limit int) ([]bot.Tip, error) {
	idx := t.bucket(bTerms)
	if idx == nil || limit <= 0 {
		return nil, nil
	}
	terms = dedupe(terms)
	if len(terms) == 0 {
		return nil, nil
	}
	buckets := make([]*bbolt.Bucket, 0, len(terms))
	for _, term := range terms {
		if term == "" {
			return nil, nil
		}
		b := idx.Bucket([]byte(term))
		if b == nil {
			return nil, nil
		}
		buckets = append(buckets, b)
	}
	slices.SortFunc(buckets, func(a, b *bbolt.Bucket) int {
		na, nb := postingCount(a), postingCount(b)
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	})
	var ids []bot.TipID
	c := buckets[0].Cursor()
postings:
	for k, _ := c.First(); k != nil && len(ids) < limit; k, _ = c.Next() {
		if len(k) != postingLen {
			continue
		}
		for _, other := range buckets[1:] {
			if other.Get(k) == nil {
				continue postings
			}
		}
		ids = append(ids, bot.TipID(^binary.BigEndian.Uint64(k[4:])))
	}
	return t.tips(ids)
}
