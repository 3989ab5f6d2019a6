package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTipRunes is the longest tip, in characters: Slack's message limit,
// which no platform's message exceeds (Discord's are 2,000 or 4,000, the
// shell's lines 40,000 bytes). A tip is kept whole up to it; a longer text
// is refused with a reply naming the limit, never cut.
const MaxTipRunes = 40000

// capturable reports whether a message's text asks to be captured (a
// capture prefix at its start or a capture hashtag anywhere) and returns the
// tip text: the message without the prefix.
func (b *Bot) capturable(text string) (string, bool) {
	trimmed := strings.TrimSpace(text)
	lower := strings.ToLower(trimmed)
	for _, p := range b.cfg.Prefixes {
		if n := prefixLen(trimmed, p); n > 0 {
			return strings.TrimSpace(trimmed[n:]), true
		}
	}
	for _, h := range b.cfg.Hashtags {
		if h != "" && containsHashtag(lower, strings.ToLower(h)) {
			return trimmed, true
		}
	}
	return "", false
}

// prefixLen returns the length of prefix p at the start of text, compared
// case-insensitively (0 when absent). A prefix ending in ':' also matches with spaces before the
// colon, as French typography writes it ("astuce : ...").
func prefixLen(text, p string) int {
	if p == "" {
		return 0
	}
	hasPrefix := func(s, prefix string) bool {
		return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
	}
	if hasPrefix(text, p) {
		return len(p)
	}
	base, ok := strings.CutSuffix(p, ":")
	if !ok || base == "" || !hasPrefix(text, base) {
		return 0
	}
	rest := strings.TrimLeft(text[len(base):], " \u00a0\u202f")
	if len(rest) == len(text)-len(base) || !strings.HasPrefix(rest, ":") {
		return 0
	}
	return len(text) - len(rest) + 1
}

// containsHashtag reports whether tag (e.g. "#tip") stands in text as a
// whole word: "#tips" or "a#tip" do not count.
func containsHashtag(text, tag string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], tag)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(tag)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(text) || !(isWordRune(after) || after == '-' || after == '_')) {
			return true
		}
		i = end
	}
}

// clip returns a tip's text as stored: valid UTF-8, trimmed, without bidi
// controls. It never cuts: callers refuse texts over MaxTipRunes.
func clip(text string) string {
	return strings.TrimSpace(stripBidi(strings.ToValidUTF8(text, "�")))
}

// tooLong returns the refusal of a tip text longer than MaxTipRunes, or nil.
func (b *Bot) tooLong(text string) Reply {
	if n := utf8.RuneCountInString(clip(text)); n > MaxTipRunes {
		return b.private(b.t("tip.toolong", MaxTipRunes, n))
	}
	return nil
}

// newTip is what capture needs to create a tip.
type newTip struct {
	ws         Workspace
	channel    string
	messageID  string
	threadID   string
	author     User
	text       string
	source     Source
	session    SessionID
	capturedBy string
}

