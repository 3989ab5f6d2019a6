package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// retryWindow is how long the same text from the same author in the same
// channel, shared with /tip or a shortcut, is taken for a retry of the
// same tip: a person who saw the platform fail (tipbot was slow to answer)
// types it again.
const retryWindow = 10 * time.Minute

// recRecent holds, per author, the tips they last shared with /tip or a
// shortcut: key author id → JSON list of recentTip, newest last.
const recRecent = "recent"

// maxRecent bounds the tips remembered per author.
const maxRecent = 8

type recentTip struct {
	Channel string
	Hash    string // of the text, spaces folded
	ID      TipID
	At      time.Time
}

func textHash(text string) string {
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(text), " ")))
	return hex.EncodeToString(sum[:12])
}

// recentTips reads an author's recent tips, dropping those older than the
// retry window.
func (b *Bot) recentTips(tx ReadTx, author string) ([]recentTip, error) {
	raw, err := tx.Record(recRecent, author)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list []recentTip
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("bot: decode recent tips: %w", err)
	}
	now := b.now()
	kept := list[:0]
	for _, r := range list {
		if now.Sub(r.At) < retryWindow {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// retried returns the tip that the same author shared with the same text
// in the same channel within the retry window, if it still exists.
func (b *Bot) retried(tx Tx, author, channel, text string) (Tip, bool, error) {
	list, err := b.recentTips(tx, author)
	if err != nil {
		return Tip{}, false, err
	}
	h := textHash(text)
	for i := len(list) - 1; i >= 0; i-- {
		r := list[i]
		if r.Channel != channel || r.Hash != h {
			continue
		}
		t, err := tx.Tip(r.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Tip{}, false, err
		}
		return t, true, nil
	}
	return Tip{}, false, nil
}

// rememberTip records a tip shared with /tip or a shortcut for retried.
func (b *Bot) rememberTip(tx Tx, t Tip, text string) error {
	list, err := b.recentTips(tx, t.AuthorID)
	if err != nil {
		return err
	}
	list = append(list, recentTip{Channel: t.Channel, Hash: textHash(text), ID: t.ID, At: b.now()})
	if len(list) > maxRecent {
		list = list[len(list)-maxRecent:]
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return tx.PutRecord(recRecent, t.AuthorID, raw)
}
