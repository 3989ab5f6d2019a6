package shell

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tipbot/tipbot/bot"
)

// The shell keeps its chat history in the store as opaque records, so message
// ids keep increasing across restarts and old messages can still be reacted
// to, replied to, edited or deleted:
//
//	shell.msg   / 00000000000000000042 → message (JSON)
//	shell.state / seq                  → state (JSON): last message id, last event number
const (
	kindMessage = "shell.msg"
	kindState   = "shell.state"
	keyState    = "seq"
)

// message is one chat message of the shell's history.
type message struct {
	ID      uint64 `json:"-"`
	Channel string `json:"channel"`
	Author  string `json:"author"`
	Bot     bool   `json:"bot,omitempty"`
	Text    string `json:"text"`
	Thread  string `json:"thread,omitempty"` // parent message id of a thread reply
	// Reactions maps an emoji name to the users who put it, sorted.
	Reactions map[string][]string `json:"reactions,omitempty"`
}

// idString returns the id as users and the core see it.
func (m message) idString() string { return strconv.FormatUint(m.ID, 10) }

// state holds the shell's sequences.
type state struct {
	LastMessage uint64 `json:"last_message"`
	LastEvent   uint64 `json:"last_event"`
}

// refusal is an answer to bad input found inside a transaction; it rolls the
// transaction back and is printed to the user.
type refusal struct{ text string }

func (r *refusal) Error() string { return r.text }

func messageKey(id uint64) string { return fmt.Sprintf("%020d", id) }

// parseID accepts a message id as the shell prints it: "3" or "[3]".
func parseID(s string) (uint64, bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id > 0
}

func readState(tx bot.ReadTx) (state, error) {
	var st state
	raw, err := tx.Record(kindState, keyState)
	if errors.Is(err, bot.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("shell: read state: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("shell: decode state: %w", err)
	}
	return st, nil
}

func writeState(tx bot.Tx, st state) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("shell: encode state: %w", err)
	}
	if err := tx.PutRecord(kindState, keyState, raw); err != nil {
		return fmt.Errorf("shell: write state: %w", err)
	}
	return nil
}

// readMessage returns the message with that id; a refusal when there is none.
func readMessage(tx bot.ReadTx, id uint64, t *texts) (message, error) {
	raw, err := tx.Record(kindMessage, messageKey(id))
	if errors.Is(err, bot.ErrNotFound) {
		return message{}, &refusal{fmt.Sprintf(t.noMessage, strconv.FormatUint(id, 10))}
	}
	if err != nil {
		return message{}, fmt.Errorf("shell: read message %d: %w", id, err)
	}
	m := message{ID: id}
	if err := json.Unmarshal(raw, &m); err != nil {
		return message{}, fmt.Errorf("shell: decode message %d: %w", id, err)
	}
	return m, nil
}

func writeMessage(tx bot.Tx, m message) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("shell: encode message %d: %w", m.ID, err)
	}
	if err := tx.PutRecord(kindMessage, messageKey(m.ID), raw); err != nil {
		return fmt.Errorf("shell: write message %d: %w", m.ID, err)
	}
	return nil
}

// addReaction adds user's emoji to m; false when it was already there.
func (m *message) addReaction(emoji, user string) bool {
	users := m.Reactions[emoji]
	i, found := slices.BinarySearch(users, user)
	if found {
		return false
	}
	if m.Reactions == nil {
		m.Reactions = map[string][]string{}
	}
	m.Reactions[emoji] = slices.Insert(users, i, user)
	return true
}

// removeReaction removes user's emoji from m; false when it was not there.
func (m *message) removeReaction(emoji, user string) bool {
	users := m.Reactions[emoji]
	i, found := slices.BinarySearch(users, user)
	if !found {
		return false
	}
	users = slices.Delete(users, i, i+1)
	if len(users) == 0 {
		delete(m.Reactions, emoji)
	} else {
		m.Reactions[emoji] = users
	}
	return true
}
