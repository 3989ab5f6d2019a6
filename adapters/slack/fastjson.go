package slack

import (
	"bytes"
	"strconv"
	"strings"
)

// readReaction reads an event_callback whose inner event is a
// reaction_added or reaction_removed (nearly every request of a busy
// workspace) without encoding/json's reflection. It reads exactly what
// json.Unmarshal into an envelope would, for the bodies it accepts; ok is
// false for every other body and for whatever it is not sure to read the
// same: a string with an escape or a non-ASCII byte where a value is kept,
// a key that matches a field in another case or twice, null or a
// fractional number where a value is kept, a field of other inner events.
// readEnvelope then reads the body with encoding/json.
func readReaction(raw []byte) (env envelope, ok bool) {
	s := scanner{b: raw}
	var in innerEvent
	inner := false
	seen := 0
	ok = s.object(func(key []byte) bool {
		var f int
		switch f = field(key, envelopeFields); f {
		case -1:
			return s.skip(0)
		case -2:
			return false
		}
		if seen&(1<<f) != 0 {
			return false // json.Unmarshal keeps the last: leave it to it
		}
		seen |= 1 << f
		var ok bool
		switch envelopeFields[f] {
		case "type":
			env.Type, ok = s.keptString()
		case "team_id":
			env.TeamID, ok = s.keptString()
		case "event_id":
			env.EventID, ok = s.keptString()
		case "event_time":
			env.EventTime, ok = s.int64()
		case "event":
			inner, ok = true, s.reaction(&in)
		case "authorizations":
			env.Auths, ok = s.authorizations()
		}
		return ok
	})
	if !ok || !s.end() || !inner || env.Type != "event_callback" ||
		(in.Type != "reaction_added" && in.Type != "reaction_removed") {
		return envelope{}, false
	}
	env.Event = &in
	return env, true
}

// The fields readReaction keeps, of the envelope, of a reaction event and
// of its item; innerOthers are the inner event's fields it leaves to
// encoding/json (another kind of event).
var (
	envelopeFields = []string{"type", "team_id", "event_id", "event_time", "event", "authorizations"}
	reactionFields = []string{"type", "user", "reaction", "item_user", "item", "user_team"}
	itemFields     = []string{"type", "channel", "ts"}
	authFields     = []string{"team_id"}
	innerOthers    = []string{"subtype", "channel", "bot_id", "text", "ts", "thread_ts", "hidden", "deleted_ts",
		"message", "previous_message"}
)

// field returns the index of key in fields; -1 when it is none of them
// (nor another of innerOthers), -2 when it is one in another case (or
// escaped), which json.Unmarshal would also match.
func field(key []byte, fields []string) int {
	for i, f := range fields {
		if string(key) == f {
			return i
		}
	}
	if bytes.IndexByte(key, '\\') >= 0 {
		return -2
	}
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return -2
		}
	}
	return -1
}

// reaction reads a reaction event's object into in.
func (s *scanner) reaction(in *innerEvent) bool {
	seen := 0
	return s.object(func(key []byte) bool {
		f := field(key, reactionFields)
		if f == -1 {
			if field(key, innerOthers) != -1 {
				return false // a field of another kind of event
			}
			return s.skip(1)
		}
		if f == -2 || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		var ok bool
		switch reactionFields[f] {
		case "type":
			in.Type, ok = s.keptString()
		case "user":
			in.User, ok = s.keptString()
		case "reaction":
			in.Reaction, ok = s.keptString()
		case "item_user":
			in.ItemUser, ok = s.keptString()
		case "user_team":
			in.UserTeam, ok = s.keptString()
		case "item":
			ok = s.item(&in.Item)
		}
		return ok
	})
}

// item reads a reaction's item.
func (s *scanner) item(it *reactionItem) bool {
	seen := 0
	return s.object(func(key []byte) bool {
		f := field(key, itemFields)
		switch {
		case f == -1:
			return s.skip(2)
		case f == -2 || seen&(1<<f) != 0:
			return false
		}
		seen |= 1 << f
		var ok bool
		switch itemFields[f] {
		case "type":
			it.Type, ok = s.keptString()
		case "channel":
			it.Channel, ok = s.keptString()
		case "ts":
			it.TS, ok = s.keptString()
		}
		return ok
	})
}

// authorizations reads the envelope's list of installations.
func (s *scanner) authorizations() (authorizations, bool) {
	s.ws()
	if !s.byte('[') {
		return nil, false
	}
	a := authorizations{}
	s.ws()
	if s.byte(']') {
		return a, true
	}
	for {
		var team string
		seen := false
		ok := s.object(func(key []byte) bool {
			switch field(key, authFields) {
			case -1:
				return s.skip(2)
			case -2:
				return false
			}
			if seen {
				return false
			}
			seen = true
			var ok bool
			team, ok = s.keptString()
			return ok
		})
		if !ok {
			return nil, false
		}
		a = append(a, struct {
			TeamID string `json:"team_id"`
		}{team})
		s.ws()
		if s.byte(']') {
			return a, true
		}
		if !s.byte(',') {
			return nil, false
		}
	}
}

// scanner reads JSON from b at i.
type scanner struct {
	b []byte
	i int
}

// maxDepth bounds the nesting of the values skip skips.
const maxDepth = 32

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c when it comes next.
func (s *scanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// object reads an object, calling member for each key with the scanner
// before its value, which member must read.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.ws()
	if !s.byte('{') {
		return false
	}
	s.ws()
	if s.byte('}') {
		return true
	}
	for {
		s.ws()
		key, ok := s.rawString()
		if !ok {
			return false
		}
		s.ws()
		if !s.byte(':') || !member(key) {
			return false
		}
		s.ws()
		if s.byte('}') {
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

// rawString reads a string and returns its bytes between the quotes,
// escapes unread; it checks them as JSON does.
func (s *scanner) rawString() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c < 0x20:
			return nil, false
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return nil, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+5 > len(s.b) {
					return nil, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return nil, false
					}
				}
				s.i += 5
			default:
				return nil, false
			}
		default:
			s.i++
		}
	}
	return nil, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// keptString reads a string value kept as it is: plain ASCII, no escape
// (what encoding/json would turn into something else is left to it).
func (s *scanner) keptString() (string, bool) {
	s.ws()
	raw, ok := s.rawString()
	if !ok {
		return "", false
	}
	for _, c := range raw {
		if c == '\\' || c >= 0x80 {
			return "", false
		}
	}
	return string(raw), true
}

// int64 reads an integer that fits in an int64.
func (s *scanner) int64() (int64, bool) {
	s.ws()
	start := s.i
	s.byte('-')
	digits := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || (s.b[digits] == '0' && s.i-digits > 1) {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

// skip reads any JSON value, checking it as encoding/json does.
func (s *scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.rawString()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.skip(depth + 1) })
	case c == '[':
		s.i++
		s.ws()
		if s.byte(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			s.ws()
			if s.byte(']') {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.byte('-')
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.byte('0') {
		// no more digits may follow a leading zero
	} else if digits() == 0 {
		return false
	}
	if s.byte('.') && digits() == 0 {
		return false
	}
	if s.byte('e') || s.byte('E') {
		if !s.byte('+') {
			s.byte('-')
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
