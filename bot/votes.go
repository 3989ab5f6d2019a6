package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// BaseEmoji folds an emoji to its base form: Unicode skin tone modifiers
// and variation selectors are dropped ("👍🏽" becomes "👍"), and so are
// surrounding colons. Platforms that write variants by name fold them in
// their adapter before the core sees them.
func BaseEmoji(e string) string {
	e = strings.TrimSpace(e)
	e = strings.Trim(e, ":")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0x1F3FB && r <= 0x1F3FF: // skin tone modifiers
			return -1
		case r == 0xFE0F || r == 0xFE0E: // variation selectors
			return -1
		}
		return r
	}, e)
}

// isUseful reports whether the (folded) emoji counts as a useful vote on
// the platform.
func (b *Bot) isUseful(p Platform, emoji string) bool {
	for _, u := range b.usefulEmoji(p) {
		if b.foldEmoji(p, u) == emoji {
			return true
		}
	}
	return false
}

// isCapture reports whether the (folded) emoji is the platform's capture reaction.
func (b *Bot) isCapture(p Platform, emoji string) bool {
	c := b.captureEmoji(p)
	return c != "" && b.foldEmoji(p, c) == emoji
}

// reactionAdded applies a reaction. A useful reaction that can be nothing
// but a vote (the hot path of ingest) reads the directory of people in the
// vote's own transaction; any other reads it first, as Handle does for the
// other events.
func (b *Bot) reactionAdded(ctx context.Context, e *ReactionAdded) (reply Reply, err error) {
	emoji := b.foldEmoji(e.Workspace.Platform, e.Emoji)
	if b.voteOnly(e, emoji) {
		return b.plainVote(ctx, e, emoji)
	}
	if resolve := b.fromDirectory(ctx, e); resolve != nil {
		defer func() {
			if err == nil {
				resolve()
			}
		}()
	}
	if e.User.Bot || e.User.ID == "" || e.MessageID == "" {
		return nil, nil
	}
	if b.isApplied(e.Workspace.Platform, emoji) { // never a useful vote, never a capture
		return nil, b.appliedReaction(ctx, &e.EventMeta, e.Channel, e.MessageID, e.User, true)
	}
	capture, useful := b.isCapture(e.Workspace.Platform, emoji), b.isUseful(e.Workspace.Platform, emoji)
	if !capture && !useful {
		return nil, nil
	}
	if capture && (e.Message.Author.ID == "" || e.Message.Author.Bot || strings.TrimSpace(e.Message.Text) == "") {
		if !useful {
			b.log.Info("capture reaction on a message that cannot be captured", "workspace", e.Workspace.Key(),
				"channel", e.Channel, "message", e.MessageID, "bot_author", e.Message.Author.Bot)
			return nil, nil
		}
		capture = false
	}
	var refused Reply
	if capture {
		why, err := b.captureRefusal(ctx, e.Workspace, e.Channel, e.Kind)
		if err != nil {
			return nil, err
		}
		if why != "" {
			refused, capture = b.private(why), false
			if !useful {
				return refused, nil
			}
		}
	}
	if refused != nil {
		reply, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
			return b.addVote(tx, out, e.Workspace, e.Channel, e.MessageID, e.User.ID, heldAs(emoji, e.Variant))
		})
		if err != nil || reply != nil {
			return reply, err
		}
		return refused, nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		changed := false
		if capture {
			_, created, err := b.capture(tx, out, newTip{
				ws: e.Workspace, channel: e.Channel, messageID: e.MessageID, threadID: e.Message.ThreadID,
				author: e.Message.Author, text: e.Message.Text, source: SourceReaction, capturedBy: e.User.ID,
			})
			if b.slowDown(err, out, false) {
				created, err = true, nil
			}
			if err != nil {
				return false, err
			}
			changed = created
		}
		if useful {
			voted, err := b.addVote(tx, out, e.Workspace, e.Channel, e.MessageID, e.User.ID, heldAs(emoji, e.Variant))
			if err != nil {
				return false, err
			}
			changed = changed || voted
		}
		return changed, nil
	})
}

