package bot

import (
	"regexp"
	"slices"
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
