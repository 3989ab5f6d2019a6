package slack

import (
	"slices"
	"testing"
)

// Validate names each refused key, adds the trailing slash, and asks for
// the secrets of the mode chosen; New refuses what it refuses.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"socket", Config{Mode: ModeSocket, BotToken: "b", AppToken: "a", APIURL: DefaultAPIURL}, nil},
		{"http", Config{Mode: ModeHTTP, BotToken: "b", SigningSecret: "s", APIURL: DefaultAPIURL}, nil},
		{"mode", Config{Mode: "websocket", BotToken: "b", APIURL: DefaultAPIURL}, []string{`mode: "websocket" is not socket or http`}},
		{"api_url", Config{Mode: ModeSocket, BotToken: "b", AppToken: "a", APIURL: "ftp://slack.com/api/"}, []string{`api_url: "ftp://slack.com/api/" is not an absolute http(s) URL`}},
		{"no tokens", Config{Mode: ModeSocket, APIURL: DefaultAPIURL}, []string{"bot_token: is empty", "app_token: is empty (in socket mode)"}},
		{"http without secret", Config{Mode: ModeHTTP, BotToken: "b", APIURL: DefaultAPIURL}, []string{"signing_secret: is empty (in http mode)"}},
		{"install", Config{Mode: ModeSocket, AppToken: "a", ClientID: "1.2", APIURL: DefaultAPIURL}, []string{"client_secret: is empty (and slack.client_id is set)"}},
	} {
		cfg := tc.cfg
		var got []string
		for _, p := range cfg.Validate() {
			got = append(got, p.Error())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.name, got, tc.want)
		}
		if _, err := New(tc.cfg, funcHandler(nil)); (err == nil) != (tc.want == nil) {
			t.Errorf("%s: New error %v, want one when Validate has problems", tc.name, err)
		}
	}
	cfg := Config{Mode: ModeSocket, BotToken: "b", AppToken: "a", APIURL: "http://127.0.0.1:9999/api"}
	if ps := cfg.Validate(); len(ps) != 0 || cfg.APIURL != "http://127.0.0.1:9999/api/" {
		t.Errorf("problems %v, api_url %q", ps, cfg.APIURL)
	}
}
