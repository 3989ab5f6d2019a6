package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Session is a training moment closed by a "What did you retain?" prompt;
// the replies to the prompt are its tips.
type Session struct {
	ID        SessionID
	Channel   string
	PromptID  string // the prompt's message id; "" until posted
	Title     string
	OpenedBy  string
	OpenedAt  time.Time
	Deadline  time.Time
	Closed    bool
	ClosedAt  time.Time
	Reminded  bool
	Schedule  string // schedule id that opened it, if any
	Answers   int
	Answerers []string
}

// Record kinds the core keeps through Tx.PutRecord.
const (
	recSession       = "session"        // key: padded session id → Session JSON
	recSessionPrompt = "session.prompt" // key: channel \x00 prompt message id → session id
	recSequence      = "seq"            // key: name → last id, decimal
)

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

// putSession stores a session.
func putSession(tx Tx, s Session) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("bot: encode session: %w", err)
	}
	return tx.PutRecord(recSession, sessionKey(s.ID), raw)
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

// openSessionOf returns the session whose prompt is the message thread of
// a reply, if that session is still open.
func (b *Bot) openSessionOf(tx ReadTx, channel, thread string) (SessionID, bool, error) {
	raw, err := tx.Record(recSessionPrompt, promptKey(channel, thread))
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	id, err := ParseSessionID(string(raw))
	if err != nil {
		return 0, false, fmt.Errorf("bot: session prompt index: %w", err)
	}
	s, err := getSession(tx, id)
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return s.ID, !s.Closed, nil
}
