package bot

import (
	"strings"
	"unicode"
)

// stripBidi removes the Unicode bidirectional formatting characters
// (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, the
// marks U+200E, U+200F and U+061C): a U+202E in a tip would otherwise
// reverse how the rest of a post, a list line or a spreadsheet cell reads
// ("Trojan Source"). Right-to-left scripts still read right to left: the
// platforms' own bidi algorithm orders them without these characters.
func stripBidi(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

func isBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

// csvCell makes a value safe to open in a spreadsheet: bidi controls are
// removed, and a cell starting with '=', '+', '-', '@', a tab or a carriage
// return (what spreadsheets read as a formula) gets a leading apostrophe,
// as OWASP's CSV injection guidance says. Only CSV exports use it: JSON
// Lines keep the text as it is.
func csvCell(s string) string {
	s = stripBidi(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
