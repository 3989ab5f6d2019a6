package bot

import (
	"slices"
	"testing"
	"time"
)

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  top   week ", []string{"top", "week"}},
		{`schedule add "CRON_TZ=Europe/Paris 0 17 * * FRI" #general Git basics`,
			[]string{"schedule", "add", "CRON_TZ=Europe/Paris 0 17 * * FRI", "#general", "Git", "basics"}},
		{"trainer add @bob", []string{"trainer", "add", "@bob"}},
		{"search “two words”", []string{"search", "two words"}},
		{`unbalanced "quote here`, []string{"unbalanced", "quote here"}},
	} {
		if got := Tokenize(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestChannelAndUserArgs(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"<#C123|general>", "", false}, {"<#99887766>", "", false}, {"#general", "#general", true}, // platforms' syntax: their PlatformSpec
		{"general", "", false}, {"<#>", "", false}, {"#Training", "#training", true}, {"#Bad!chan", "", false},
		{"#", "", false}, {"#a b", "", false}, {"#é-t_é.2", "#é-t_é.2", true},
	} {
		if got, ok := ChannelArg(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("ChannelArg(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"<@U42|bob>", "", false}, {"<@!1234>", "", false}, {"@carol", "carol", true}, {"carol", "", false}, {"@", "", false},
	} {
		if got, ok := UserArg(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("UserArg(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBaseEmoji(t *testing.T) {
	for in, want := range map[string]string{
		"+1": "+1", ":bulb:": "bulb", "👍🏽": "👍", "⭐️": "⭐", "💡": "💡", "thumbsup": "thumbsup",
	} {
		if got := BaseEmoji(in); got != want {
			t.Errorf("BaseEmoji(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTopicsAndTerms(t *testing.T) {
	if got, want := Topics("use git bisect #git #Git #tip <#C1|chan> a#b #42 #ci-cd", []string{"#tip"}), []string{"git", "ci-cd"}; !slices.Equal(got, want) {
		t.Errorf("Topics = %q, want %q", got, want)
	}
	tip := Tip{Text: "Élément: use the Git bisect, to find regressions #git", Topics: []string{"git"}}
	if got, want := SearchTerms(tip), []string{"element", "git", "bisect", "find", "regressions", "#git"}; !slices.Equal(got, want) {
		t.Errorf("SearchTerms = %q, want %q", got, want)
	}
	if got, want := QueryTerms("Bisect #Git"), []string{"bisect", "#git"}; !slices.Equal(got, want) {
		t.Errorf("QueryTerms = %q, want %q", got, want)
	}
}

func TestCapturable(t *testing.T) {
	b := &Bot{cfg: DefaultConfig()}
	for _, tc := range []struct {
		in, text string
		ok       bool
	}{
		{"tip: use bisect", "use bisect", true},
		{"  TIP:use bisect", "use bisect", true},
		{"Astuce : l'espace avant les deux-points compte aussi", "l'espace avant les deux-points compte aussi", true},
		{"astuce\u202f: espace fine", "espace fine", true},
		{"astuces: pluriel", "", false},
		{"astuce: Ctrl+Maj+T rouvre l'onglet", "Ctrl+Maj+T rouvre l'onglet", true},
		{"remember this #tip", "remember this #tip", true},
		{"#TIP at start", "#TIP at start", true},
		{"no #tips here", "", false},
		{"multitip: nope", "", false},
		{"hello", "", false},
	} {
		text, ok := b.capturable(tc.in)
		if text != tc.text || ok != tc.ok {
			t.Errorf("capturable(%q) = %q, %v; want %q, %v", tc.in, text, ok, tc.text, tc.ok)
		}
	}
}

func TestPeriodKeys(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 31 March is already 1 April in Paris: a new month and quarter.
	at := time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC)
	if got, want := PeriodKeys(at, paris), []string{"w2026-14", "m2026-04", "q2026-2", "y2026", "all"}; !slices.Equal(got, want) {
		t.Errorf("PeriodKeys = %q, want %q", got, want)
	}
	if got, want := PeriodKeys(at, time.UTC), []string{"w2026-14", "m2026-03", "q2026-1", "y2026", "all"}; !slices.Equal(got, want) {
		t.Errorf("PeriodKeys UTC = %q, want %q", got, want)
	}
	start := PeriodStart(Week, at, paris)
	if got, want := start, time.Date(2026, 3, 30, 0, 0, 0, 0, paris); !got.Equal(want) {
		t.Errorf("week start = %v, want %v", got, want)
	}
	if got, want := PreviousPeriodStart(Quarter, PeriodStart(Quarter, at, paris)), time.Date(2026, 1, 1, 0, 0, 0, 0, paris); !got.Equal(want) {
		t.Errorf("previous quarter = %v, want %v", got, want)
	}
}

func TestParseIDs(t *testing.T) {
	for in, want := range map[string]TipID{"t42": 42, "T7": 7, "#t3": 3, "12": 12} {
		if got, err := ParseTipID(in); err != nil || got != want {
			t.Errorf("ParseTipID(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "t", "t0", "x1", "t-1", "t99999999999999999999"} {
		if _, err := ParseTipID(bad); err == nil {
			t.Errorf("ParseTipID(%q) accepted", bad)
		}
	}
	if got, err := ParseSessionID("s3"); err != nil || got != 3 || got.String() != "s3" {
		t.Errorf("ParseSessionID = %v, %v", got, err)
	}
	if ws, err := ParseWorkspace("slack:T1"); err != nil || ws != (Workspace{Slack, "T1"}) {
		t.Errorf("ParseWorkspace = %v, %v", ws, err)
	}
	if ws, err := ParseWorkspace("irc:x"); err != nil || ws != (Workspace{"irc", "x"}) { // platforms are open
		t.Errorf("ParseWorkspace(irc:x) = %v, %v", ws, err)
	}
	for _, bad := range []string{"IRC:x", "my chat:x", "9chat:x", ":x", "irc:"} {
		if _, err := ParseWorkspace(bad); err == nil {
			t.Errorf("ParseWorkspace(%q) accepted", bad)
		}
	}
}