// capture creates a tip from a message inside tx, unless the message is
// already a tip (then it returns that tip and false) or its text is longer
// than MaxTipRunes (then it returns a zero Tip and false, and sets the
// refusal as the reply). Useful reactions given
// to the message before it was captured become votes. It queues the
// acknowledgement reaction and, if the pending votes reach the threshold,
// the hall of fame.
func (b *Bot) capture(tx Tx, out *outbox, n newTip) (Tip, bool, error) {
	if n.messageID != "" {
		existing, err := tx.TipByMessage(n.channel, n.messageID)
		if err == nil {
			return existing, false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Tip{}, false, err
		}
	}
	who := n.capturedBy
	if who == "" {
		who = n.author.ID
	}
	if err := b.countCapture(tx, who); err != nil {
		return Tip{}, false, err
	}
	id, err := tx.NextTipID()
	if err != nil {
		return Tip{}, false, err
	}
	if r := b.tooLong(n.text); r != nil {
		out.reply = r
		return Tip{}, false, nil
	}
	visibility, err := visibilityIn(tx, n.channel, n.threadID)
	if err != nil {
		return Tip{}, false, err
	}
	now := b.now()
	text := clip(n.text)
	status := StatusPublished
	if b.cfg.RequireApproval {
		status = StatusPending
	}
	t := Tip{
		ID:         id,
		Channel:    n.channel,
		MessageID:  n.messageID,
		ThreadID:   n.threadID,
		AuthorID:   n.author.ID,
		AuthorName: displayName(n.author),
		Text:       text,
		Topics:     Topics(text, b.cfg.Hashtags),
		Source:     n.source,
		SessionID:  n.session,
		Status:     status,
		CreatedAt:  now,
		UpdatedAt:  now,
		Periods:    PeriodKeys(now, b.cfg.Location),
		Visibility: visibility,
	}
	if n.capturedBy != n.author.ID {
		t.CapturedBy = n.capturedBy
	}
	if err := b.addHistory(tx, t.ID, who, historyCaptured, t.Source); err != nil {
		return Tip{}, false, err
	}
	if err := b.notePerson(tx, n.author); err != nil {
		return Tip{}, false, err
	}
	if err := addCounters(tx, t.Periods, counterTips(n.source), 1); err != nil {
		return Tip{}, false, err
	}
	if t.MessageID != "" {
		if err := b.adoptPendingVotes(tx, &t); err != nil {
			return Tip{}, false, err
		}
		if err := b.ackReaction(tx, out, n.ws, t); err != nil {
			return Tip{}, false, err
		}
	}
	if err := b.maybeHallOfFame(tx, out, n.ws, &t); err != nil {
		return Tip{}, false, err
	}
	if err := tx.PutTip(t); err != nil {
		return Tip{}, false, err
	}
	if err := countFunnel(tx, Tip{}, t); err != nil { // before the applied marks: markApplied counts them
		return Tip{}, false, err
	}
	if err := b.noteSharer(tx, t.AuthorID); err != nil {
		return Tip{}, false, err
	}
	if err := b.adoptPendingApplied(tx, &t); err != nil {
		return Tip{}, false, err
	}
	if err := countVotes(tx, Tip{}, t); err != nil {
		return Tip{}, false, err
	}
	if err := countNewContributor(tx, t); err != nil {
		return Tip{}, false, err
	}
	if err := trackPending(tx, t, false); err != nil {
		return Tip{}, false, err
	}
	if t.SessionID != 0 {
		if err := addAnswer(tx, t); err != nil {
			return Tip{}, false, err
		}
	}
	return t, true, nil
}

// adoptPendingVotes turns the useful reactions recorded on t's message
// before it was a tip into votes of t (the author's own are dropped).
func (b *Bot) adoptPendingVotes(tx Tx, t *Tip) error {
	pending, err := tx.PendingVotes(t.Channel, t.MessageID)
	if err != nil {
		return err
	}
	for _, pv := range pending {
		if pv.Voter == t.AuthorID || len(pv.Emojis) == 0 {
			continue
		}
		if err := tx.PutVote(t.ID, pv.Voter, Vote{Emojis: pv.Emojis}); err != nil {
			return err
		}
		if err := b.noteVoter(tx, nil, Workspace{}, pv.Voter, t.ID); err != nil {
			return err
		}
		t.UsefulVotes++
	}
	if len(pending) == 0 {
		return nil
	}
	return tx.DeletePendingVotes(t.Channel, t.MessageID)
}

// notePerson records a contributor the first time they author a tip, and
// keeps their display name current.
func (b *Bot) notePerson(tx Tx, u User) error {
	p, err := tx.Person(u.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return tx.PutPerson(Person{ID: u.ID, Name: displayName(u), FirstTipAt: b.now()})
	case err != nil:
		return err
	}
	if name := displayName(u); name != p.Name && u.Name != "" {
		p.Name = name
		return tx.PutPerson(p)
	}
	return nil
}

// recNewContributor marks authors already counted as new contributors
// (key: author id → JSON list of the period keys they were counted in).
const recNewContributor = "contributor.new"

