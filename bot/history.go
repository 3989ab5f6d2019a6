package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// recHistory holds what happened to each tip (key: padded tip id → JSON
// list of HistoryEntry, oldest first).
const recHistory = "history"

// maxHistory bounds the entries kept per tip: the first (its capture) and
// the latest ones.
const maxHistory = 50

// What a history entry records.
const (
	historyCaptured   = "captured"
	historyEdited     = "edited"
	historyApproved   = "approved"
	historyFeatured   = "featured"
	historyRejected   = "rejected"
	historyHallOfFame = "hall-of-fame"
)

// HistoryEntry is one thing that happened to a tip.
type HistoryEntry struct {
	At     time.Time
	By     string `json:",omitempty"` // who did it ("" for tipbot, or a forgotten person)
	Event  string // captured, edited, approved, featured, rejected, hall-of-fame, path-added, path-removed
	Source Source `json:",omitempty"` // how it was captured (captured only)
	Path   string `json:",omitempty"` // the training path (path-added, path-removed)
}

// tipHistory returns a tip's history, oldest first.
func tipHistory(tx ReadTx, id TipID) ([]HistoryEntry, error) {
	raw, err := tx.Record(recHistory, tipKey(id))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h []HistoryEntry
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("bot: decode history of %s: %w", id, err)
	}
	return h, nil
}

func putHistory(tx Tx, id TipID, h []HistoryEntry) error {
	raw, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("bot: encode history of %s: %w", id, err)
	}
	return tx.PutRecord(recHistory, tipKey(id), raw)
}

// addHistory appends an entry, dated now, to a tip's history.
func (b *Bot) addHistory(tx Tx, id TipID, by, event string, src Source) error {
	return b.appendHistory(tx, id, HistoryEntry{By: by, Event: event, Source: src})
}

// appendHistory appends e, dated now, to a tip's history, keeping the
// first entry and the latest ones (maxHistory).
func (b *Bot) appendHistory(tx Tx, id TipID, e HistoryEntry) error {
	h, err := tipHistory(tx, id)
	if err != nil {
		return err
	}
	e.At = b.now()
	h = append(h, e)
	if len(h) > maxHistory {
		h = append(h[:1], h[len(h)-maxHistory+1:]...)
	}
	return putHistory(tx, id, h)
}

// historyBy returns the tips whose history names a person (for forget-me).
func historyBy(tx ReadTx, person string) ([]TipID, error) {
	var ids []TipID
	err := tx.ForEachRecord(recHistory, func(key string, raw []byte) error {
		if !strings.Contains(string(raw), person) { // a cheap look before decoding
			return nil
		}
		var h []HistoryEntry
		if err := json.Unmarshal(raw, &h); err != nil {
			return fmt.Errorf("bot: decode history %s: %w", key, err)
		}
		for _, e := range h {
			if e.By == person {
				id, err := keyID(key)
				if err != nil {
					return fmt.Errorf("bot: history key %q: %w", key, err)
				}
				ids = append(ids, TipID(id))
				break
			}
		}
		return nil
	})
	return ids, err
}

// forgetHistory removes a person's id from the histories found by
// historyBy: what happened stays, not who did it.
func forgetHistory(tx Tx, tips []TipID, person string) error {
	for _, id := range tips {
		h, err := tipHistory(tx, id)
		if err != nil {
			return err
		}
		changed := false
		for i := range h {
			if h[i].By == person {
				h[i].By, changed = "", true
			}
		}
		if changed {
			if err := putHistory(tx, id, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// cmdShow: /tips show <tip> prints a tip with its author, votes, applied
// count, status, paths and history, where the asker may see it.
func (b *Bot) cmdShow(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) != 1 {
		return b.usage("usage.show"), nil
	}
	id, err := ParseTipID(args[0])
	if err != nil {
		return b.private(b.t("tip.unknown", args[0])), nil
	}
	v := commandViewer(e)
	v.own = true
	var t Tip
	var h []HistoryEntry
	var paths []string
	found := false
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		t, err = tx.Tip(id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !v.shows(t) {
			return nil
		}
		if !t.Ranked() && t.AuthorID != e.User.ID {
			role, err := b.roleOf(tx, e.User)
			if err != nil || role < RoleTrainer {
				return err
			}
		}
		found = true
		if paths, err = tipPaths(tx, id); err != nil {
			return err
		}
		h, err = tipHistory(tx, id)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return b.private(b.t("tip.unknown", args[0])), nil
	}
	m := &Message{Title: b.t("show.title", t.ID), Credit: t.AuthorID}
	add := func(text string) { m.Lines = append(m.Lines, Line{Text: text}) }
	m.Lines = append(m.Lines, Line{Text: "«" + snippet(t.Text, 1000) + "»", Ref: tipRef(t)})
	m.Lines = append(m.Lines, Line{Parts: b.tp("show.author", t.AuthorName, channelRef(t.Channel))})
	add(b.plural("votes", int64(t.UsefulVotes)) + " · " + b.plural("applied", int64(t.Applied)))
	status := b.t("status." + string(t.Status))
	if t.HallOfFame {
		status += " · " + b.t("show.halloffame")
	}
	add(b.t("show.status", status))
	if len(paths) == 0 {
		add(b.t("show.paths", b.t("show.nopath")))
	} else {
		add(b.t("show.paths", strings.Join(paths, ", ")))
	}
	add(b.t("show.history"))
	for _, x := range h {
		event := b.t("history." + x.Event)
		if x.Path != "" {
			event = b.t("history."+x.Event, x.Path)
		}
		line := []Part{{Text: "• " + b.formatTime(x.At) + " — " + event}}
		if x.Source != "" {
			line = append(line, Part{Text: " (" + b.t("source."+string(x.Source)) + ")"})
		}
		if x.By != "" {
			line = append(line, Part{Text: " "})
			line = append(line, b.tp("history.by", mention(x.By))...)
		}
		m.Lines = append(m.Lines, Line{Parts: line})
	}
	return m, nil
}