// voteOnly reports whether a reaction (its emoji folded) can be nothing
// but a useful vote: useful, neither the capture nor the applied reaction,
// by someone the event does not already say is a bot.
func (b *Bot) voteOnly(e *ReactionAdded, emoji string) bool {
	p := e.Workspace.Platform
	return !e.User.Bot && e.User.ID != "" && e.MessageID != "" &&
		b.isUseful(p, emoji) && !b.isCapture(p, emoji) && !b.isApplied(p, emoji)
}

// plainVote records a reaction voteOnly accepted. The people it names are
// completed from the directory in the vote's transaction; a person the
// directory says is a bot does not vote, and those it does not know are
// looked up once the vote is committed.
func (b *Bot) plainVote(ctx context.Context, e *ReactionAdded, emoji string) (Reply, error) {
	user, author := e.User, e.Message.Author
	var unknown []string
	reply, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		// A store may run this more than once: each attempt starts from
		// the event as it came.
		e.User, e.Message.Author = user, author
		var err error
		if unknown, err = fillFromDirectory(tx, e, unknown[:0]); err != nil {
			return false, err
		}
		if e.User.Bot {
			return false, nil
		}
		return b.addVote(tx, out, e.Workspace, e.Channel, e.MessageID, e.User.ID, heldAs(emoji, e.Variant))
	})
	if err != nil {
		return nil, err
	}
	if resolve := b.resolver(e.Workspace, unknown); resolve != nil {
		resolve()
	}
	return reply, nil
}

func (b *Bot) reactionRemoved(ctx context.Context, e *ReactionRemoved) error {
	if e.User.Bot || e.User.ID == "" || e.MessageID == "" {
		return nil
	}
	emoji := b.foldEmoji(e.Workspace.Platform, e.Emoji)
	if b.isApplied(e.Workspace.Platform, emoji) {
		return b.appliedReaction(ctx, &e.EventMeta, e.Channel, e.MessageID, e.User, false)
	}
	if !b.isUseful(e.Workspace.Platform, emoji) {
		return nil // taking the capture reaction off does not un-capture: the tip may have votes
	}
	_, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		changed, err := b.removeVote(tx, e.Channel, e.MessageID, e.User.ID, heldAs(emoji, e.Variant))
		if err == nil && !changed && e.Variant != "" {
			// a vote recorded before variants were kept apart
			changed, err = b.removeVote(tx, e.Channel, e.MessageID, e.User.ID, emoji)
		}
		return changed, err
	})
	return err
}

// heldAs is how a person's reaction is kept in their vote: the folded
// emoji, or the variant where the platform keeps variants apart.
func heldAs(emoji, variant string) string {
	if variant != "" {
		return variant
	}
	return emoji
}

