package bot

import (
	"errors"
	"fmt"
	"strings"
)

// recSessionClosedTold marks who was told that a session they replied to
// is closed (key: padded session id \x00 user id), so each person is told
// once per session.
const recSessionClosedTold = "session.closedtold"

func closedToldKey(id SessionID, user string) string { return sessionKey(id) + "\x00" + user }

// sessionOfPrompt returns the session whose prompt is the message thread,
// open or closed, and whether there is one.
func sessionOfPrompt(tx ReadTx, channel, thread string) (Session, bool, error) {
	raw, err := tx.Record(recSessionPrompt, promptKey(channel, thread))
	if errors.Is(err, ErrNotFound) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	id, err := ParseSessionID(string(raw))
	if err != nil {
		return Session{}, false, fmt.Errorf("bot: session prompt index: %w", err)
	}
	s, err := getSession(tx, id)
	if errors.Is(err, ErrNotFound) {
		return Session{}, false, nil
	}
	return s, err == nil, err
}

// tellSessionClosed answers a reply to a closed session's prompt,
// privately and once per person and session: the reply is not an answer,
// and was captured as an ordinary tip (tip, when its id is set) or not at
// all. It reports whether it recorded that the person was told.
func (b *Bot) tellSessionClosed(tx Tx, out *outbox, s Session, user string, tip Tip) (bool, error) {
	key := closedToldKey(s.ID, user)
	if _, err := tx.Record(recSessionClosedTold, key); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if tip.ID != 0 {
		out.reply = b.private(b.t("session.isclosed.captured", s.ID, s.Title, tip.ID))
	} else {
		prefix := "#tip"
		if len(b.cfg.Prefixes) > 0 {
			prefix = b.cfg.Prefixes[0]
		} else if len(b.cfg.Hashtags) > 0 {
			prefix = b.cfg.Hashtags[0]
		}
		out.reply = b.private(b.t("session.isclosed", s.ID, s.Title, prefix))
	}
	return true, tx.PutRecord(recSessionClosedTold, key, []byte{1})
}

// forgetClosedTold removes a forgotten person's "told the session is
// closed" marks.
func forgetClosedTold(tx Tx, user string) error {
	var keys []string
	if err := tx.ForEachRecord(recSessionClosedTold, func(key string, _ []byte) error {
		if strings.HasSuffix(key, "\x00"+user) {
			keys = append(keys, key)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.DeleteRecord(recSessionClosedTold, k); err != nil {
			return err
		}
	}
	return nil
}