// countNewContributor counts a tip's author as a new contributor in the
// tip's periods the first time one of their tips is ranked (published or
// featured: pending and rejected tips make nobody a contributor).
func countNewContributor(tx Tx, t Tip) error {
	if !t.Ranked() {
		return nil
	}
	if _, err := tx.Record(recNewContributor, t.AuthorID); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	raw, err := json.Marshal(t.Periods)
	if err != nil {
		return fmt.Errorf("bot: encode periods: %w", err)
	}
	if err := addCounters(tx, t.Periods, counterNewContributors, 1); err != nil {
		return err
	}
	return tx.PutRecord(recNewContributor, t.AuthorID, raw)
}

// recountNewContributor moves an author's "new contributor" count to the
// periods of their earliest ranked tip, or removes it when none is left
// (after a deletion or a moderation change).
func (b *Bot) recountNewContributor(tx Tx, author string) error {
	if err := uncountNewContributor(tx, author); err != nil {
		return err
	}
	var first *Tip
	err := tx.TipsByAuthor(author, func(t Tip) error {
		if t.Ranked() && (first == nil || t.CreatedAt.Before(first.CreatedAt)) {
			first = &t
		}
		return nil
	})
	if err != nil || first == nil {
		return err
	}
	return countNewContributor(tx, *first)
}

// countVotes keeps the "useful votes" report counters, the votes held by
// the ranked tips created in each period, in step with a change of a tip
// from old to new (a zero Tip for a creation or a deletion).
func countVotes(tx Tx, old, new Tip) error {
	held := func(t Tip) int64 {
		if t.Ranked() {
			return int64(t.UsefulVotes)
		}
		return 0
	}
	delta := held(new) - held(old)
	if delta == 0 {
		return nil
	}
	periods := new.Periods
	if len(periods) == 0 {
		periods = old.Periods
	}
	return addCounters(tx, periods, counterVotes, delta)
}

// uncountNewContributor takes a forgotten person out of the new
// contributor counts.
func uncountNewContributor(tx Tx, id string) error {
	raw, err := tx.Record(recNewContributor, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var periods []string
	if err := json.Unmarshal(raw, &periods); err != nil {
		return fmt.Errorf("bot: decode periods: %w", err)
	}
	if err := addCounters(tx, periods, counterNewContributors, -1); err != nil {
		return err
	}
	return tx.DeleteRecord(recNewContributor, id)
}

// displayName is the user's name, or their id when the platform gave none.
func displayName(u User) string {
	if name := strings.TrimSpace(stripBidi(u.Name)); name != "" {
		return name
	}
	return u.ID
}

// ackReaction owes the bot's acknowledgement reaction on a tip's message.
func (b *Bot) ackReaction(tx Tx, out *outbox, ws Workspace, t Tip) error {
	emoji := b.ackEmoji(ws.Platform)
	if emoji == "" || t.MessageID == "" {
		return nil
	}
	return b.owe(tx, out, parcel{Kind: parcelReact, What: "ack", Channel: t.Channel, Target: t.MessageID, Thread: t.ThreadID,
		Emoji: emoji, By: t.AuthorID})
}

func (b *Bot) messagePosted(ctx context.Context, e *MessagePosted) (Reply, error) {
	if e.Author.Bot || e.Author.ID == "" || e.MessageID == "" {
		return nil, nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		src := SourcePrefix
		var session SessionID
		var closed *Session
		text, ok := b.capturable(e.Text)
		if e.ThreadID != "" {
			s, found, err := sessionOfPrompt(tx, e.Channel, e.ThreadID)
			switch {
			case err != nil:
				return false, err
			case found && !s.Closed:
				if !ok {
					text = e.Text
				}
				src, session, ok = SourceSession, s.ID, true
			case found:
				closed = &s // the message is then like any other
			}
		}
		var tip Tip
		created := false
		if ok && strings.TrimSpace(text) != "" {
			var err error
			tip, created, err = b.capture(tx, out, newTip{
				ws: e.Workspace, channel: e.Channel, messageID: e.MessageID, threadID: e.ThreadID,
				author: e.Author, text: text, source: src, session: session,
			})
			if b.slowDown(err, out, false) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
		}
		if closed != nil && out.reply == nil {
			told, err := b.tellSessionClosed(tx, out, *closed, e.Author.ID, tip)
			if err != nil {
				return false, err
			}
			created = created || told
		}
		return created, nil
	})
}

