package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Session is a training moment closed by a "What did you retain?" prompt;
// the replies to the prompt are its tips.
type Session struct {
	ID       SessionID
	Channel  string
	PromptID string // the prompt's message id; "" until posted
	Title    string
	OpenedBy string
	OpenedAt time.Time
	Deadline time.Time
	Closed   bool
	ClosedAt time.Time
	Reminded bool
	Schedule string  // id of the schedule that opened it, if any
	Tips     []TipID // the answers, in order of arrival
}

// Record kinds the core keeps through Tx.PutRecord.
const (
	recSession       = "session"        // key: padded session id → Session JSON
	recSessionOpen   = "session.open"   // key: padded session id of each open session
	recSessionPrompt = "session.prompt" // key: channel \x00 prompt message id → session id
	recSequence      = "seq"            // key: name → last id, decimal
)

// maxTitleRunes caps session and schedule titles.
const maxTitleRunes = 200

func sessionKey(id SessionID) string       { return fmt.Sprintf("%020d", uint64(id)) }
func promptKey(channel, msg string) string { return channel + "\x00" + msg }

// getSession reads a session.
func getSession(tx ReadTx, id SessionID) (Session, error) {
	raw, err := tx.Record(recSession, sessionKey(id))
	if err != nil {
		return Session{}, err
	}
	var s Session
	if err := json.Unmarshal(raw, &s); err != nil {
		return Session{}, fmt.Errorf("bot: decode session %s: %w", id, err)
	}
	return s, nil
}

// putSession stores a session and keeps the open-session index in step.
func putSession(tx Tx, s Session) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("bot: encode session: %w", err)
	}
	if err := tx.PutRecord(recSession, sessionKey(s.ID), raw); err != nil {
		return err
	}
	if s.Closed {
		return tx.DeleteRecord(recSessionOpen, sessionKey(s.ID))
	}
	return tx.PutRecord(recSessionOpen, sessionKey(s.ID), []byte{1})
}

// nextSequence returns the next value of a named sequence.
func nextSequence(tx Tx, name string) (uint64, error) {
	var n uint64
	raw, err := tx.Record(recSequence, name)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return 0, err
	default:
		if n, err = strconv.ParseUint(string(raw), 10, 64); err != nil {
			return 0, fmt.Errorf("bot: sequence %s: %w", name, err)
		}
	}
	n++
	return n, tx.PutRecord(recSequence, name, []byte(strconv.FormatUint(n, 10)))
}

// addAnswer records a tip as an answer of its session.
func addAnswer(tx Tx, t Tip) error {
	s, err := getSession(tx, t.SessionID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.Contains(s.Tips, t.ID) {
		s.Tips = append(s.Tips, t.ID)
	}
	return putSession(tx, s)
}

// removeAnswer forgets a deleted tip in its session.
func removeAnswer(tx Tx, t Tip) error {
	s, err := getSession(tx, t.SessionID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if i := slices.Index(s.Tips, t.ID); i >= 0 {
		s.Tips = slices.Delete(s.Tips, i, i+1)
		return putSession(tx, s)
	}
	return nil
}

// ParseDuration parses a duration as users write it: "45m", "2h", "1h30m",
// and days as "2d" or "1d12h". It refuses zero and negative durations.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 || days > 3650 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
	}
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("duration must be positive")
	}
	return total, nil
}

// formatTime shows an instant in the configured zone.
func (b *Bot) formatTime(t time.Time) string {
	return t.In(b.cfg.Location).Format("2006-01-02 15:04 MST")
}

// openSession records a new session inside tx and queues its prompt. The
// session is recorded before the prompt is posted: if tipbot stops in
// between, the worst case is a prompt never posted (logged at the next
// start), never a prompt posted twice.
func (b *Bot) openSession(tx Tx, out *outbox, ws Workspace, channel, title, openedBy string, duration time.Duration, schedule string) (Session, error) {
	n, err := nextSequence(tx, "session")
	if err != nil {
		return Session{}, err
	}
	now := b.now()
	s := Session{
		ID: SessionID(n), Channel: channel, Title: snippet(title, maxTitleRunes), OpenedBy: openedBy,
		OpenedAt: now, Deadline: now.Add(duration), Schedule: schedule,
	}
	if err := putSession(tx, s); err != nil {
		return Session{}, err
	}
	prompt := Message{Lines: []Line{
		{Text: b.t("session.prompt", s.Title)},
		{Text: b.t("session.prompt.footer", s.ID, b.formatTime(s.Deadline))},
	}}
	if err := b.owePost(tx, out, "prompt", channel, prompt, parcel{LinkPrompt: s.ID, Session: s.ID, Tell: openedBy, Urgent: true}); err != nil {
		return Session{}, err
	}
	out.wake = true
	return s, nil
}

