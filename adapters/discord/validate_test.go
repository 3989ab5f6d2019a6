package discord

import (
	"slices"
	"testing"
)

// Validate names each refused key and trims the API URL; New refuses what
// it refuses.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"default", Config{Token: "t", APIURL: DefaultAPIURL}, nil},
		{"guilds", Config{Token: "t", APIURL: DefaultAPIURL, GuildIDs: []string{"123", "abc"}}, []string{`guild_ids[1]: "abc" is not a Discord guild id (digits; in Discord: right-click → Copy ID)`}},
		{"api_url", Config{Token: "t", APIURL: "https://discord.com/?x=1"}, []string{`api_url: "https://discord.com/?x=1" has a query or fragment`}},
		{"no token", Config{APIURL: DefaultAPIURL}, []string{"token: is empty"}},
	} {
		cfg := tc.cfg
		var got []string
		for _, p := range cfg.Validate() {
			got = append(got, p.Error())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.name, got, tc.want)
		}
		if _, err := New(tc.cfg, &recorder{}); (err == nil) != (tc.want == nil) {
			t.Errorf("%s: New error %v, want one when Validate has problems", tc.name, err)
		}
	}
	cfg := Config{Token: "t", APIURL: "http://127.0.0.1:9998/"}
	if ps := cfg.Validate(); len(ps) != 0 || cfg.APIURL != "http://127.0.0.1:9998" {
		t.Errorf("problems %v, api_url %q", ps, cfg.APIURL)
	}
}