func (b *Bot) messageEdited(ctx context.Context, e *MessageEdited) (Reply, error) {
	if e.Author.Bot || e.MessageID == "" {
		return nil, nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		t, err := tx.TipByMessage(e.Channel, e.MessageID)
		if errors.Is(err, ErrNotFound) {
			// A message edited into a tip ("tip:" added) is captured now.
			text, ok := b.capturable(e.Text)
			if !ok || text == "" || e.Author.ID == "" {
				return false, nil
			}
			_, created, err := b.capture(tx, out, newTip{
				ws: e.Workspace, channel: e.Channel, messageID: e.MessageID, threadID: e.ThreadID,
				author: e.Author, text: text, source: SourcePrefix,
			})
			if b.slowDown(err, out, false) {
				return true, nil
			}
			return created, err
		}
		if err != nil {
			return false, err
		}
		text := strings.TrimSpace(e.Text)
		if stripped, ok := b.capturable(text); ok && t.Source == SourcePrefix {
			text = stripped
		}
		if n := utf8.RuneCountInString(clip(text)); n > MaxTipRunes {
			out.reply = b.private(b.t("tip.edit.toolong", t.ID, MaxTipRunes, n))
			return false, nil
		}
		text = clip(text)
		if text == "" || text == t.Text {
			return false, nil
		}
		t.Text = text
		t.Topics = Topics(text, b.cfg.Hashtags)
		t.UpdatedAt = b.now()
		if err := b.addHistory(tx, t.ID, e.Author.ID, historyEdited, ""); err != nil {
			return false, err
		}
		return true, tx.PutTip(t)
	})
}

func (b *Bot) messageDeleted(ctx context.Context, e *MessageDeleted) error {
	if e.MessageID == "" {
		return nil
	}
	_, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		t, err := tx.TipByMessage(e.Channel, e.MessageID)
		if errors.Is(err, ErrNotFound) {
			dropped, err := dropPendingApplied(tx, e.Channel, e.MessageID)
			if err != nil {
				return false, err
			}
			pending, err := tx.PendingVotes(e.Channel, e.MessageID)
			if err != nil || len(pending) == 0 {
				return dropped, err
			}
			return true, tx.DeletePendingVotes(e.Channel, e.MessageID)
		}
		if err != nil {
			return false, err
		}
		return true, b.deleteTip(tx, t)
	})
	return err
}

// deleteTip removes a tip and takes it out of the capture counters.
func (b *Bot) deleteTip(tx Tx, t Tip) error {
	if err := removeTip(tx, t); err != nil {
		return err
	}
	return b.recountNewContributor(tx, t.AuthorID)
}

// removeTip deletes a tip and its share of the counters, like deleteTip,
// but leaves its author's "new contributor" count as it is: forget-me,
// erasing all of a person's tips, drops that count once.
func removeTip(tx Tx, t Tip) error {
	if err := addCounters(tx, t.Periods, counterTips(t.Source), -1); err != nil {
		return err
	}
	if t.SessionID != 0 {
		if err := removeAnswer(tx, t); err != nil {
			return err
		}
	}
	if err := trackPending(tx, t, true); err != nil {
		return err
	}
	if err := countVotes(tx, t, Tip{}); err != nil {
		return err
	}
	if err := countFunnel(tx, t, Tip{}); err != nil {
		return err
	}
	if err := dropAppliedMarks(tx, t.ID); err != nil {
		return err
	}
	if err := leavePaths(tx, t, nil); err != nil {
		return err
	}
	if err := tx.DeleteRecord(recHistory, tipKey(t.ID)); err != nil {
		return err
	}
	return tx.DeleteTip(t.ID)
}

