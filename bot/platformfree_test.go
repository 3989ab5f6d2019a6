package bot

import (
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// platformWords are what the core must not know of any platform: names,
// markup, the emoji the adapters default to (by name and as Unicode).
var platformWords = regexp.MustCompile(`(?i)slack|discord|<#|<@|skin-tone|bulb|bookmark|white_check_mark|\bstar\b|💡|🔖|👍|⭐|✅`)

// markupWords are what the core's comments must not show either.
var markupWords = regexp.MustCompile(`<#|<@|skin-tone`)

// catalogueExceptions are the catalogue's texts (i18n.go, by key) that keep
// a platform word: SPEC's texts, unchanged. 💡 and ⭐ there decorate a
// line as 🏆 or 📊 do, they are not reactions; the others give advice
// that names a platform.
var catalogueExceptions = map[string]bool{
	"tip.post": true, "tip.featured": true,
	"capture.private.member": true, "outbox.tip.refused": true, "channel.bad": true,
}

// platformWordsIn returns what src holds of platformWords in identifiers
// and literals, and of markupWords in comments, as "line: text". Literals
// given as values of the catalogue's excepted keys are skipped.
func platformWordsIn(name string, src []byte) []string {
	fset := token.NewFileSet()
	file := fset.AddFile(name, fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	var found []string
	var last string // the previous string literal
	var key string  // the key of the current catalogue entry
	var prev token.Token
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.COLON:
			if prev == token.STRING {
				key = last
			}
		case token.COMMA, token.RBRACE:
			key = ""
		}
		var bad bool
		switch tok {
		case token.IDENT, token.CHAR:
			bad = platformWords.MatchString(lit)
		case token.STRING:
			v, err := strconv.Unquote(lit)
			if err != nil {
				v = lit
			}
			last = v
			bad = platformWords.MatchString(v) && !(prev == token.COLON && catalogueExceptions[key])
		case token.COMMENT:
			bad = markupWords.MatchString(lit)
		}
		if bad {
			found = append(found, fset.Position(pos).String()+": "+lit)
		}
		prev = tok
	}
	return found
}

// TestNoPlatformInCore: the core's sources (tests aside) name no
// platform, write no platform's markup and know no platform's emoji;
// adapters bring them (PlatformSpec).
func TestNoPlatformInCore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, w := range platformWordsIn(f, src) {
			t.Errorf("platform word in the core: %s", w)
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d files: not the core's sources?", checked)
	}
}

// TestPlatformWordsIn: the check finds what it looks for.
func TestPlatformWordsIn(t *testing.T) {
	src := []byte(`package x
// a comment may say Slack, but not <#C1>
var slackName = "discord"
var m = map[string]string{
	"tip.post": "💡 %s",
	"other":    "react with :bulb:",
	"fine":     "nothing to see",
}
func f() string { return "<@" + "U1" + ">" + "+1::skin-tone-2" }
`)
	found := platformWordsIn("x.go", src)
	want := []string{"x.go:2:1", "x.go:3:5", "x.go:3:17", "x.go:6:14", "x.go:9:26", "x.go:9:46"}
	if len(found) != len(want) {
		t.Fatalf("found %q, want at %q", found, want)
	}
	for i, w := range want {
		if !strings.HasPrefix(found[i], w+": ") {
			t.Errorf("found[%d] = %q, want at %s", i, found[i], w)
		}
	}
}