func (b *Bot) reactionsCleared(ctx context.Context, e *ReactionsCleared) error {
	if e.MessageID == "" {
		return nil
	}
	emoji := b.foldEmoji(e.Workspace.Platform, e.Emoji)
	if e.Emoji != "" && b.isApplied(e.Workspace.Platform, emoji) {
		_, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
			return b.clearAppliedReactions(tx, e.Channel, e.MessageID)
		})
		return err
	}
	if e.Emoji != "" && !b.isUseful(e.Workspace.Platform, emoji) {
		return nil
	}
	// without returns the emojis left once the cleared ones are gone.
	without := func(emojis []string) []string {
		if e.Emoji == "" {
			return nil
		}
		return slices.DeleteFunc(slices.Clone(emojis), func(s string) bool {
			if e.Variant != "" {
				return s == e.Variant || strings.HasPrefix(s, e.Variant+" ")
			}
			return s == emoji
		})
	}
	_, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		t, err := tx.TipByMessage(e.Channel, e.MessageID)
		if errors.Is(err, ErrNotFound) {
			pending, err := tx.PendingVotes(e.Channel, e.MessageID)
			if err != nil {
				return false, err
			}
			changed := false
			if e.Emoji == "" {
				if changed, err = dropPendingApplied(tx, e.Channel, e.MessageID); err != nil {
					return false, err
				}
			}
			for _, pv := range pending {
				if left := without(pv.Emojis); len(left) != len(pv.Emojis) {
					if err := tx.PutPendingVote(e.Channel, e.MessageID, PendingVote{Voter: pv.Voter, Emojis: left}); err != nil {
						return false, err
					}
					changed = true
				}
			}
			return changed, nil
		}
		if err != nil {
			return false, err
		}
		cleared := false
		if e.Emoji == "" {
			if cleared, err = b.clearAppliedReactions(tx, e.Channel, e.MessageID); err != nil {
				return false, err
			}
			if t, err = tx.Tip(t.ID); err != nil { // with its new applied count
				return false, err
			}
		}
		type change struct {
			voter string
			left  []string
		}
		var changes []change
		if err := tx.ForEachVote(t.ID, func(voter string, v Vote) error {
			if left := without(v.Emojis); len(left) != len(v.Emojis) {
				changes = append(changes, change{voter, left})
			}
			return nil
		}); err != nil {
			return false, err
		}
		gone := 0
		for _, c := range changes {
			if len(c.left) > 0 {
				err = tx.PutVote(t.ID, c.voter, Vote{Emojis: c.left})
			} else {
				err, gone = tx.DeleteVote(t.ID, c.voter), gone+1
			}
			if err != nil {
				return false, err
			}
		}
		if gone > 0 {
			before := t
			t.UsefulVotes = max(t.UsefulVotes-gone, 0)
			if err := countVotes(tx, before, t); err != nil {
				return false, err
			}
			if err := tx.PutTip(t); err != nil {
				return false, err
			}
		}
		return cleared || len(changes) > 0, nil
	})
	return err
}

// addVote records a useful reaction of voter on a message. On a tip, the
// voter counts once whatever the emojis, never on their own tip; on another
// message the reaction is kept pending in case the message is captured.
func (b *Bot) addVote(tx Tx, out *outbox, ws Workspace, channel, messageID, voter, emoji string) (bool, error) {
	t, err := tx.TipByMessage(channel, messageID)
	if errors.Is(err, ErrNotFound) {
		return b.addPendingVote(tx, channel, messageID, voter, emoji)
	}
	if err != nil {
		return false, err
	}
	if voter == t.AuthorID {
		return false, nil
	}
	v, err := tx.Vote(t.ID, voter)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if slices.Contains(v.Emojis, emoji) {
		return false, nil
	}
	first := len(v.Emojis) == 0
	v.Emojis = insertSorted(v.Emojis, emoji)
	if err := tx.PutVote(t.ID, voter, v); err != nil {
		return false, err
	}
	if !first {
		return true, nil
	}
	before := t
	t.UsefulVotes++
	if err := countVotes(tx, before, t); err != nil {
		return false, err
	}
	if err := b.noteVoter(tx, out, ws, voter, t.ID); err != nil {
		return false, err
	}
	if err := b.maybeHallOfFame(tx, out, ws, &t); err != nil {
		return false, err
	}
	return true, tx.PutTip(t)
}

// removeVote takes one useful reaction of voter off a message; the vote
// goes when their last useful reaction does.
func (b *Bot) removeVote(tx Tx, channel, messageID, voter, emoji string) (bool, error) {
	t, err := tx.TipByMessage(channel, messageID)
	if errors.Is(err, ErrNotFound) {
		return b.removePendingVote(tx, channel, messageID, voter, emoji)
	}
	if err != nil {
		return false, err
	}
	v, err := tx.Vote(t.ID, voter)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	i := slices.Index(v.Emojis, emoji)
	if i < 0 {
		return false, nil
	}
	v.Emojis = slices.Delete(v.Emojis, i, i+1)
	if len(v.Emojis) > 0 {
		return true, tx.PutVote(t.ID, voter, v)
	}
	if err := tx.DeleteVote(t.ID, voter); err != nil {
		return false, err
	}
	before := t
	t.UsefulVotes--
	if err := countVotes(tx, before, t); err != nil {
		return false, err
	}
	return true, tx.PutTip(t)
}