func (b *Bot) saveAsTip(ctx context.Context, e *SaveAsTip) (Reply, error) {
	if e.User.Bot {
		return nil, nil
	}
	if e.Message.Author.Bot || e.Message.Author.ID == "" || strings.TrimSpace(e.Message.Text) == "" || e.MessageID == "" {
		return b.private(b.t("save.cannot")), nil
	}
	if r := b.tooLong(e.Message.Text); r != nil {
		return r, nil
	}
	if why, err := b.captureRefusal(ctx, e.Workspace, e.Channel, e.Kind); err != nil || why != "" {
		if err != nil {
			return nil, err
		}
		return b.private(why), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		if t, err := tx.TipByMessage(e.Channel, e.MessageID); err == nil {
			out.reply = b.private(b.t("save.already", t.ID))
			return false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return false, err
		}
		if t, ok, err := b.retried(tx, e.Message.Author.ID, e.Channel, e.Message.Text); err != nil || ok {
			out.reply = b.private(b.t("tip.retried", t.ID))
			return false, err
		}
		t, created, err := b.capture(tx, out, newTip{
			ws: e.Workspace, channel: e.Channel, messageID: e.MessageID, threadID: e.Message.ThreadID,
			author: e.Message.Author, text: e.Message.Text, source: SourceShortcut, capturedBy: e.User.ID,
		})
		if b.slowDown(err, out, true) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if !created {
			out.reply = b.private(b.t("save.already", t.ID))
			return false, nil
		}
		if err := b.rememberTip(tx, t, e.Message.Text); err != nil {
			return false, err
		}
		out.reply = b.private(b.t("save.done", t.ID, t.AuthorName))
		return true, nil
	})
}

// recCaptureRate keeps, per person, how many tips they captured in the
// current minute (key: user id → captureWindow JSON).
const recCaptureRate = "capture.rate"

// captureWindow counts one person's captures in a minute.
type captureWindow struct {
	Start time.Time
	Count int
	Told  bool // told to slow down in this window
}

// tooFast is capture's error when the person already captured
// Config.MaxPerMinute tips in the current minute: the tip is not recorded.
type tooFast struct {
	max  int
	tell bool // first refusal of the window: tell the person
}

func (e *tooFast) Error() string { return fmt.Sprintf("bot: more than %d tips a minute", e.max) }

// countCapture counts a capture by who in the current minute inside tx, or
// returns a *tooFast when they are over the limit.
func (b *Bot) countCapture(tx Tx, who string) error {
	limit := b.cfg.MaxPerMinute
	if limit <= 0 || who == "" {
		return nil
	}
	now := b.now()
	var w captureWindow
	raw, err := tx.Record(recCaptureRate, who)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(raw, &w); err != nil {
			w = captureWindow{}
		}
	}
	if now.Sub(w.Start) >= time.Minute || now.Before(w.Start) {
		w = captureWindow{Start: now}
	}
	var refusal error
	if w.Count >= limit {
		refusal = &tooFast{max: limit, tell: !w.Told}
		w.Told = true
	} else {
		w.Count++
	}
	out, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("bot: encode capture window: %w", err)
	}
	if err := tx.PutRecord(recCaptureRate, who, out); err != nil {
		return err
	}
	return refusal
}

// slowDown reports whether err is capture's tooFast; if so it sets the
// reply asking the person to slow down (always, or only on the first
// refusal of the minute for captures nobody asked an answer for).
func (b *Bot) slowDown(err error, out *outbox, always bool) bool {
	var tf *tooFast
	if !errors.As(err, &tf) {
		return false
	}
	if always || tf.tell {
		out.reply = b.private(b.t("capture.slowdown", tf.max))
	}
	return true
}

// private builds a one-line private reply.
func (b *Bot) private(text string) Reply {
	return &Message{Lines: []Line{{Text: text}}}
}