// linkPrompt records a session's posted prompt and indexes it so replies
// become the session's answers.
func linkPrompt(tx Tx, id SessionID, channel, msgID string) error {
	s, err := getSession(tx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.PromptID = msgID
	if err := tx.PutRecord(recSessionPrompt, promptKey(channel, msgID), []byte(id.String())); err != nil {
		return err
	}
	return putSession(tx, s)
}

// closeSession closes a session inside tx and queues its recap, in the
// prompt's thread and in the channel. A closed session is never closed
// again, so the recap is posted once. It reports whether it closed it.
func (b *Bot) closeSession(tx Tx, out *outbox, ws Workspace, id SessionID) (Session, bool, error) {
	s, err := getSession(tx, id)
	if err != nil || s.Closed {
		return s, false, err
	}
	s.Closed, s.ClosedAt = true, b.now()
	if err := putSession(tx, s); err != nil {
		return s, false, err
	}
	if err := b.planFollowUps(tx, s); err != nil {
		return s, false, err
	}
	recap, err := b.recap(tx, s)
	if err != nil {
		return s, false, err
	}
	// The recap goes in the prompt's thread (looked up when sent: the
	// prompt may still be in the outbox) and in the channel.
	recapParcel := parcel{Session: s.ID, Tell: s.OpenedBy, Urgent: true}
	inThread := recapParcel
	inThread.ThreadOf = s.ID
	if err := b.owePost(tx, out, "recap", s.Channel, recap, inThread); err != nil {
		return s, false, err
	}
	if err := b.owePost(tx, out, "recap", s.Channel, recap, recapParcel); err != nil {
		return s, false, err
	}
	return s, true, nil
}

// recap builds a session's recap: answers, participants, top answers.
func (b *Bot) recap(tx ReadTx, s Session) (Message, error) {
	var answers []Tip
	for _, id := range s.Tips {
		t, err := tx.Tip(id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Message{}, err
		}
		if t.Status != StatusRejected {
			answers = append(answers, t)
		}
	}
	m := Message{Title: b.t("recap.title", s.Title, s.ID)}
	if len(answers) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("recap.none")})
		return m, nil
	}
	var names []string
	seen := map[string]bool{}
	for _, t := range answers {
		if !seen[t.AuthorID] {
			seen[t.AuthorID] = true
			names = append(names, t.AuthorName)
		}
	}
	m.Lines = append(m.Lines, Line{Text: b.t("recap.summary", b.plural("answers", int64(len(answers))), b.plural("participants", int64(len(names))), strings.Join(names, ", "))})
	slices.SortStableFunc(answers, func(x, y Tip) int { return y.UsefulVotes - x.UsefulVotes })
	m.Lines = append(m.Lines, Line{Text: b.t("recap.top")})
	// The recap is posted in the session's channel: an answer restricted
	// to a private thread of it is counted, not quoted.
	shown := slices.DeleteFunc(slices.Clone(answers), func(t Tip) bool { return !(viewer{channel: s.Channel}).shows(t) })
	for i, t := range shown[:min(3, len(shown))] {
		m.Lines = append(m.Lines, b.tipLine(fmt.Sprintf("%d. ", i+1), t))
	}
	m.Lines = append(m.Lines, Line{Text: b.t("recap.thanks")})
	return m, nil
}