func (b *Bot) addPendingVote(tx Tx, channel, messageID, voter, emoji string) (bool, error) {
	pending, err := tx.PendingVotes(channel, messageID)
	if err != nil {
		return false, err
	}
	pv := PendingVote{Voter: voter}
	if i := slices.IndexFunc(pending, func(p PendingVote) bool { return p.Voter == voter }); i >= 0 {
		pv = pending[i]
	}
	if slices.Contains(pv.Emojis, emoji) {
		return false, nil
	}
	pv.Emojis = insertSorted(pv.Emojis, emoji)
	return true, tx.PutPendingVote(channel, messageID, pv)
}

func (b *Bot) removePendingVote(tx Tx, channel, messageID, voter, emoji string) (bool, error) {
	pending, err := tx.PendingVotes(channel, messageID)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(pending, func(p PendingVote) bool { return p.Voter == voter })
	if i < 0 {
		return false, nil
	}
	pv := pending[i]
	j := slices.Index(pv.Emojis, emoji)
	if j < 0 {
		return false, nil
	}
	pv.Emojis = slices.Delete(pv.Emojis, j, j+1)
	return true, tx.PutPendingVote(channel, messageID, pv)
}

// maybeHallOfFame marks a ranked tip that reached the threshold and queues
// its hall of fame post and the author's thanks. It happens once per tip:
// the mark stays even if votes go down and up again. The caller stores t.
func (b *Bot) maybeHallOfFame(tx Tx, out *outbox, ws Workspace, t *Tip) error {
	if t.HallOfFame || !t.Ranked() || t.Restricted() || b.cfg.Threshold <= 0 || t.UsefulVotes < b.cfg.Threshold {
		return nil
	}
	t.HallOfFame = true
	if err := b.addHistory(tx, t.ID, "", historyHallOfFame, ""); err != nil {
		return err
	}
	tip := *t
	if channel := b.cfg.HallOfFame[ws.Platform]; channel != "" {
		post := Message{
			Title: b.t("hof.title"),
			Lines: []Line{
				{Text: b.t("hof.line", tip.Text, tip.AuthorName, tip.UsefulVotes), Ref: tipRef(tip)},
				{Text: b.t("hof.footer", tip.ID)},
			},
			Credit: tip.AuthorID,
		}
		if err := b.owePost(tx, out, "hall-of-fame", channel, post, parcel{By: tip.AuthorID}); err != nil {
			return err
		}
	}
	thanks := Message{Lines: []Line{{Text: b.t("hof.thanks", tip.UsefulVotes, tip.Text), Ref: tipRef(tip)}}, Credit: tip.AuthorID}
	return b.oweDirect(tx, out, "thanks", tip.AuthorID, thanks)
}

// tipRef points at a tip's message, or nil while it has none.
func tipRef(t Tip) *MessageRef {
	if t.MessageID == "" {
		return nil
	}
	return &MessageRef{Channel: t.Channel, MessageID: t.MessageID, Thread: t.ThreadID}
}

func insertSorted(list []string, s string) []string {
	i, found := slices.BinarySearch(list, s)
	if found {
		return list
	}
	return slices.Insert(slices.Clone(list), i, s)
}

// Counter names, per period key (see PeriodKeys). They feed reports, all
// by the period the tips were created in: tips captured by source, useful
// votes held by ranked tips, new contributors (people whose first ranked
// tip it is).
func counterTips(src Source) func(period string) string {
	return func(period string) string { return "tips:" + period + ":" + string(src) }
}
func counterVotes(period string) string           { return "votes:" + period }
func counterNewContributors(period string) string { return "newcontributors:" + period }

// addCounters adds delta to the counter name(p) of every period p.
func addCounters(tx Tx, periods []string, name func(period string) string, delta int64) error {
	for _, p := range periods {
		if err := tx.AddCounter(name(p), delta); err != nil {
			return err
		}
	}
	return nil
}
