package setting

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://slack.com/api/", ""},
		{"http://127.0.0.1:9999", ""},
		{"ftp://slack.com/api/", `"ftp://slack.com/api/" is not an absolute http(s) URL`},
		{"slack.com/api", `"slack.com/api" is not an absolute http(s) URL`},
		{"ftp://me:hunter2@proxy/", `"ftp://me:xxxxx@proxy/" is not an absolute http(s) URL`},
		{"https://discord.com/?x=1", `"https://discord.com/?x=1" has a query or fragment`},
		{"https://discord.com/#top", `"https://discord.com/#top" has a query or fragment`},
		{"http://[::1", "is not a URL"},
	} {
		if got := URL(tc.url); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestProblem(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Key: "mode", Msg: `"x" is not socket or http`}, `mode: "x" is not socket or http`},
		{Problem{Key: "token", Required: true}, "token: is empty"},
		{Problem{Key: "app_token", Required: true, When: "in socket mode"}, "app_token: is empty (in socket mode)"},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if Err("slack", nil) != nil {
		t.Error("Err of no problems is not nil")
	}
	err := Err("slack", []Problem{{Key: "mode", Msg: "bad"}, {Key: "bot_token", Required: true}})
	if got, want := err.Error(), "slack: mode: bad\nslack: bot_token: is empty"; got != want {
		t.Errorf("Err = %q, want %q", got, want)
	}
	if got := Quote(strings.Repeat("a", 100)); len(got) != 82 || !strings.HasSuffix(got, `..."`) {
		t.Errorf("Quote of 100 characters = %q", got)
	}
}