// remind posts the reminder of an open session once, in its thread.
func (b *Bot) remind(tx Tx, out *outbox, ws Workspace, id SessionID) (bool, error) {
	s, err := getSession(tx, id)
	if err != nil || s.Closed || s.Reminded {
		return false, err
	}
	s.Reminded = true
	if err := putSession(tx, s); err != nil {
		return false, err
	}
	m := Message{Lines: []Line{{Text: b.t("session.reminder", s.ID, b.formatTime(s.Deadline), b.plural("answers", int64(len(s.Tips))))}}}
	return true, b.owePost(tx, out, "reminder", s.Channel, m, parcel{ThreadOf: s.ID, Session: s.ID, Urgent: true})
}

// cmdPrompt: /tips prompt [#channel] [in <duration>] <title>
func (b *Bot) cmdPrompt(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	channel := e.Channel
	if len(args) > 0 {
		if r := b.badChannelArg(e.Workspace.Platform, args[0]); r != nil {
			return r, nil
		}
		if c, ok := b.channelArg(e.Workspace.Platform, args[0]); ok {
			channel, args = c, args[1:]
		}
	}
	duration := b.cfg.SessionDuration
	if len(args) > 1 && (strings.EqualFold(args[0], "in") || strings.EqualFold(args[0], "dans")) {
		d, err := ParseDuration(args[1])
		if err != nil {
			return b.private(b.t("prompt.badduration", args[1])), nil
		}
		duration, args = d, args[2:]
	}
	title := strings.TrimSpace(strings.Join(args, " "))
	if title == "" {
		return b.private(b.t("prompt.notitle")), nil
	}
	if duration <= 0 {
		return b.usage("usage.prompt"), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		s, err := b.openSession(tx, out, e.Workspace, channel, title, e.User.ID, duration, "")
		if err != nil {
			return false, err
		}
		out.reply = b.private(b.t("session.opened", s.ID, s.Title, b.formatTime(s.Deadline), s.ID))
		return true, nil
	})
}

// cmdClose: /tips close <session>
func (b *Bot) cmdClose(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) != 1 {
		return b.usage("usage.close"), nil
	}
	id, err := ParseSessionID(args[0])
	if err != nil {
		if _, tipErr := ParseTipID(args[0]); tipErr == nil {
			return b.private(b.t("session.istip", args[0])), nil
		}
		return b.private(b.t("session.badid", args[0])), nil
	}
	return b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		s, closed, err := b.closeSession(tx, out, e.Workspace, id)
		switch {
		case errors.Is(err, ErrNotFound):
			out.reply = b.private(b.t("session.unknown", args[0]))
			return false, nil
		case err != nil:
			return false, err
		case !closed:
			out.reply = b.private(b.t("session.alreadyclosed", s.ID))
			return false, nil
		}
		out.reply = b.private(b.t("session.closed", s.ID, b.plural("answers", int64(len(s.Tips)))))
		return true, nil
	})
}

// cmdSessions: /tips sessions — open sessions and the ten most recent.
func (b *Bot) cmdSessions(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) > 0 {
		return b.usage("usage.sessions"), nil
	}
	var sessions []Session
	err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		return tx.ForEachRecord(recSession, func(_ string, raw []byte) error {
			var s Session
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("bot: decode session: %w", err)
			}
			sessions = append(sessions, s)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	m := &Message{Title: b.t("sessions.title")}
	if len(sessions) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("sessions.none")})
		return m, nil
	}
	slices.Reverse(sessions)
	shown := 0
	for _, s := range sessions {
		if s.Closed && shown >= 10 {
			continue
		}
		shown++
		state := b.t("sessions.open", b.formatTime(s.Deadline))
		switch {
		case s.Closed:
			state = b.t("sessions.closedat", b.formatTime(s.ClosedAt))
		case !s.Deadline.After(b.now()):
			// Past its deadline, the scheduler closes it at once (after a
			// restart, in a moment): it is no longer open.
			state = b.t("sessions.closing", b.formatTime(s.Deadline))
		}
		line := Line{Parts: b.tp("sessions.line", s.ID, s.Title, channelRef(s.Channel), b.plural("answers", int64(len(s.Tips))), state)}
		if s.PromptID != "" {
			line.Ref = &MessageRef{Channel: s.Channel, MessageID: s.PromptID}
		}
		m.Lines = append(m.Lines, line)
	}
	return m, nil
}
