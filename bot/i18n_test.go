package bot

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*[a-zA-Z%]`)

// Every message exists in both languages with the same format verbs, so a
// French reply never shows "%!d(MISSING)".
func TestCatalogsMatch(t *testing.T) {
	en, fr := catalog["en"], catalog["fr"]
	for key, format := range en {
		other, ok := fr[key]
		if !ok {
			t.Errorf("fr lacks %q", key)
			continue
		}
		if got, want := verb.FindAllString(other, -1), verb.FindAllString(format, -1); !slices.Equal(got, want) {
			t.Errorf("%q: fr verbs %v, en verbs %v", key, got, want)
		}
	}
	for key := range fr {
		if _, ok := en[key]; !ok {
			t.Errorf("en lacks %q", key)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		locale string
		n      int64
		want   string
	}{
		{"en", 0, "0 useful votes"}, {"en", 1, "1 useful vote"}, {"en", 2, "2 useful votes"},
		{"fr", 0, "0 vote utile"}, {"fr", 1, "1 vote utile"}, {"fr", 3, "3 votes utiles"},
	} {
		b := &Bot{cfg: Config{Locale: tc.locale}, texts: catalog[tc.locale]}
		if got := b.plural("votes", tc.n); got != tc.want {
			t.Errorf("%s plural(%d) = %q, want %q", tc.locale, tc.n, got, tc.want)
		}
	}
}

// TestPluralsEveryCount checks issue 16: every count shown in a sentence
// takes the singular for 1 in English and for 0 and 1 in French (CLDR).
func TestPluralsEveryCount(t *testing.T) {
	want := map[string][3]string{ // locale+key → forms for 0, 1, 2
		"en forget.tips":  {"your 0 tips will be deleted", "your 1 tip will be deleted", "your 2 tips will be deleted"},
		"fr forget.tips":  {"0 astuce sera supprimée", "1 astuce sera supprimée", "vos 2 astuces seront supprimées"},
		"en contributors": {"0 contributors", "1 contributor", "2 contributors"},
		"fr contributors": {"0 contributeur", "1 contributeur", "2 contributeurs"},
		"en members":      {"0 channel members", "1 channel member", "2 channel members"},
		"fr members":      {"0 membre des canaux", "1 membre des canaux", "2 membres des canaux"},
		"en tips":         {"0 tips", "1 tip", "2 tips"},
		"fr tips":         {"0 astuce", "1 astuce", "2 astuces"},
		"en answers":      {"0 answers", "1 answer", "2 answers"},
		"fr answers":      {"0 réponse", "1 réponse", "2 réponses"},
		"en participants": {"0 participants", "1 participant", "2 participants"},
		"fr participants": {"0 participant", "1 participant", "2 participants"},
	}
	for lk, forms := range want {
		locale, key, _ := strings.Cut(lk, " ")
		b := &Bot{cfg: Config{Locale: locale}, texts: catalog[locale]}
		for n, w := range forms {
			if got := b.plural(key, int64(n)); got != w {
				t.Errorf("%s plural(%q, %d) = %q, want %q", locale, key, n, got, w)
			}
		}
	}
	// A count written with %d in a sentence must not agree with a noun:
	// those sentences use plural forms, or put the number after a colon.
	agree := regexp.MustCompile(`%d (colleagues|contributors|contributeurs|members|membres|collègues|validées|refusées)`)
	for locale, texts := range catalog {
		for key, format := range texts {
			if !strings.HasSuffix(key, ".one") && !strings.HasSuffix(key, ".many") && agree.MatchString(format) {
				t.Errorf("%s %q = %q: a count that needs a plural form", locale, key, format)
			}
		}
	}
}
