package bot_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/tipbot/tipbot/bot"
)

// commandSeeds are real command lines, from SPEC's command table and the
// platforms' testdata.
var commandSeeds = []string{
	`top month`, `search git bisect`, `prompt #general in 2h Git basics`,
	`schedule add "CRON_TZ=Europe/Paris 0 17 * * FRI" #general Git`, `trainer add @U0BOB0001`,
	`trainer add @800000000000000003`, `forget-me confirm`, `feature t12`, `report quarter #training`,
	"ajoute “citation” \u00a0x", `<@!>`, `<@ >`, `"@ "`, `@alice`, `#general`,
}

// FuzzTokenize checks the command tokenizer: no argument holds a quote
// (quotes only group), and quoting every argument again reads back the
// same arguments.
func FuzzTokenize(f *testing.F) {
	for _, s := range commandSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		args := bot.Tokenize(text)
		quoted := make([]string, len(args))
		for i, a := range args {
			if strings.ContainsAny(a, `"“”`) {
				t.Fatalf("Tokenize(%q): argument %q holds a quote", text, a)
			}
			quoted[i] = `"` + a + `"`
		}
		if again := bot.Tokenize(strings.Join(quoted, " ")); !slices.Equal(again, args) && !(len(again) == 0 && len(args) == 0) {
			t.Fatalf("Tokenize(%q) = %q, but its arguments quoted read back as %q", text, args, again)
		}
	})
}

// plainID: what an id taken from an argument must be, never blank, no
// space, no control character, no mention markup.
func plainID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>|@!\"", r) {
			return false
		}
	}
	return true
}

// FuzzArgs checks UserArg and ChannelArg: an id they accept is plain, and
// a user id written back as "@id" reads back the same.
func FuzzArgs(f *testing.F) {
	for _, s := range commandSeeds {
		for _, a := range bot.Tokenize(s) {
			f.Add(a)
		}
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if id, ok := bot.UserArg(arg); ok {
			if !plainID(id) {
				t.Fatalf("UserArg(%q) = %q", arg, id)
			}
			if back, ok := bot.UserArg("@" + id); !ok || back != id {
				t.Fatalf("UserArg(@%s) = %q, %v", id, back, ok)
			}
		}
		if id, ok := bot.ChannelArg(arg); ok {
			if !plainID(strings.TrimPrefix(id, "#")) {
				t.Fatalf("ChannelArg(%q) = %q", arg, id)
			}
		}
	})
}

// TestBlankIDArgs: the blank ids the first fuzzing round found are refused.
func TestBlankIDArgs(t *testing.T) {
	for _, a := range []string{"<@!>", "<@ >", "@ ", "@", "<@>", "<@\t>", "<@!|x>"} {
		if id, ok := bot.UserArg(a); ok {
			t.Errorf("UserArg(%q) = %q, true", a, id)
		}
	}
	for _, a := range []string{"<# >", "<#>", "# ", "<#\u00a0|x>"} {
		if id, ok := bot.ChannelArg(a); ok {
			t.Errorf("ChannelArg(%q) = %q, true", a, id)
		}
	}
	for a, want := range map[string]string{"@U0BOB0001": "U0BOB0001", "@800000000000000003": "800000000000000003", "@alice": "alice"} {
		if id, ok := bot.UserArg(a); !ok || id != want {
			t.Errorf("UserArg(%q) = %q, %v; want %q", a, id, ok, want)
		}
	}
}
