package slack

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tipbot/tipbot/bot"
)

type manifest struct {
	Features struct {
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
			URL          string `yaml:"url"`
		} `yaml:"slash_commands"`
		Shortcuts []struct {
			Name       string `yaml:"name"`
			Type       string `yaml:"type"`
			CallbackID string `yaml:"callback_id"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuth struct {
		RedirectURLs []string `yaml:"redirect_urls"`
		Scopes       struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// The scopes and events the adapter's calls and translations need; the
// manifests must ask for exactly these, and the README's Slack setup explain each.
var (
	wantScopes = []string{"channels:history", "channels:read", "chat:write", "chat:write.public", "commands", "files:write",
		"groups:history", "groups:read", "im:write", "reactions:read", "reactions:write", "users:read"}
	wantEvents = []string{"app_uninstalled", "channel_archive", "channel_rename", "channel_shared", "channel_unarchive", "channel_unshared",
		"group_archive", "group_rename", "group_unarchive", "member_joined_channel",
		"message.channels", "message.groups", "reaction_added", "reaction_removed", "team_join", "tokens_revoked", "user_change"}
)

func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// checkTipsHints checks that what the manifest says of /tips (its
// description's list of commands, its usage hint) names commands of the
// core's table (bot.Commands), and in the usage hint only commands any
// member may run.
func checkTipsHints(t *testing.T, file, description, hint string) {
	t.Helper()
	roles := map[string]bot.Role{}
	for _, c := range bot.Commands() {
		if r, ok := roles[c.Word()]; !ok || c.Role < r {
			roles[c.Word()] = c.Role
		}
	}
	_, list, ok := strings.Cut(description, "(")
	list, _, ok2 := strings.Cut(list, ")")
	if !ok || !ok2 {
		t.Errorf("%s: /tips description %q lists no commands in parentheses", file, description)
	}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSuffix(strings.TrimSpace(name), "…")
		if _, ok := roles[name]; !ok {
			t.Errorf("%s: /tips description names %q, which is not in bot.Commands", file, name)
		}
	}
	for _, alt := range strings.Split(hint, "|") {
		fields := strings.Fields(alt)
		if len(fields) == 0 {
			t.Errorf("%s: /tips usage hint %q has an empty alternative", file, hint)
			continue
		}
		if r, ok := roles[fields[0]]; !ok || r != bot.RoleMember {
			t.Errorf("%s: /tips usage hint names %q, which is not a member's command of bot.Commands", file, fields[0])
		}
	}
}

func TestManifests(t *testing.T) {
	t.Parallel()
	docs, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file   string
		socket bool
	}{{"manifest.yaml", true}, {"manifest-http.yaml", false}} {
		m := readManifest(t, tc.file)
		scopes := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
		if !slices.Equal(scopes, wantScopes) {
			t.Errorf("%s: scopes %v, want %v", tc.file, scopes, wantScopes)
		}
		if len(m.OAuth.RedirectURLs) != 1 || !strings.HasSuffix(m.OAuth.RedirectURLs[0], RedirectPath) {
			t.Errorf("%s: redirect URLs %v, want one ending in %s", tc.file, m.OAuth.RedirectURLs, RedirectPath)
		}
		if !slices.Equal(BotScopes, wantScopes) {
			t.Errorf("the install link asks for %v, want %v", BotScopes, wantScopes)
		}
		events := slices.Sorted(slices.Values(m.Settings.Events.BotEvents))
		if !slices.Equal(events, wantEvents) {
			t.Errorf("%s: events %v, want %v", tc.file, events, wantEvents)
		}
		var cmds []string
		for _, c := range m.Features.SlashCommands {
			cmds = append(cmds, c.Command)
			if !c.ShouldEscape {
				t.Errorf("%s: %s does not escape channels and users", tc.file, c.Command)
			}
			if !tc.socket && !strings.HasSuffix(c.URL, "/slack/events") {
				t.Errorf("%s: %s posts to %q", tc.file, c.Command, c.URL)
			}
		}
		if !slices.Equal(cmds, []string{"/tip", "/tips"}) {
			t.Errorf("%s: commands %v", tc.file, cmds)
		} else {
			checkTipsHints(t, tc.file, m.Features.SlashCommands[1].Description, m.Features.SlashCommands[1].UsageHint)
		}
		if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].Type != "message" ||
			m.Features.Shortcuts[0].CallbackID != callbackSaveTip || m.Features.Shortcuts[0].Name != "Save as tip" {
			t.Errorf("%s: shortcuts %+v", tc.file, m.Features.Shortcuts)
		}
		if !m.Settings.Interactivity.Enabled || m.Settings.SocketMode != tc.socket {
			t.Errorf("%s: interactivity %v, socket mode %v", tc.file, m.Settings.Interactivity.Enabled, m.Settings.SocketMode)
		}
		if !tc.socket && (!strings.HasSuffix(m.Settings.Events.RequestURL, "/slack/events") ||
			!strings.HasSuffix(m.Settings.Interactivity.RequestURL, "/slack/events")) {
			t.Errorf("%s: request URLs %q, %q", tc.file, m.Settings.Events.RequestURL, m.Settings.Interactivity.RequestURL)
		}
	}
	for _, s := range wantScopes {
		if !strings.Contains(string(docs), "| `"+s+"` |") {
			t.Errorf("README.md does not explain the scope %s", s)
		}
	}
	for _, e := range wantEvents {
		if !strings.Contains(string(docs), "`"+e+"`") {
			t.Errorf("README.md does not name the event %s", e)
		}
	}
}
