package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"go.yaml.in/yaml/v3"
)

// envOf returns a lookup function over a fixed environment.
func envOf(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// secretEnv sets every secret variable to a recognizable value.
var secretEnv = envOf(
	"SLACK_BOT_TOKEN", "xoxb-s3cr3t-bot",
	"SLACK_APP_TOKEN", "xapp-s3cr3t-app",
	"SLACK_SIGNING_SECRET", "s3cr3t-signing",
	"DISCORD_BOT_TOKEN", "s3cr3t-discord",
	"TIPBOT_ADMIN_TOKEN", "s3cr3t-admin",
)

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		env  func(string) (string, bool) // nil: no variable set
		want []string                    // substrings of the error, each on its own problem
	}{
		// Unknown keys, at every level.
		{"top-level typo", "locales: fr\n", nil, []string{`config.yaml:1: unknown key "locales" (did you mean "locale"?)`}},
		{"top-level unknown", "\n\nplugins: [x]\n", nil, []string{`config.yaml:3: unknown key "plugins" (valid keys: applied_reactions, capture, discord, http, locale, moderation, nudges, recognition, recovery, roles, sessions, slack, store, timezone, useful_reactions)`}},
		{"store", "store:\n  paht: x.db\n", nil, []string{`config.yaml:2: unknown key "store.paht" (did you mean "store.path"?)`}},
		{"slack", "slack:\n  enabled: false\n  tokn: xoxb-1\n", nil, []string{`config.yaml:3: unknown key "slack.tokn"`}},
		{"discord", "discord:\n  guilds: []\n", nil, []string{`config.yaml:2: unknown key "discord.guilds"`}},
		{"capture", "capture:\n  prefix: [\"tip:\"]\n", nil, []string{`config.yaml:2: unknown key "capture.prefix" (did you mean "capture.prefixes"?)`}},
		{"capture platform", "capture:\n  reaction:\n    teams: pin\n", nil, []string{`config.yaml:3: unknown key "capture.reaction.teams"`}},
		{"ack platform", "capture:\n  ack_reaction: {matrix: x}\n", nil, []string{`config.yaml:2: unknown key "capture.ack_reaction.matrix"`}},
		{"useful platform", "useful_reactions:\n  slak: [bulb]\n", nil, []string{`config.yaml:2: unknown key "useful_reactions.slak" (did you mean "useful_reactions.slack"?)`}},
		{"recognition", "recognition:\n  treshold: 3\n", nil, []string{`config.yaml:2: unknown key "recognition.treshold" (did you mean "recognition.threshold"?)`}},
		{"hall of fame platform", "recognition:\n  hall_of_fame_channel: {teams: x}\n", nil, []string{`config.yaml:2: unknown key "recognition.hall_of_fame_channel.teams"`}},
		{"digest platform", "recognition:\n  digest_channel:\n    irc: x\n", nil, []string{`config.yaml:3: unknown key "recognition.digest_channel.irc"`}},
		{"sessions", "sessions:\n  timeout: 1h\n", nil, []string{`config.yaml:2: unknown key "sessions.timeout"`}},
		{"moderation", "moderation:\n  approval: true\n", nil, []string{`config.yaml:2: unknown key "moderation.approval"`}},
		{"roles", "roles:\n  admin: [U1]\n", nil, []string{`config.yaml:2: unknown key "roles.admin" (did you mean "roles.admins"?)`}},
		{"http", "http:\n  address: :8080\n", nil, []string{`config.yaml:2: unknown key "http.address"`}},
		{"several", "locale: en\nslack:\n  tokn: 1\nlocal: fr\n", nil, []string{`config.yaml:3: unknown key "slack.tokn"`, `config.yaml:4: unknown key "local"`}},
		{"duplicate", "locale: en\ntimezone: UTC\nlocale: fr\n", nil, []string{`config.yaml:3: locale: set twice (first at line 1)`}},
		{"merge key", "base: &b {locale: fr}\n<<: *b\n", nil, []string{`config.yaml:1: unknown key "base"`, `config.yaml:2: unknown key "<<"`}},

		// "Add to Slack".
		{"oauth without secret nor http", "slack:\n  enabled: true\n  app_token: xapp-1\n  client_id: \"111.222\"\n", nil, []string{
			`config.yaml:2: slack.client_secret: is empty, but slack.enabled is true and slack.client_id is set (environment variable SLACK_CLIENT_SECRET is not set)`,
			`config.yaml:4: http.addr: is empty, but slack.client_id is set`}},
		{"public url", "http:\n  public_url: tipbot.example.com\n", nil, []string{`config.yaml:2: http.public_url: `}},

		// Shapes.
		{"not a mapping", "- locale\n- en\n", nil, []string{`config.yaml:1: the configuration is a list; want a mapping of keys`}},
		{"section is a value", "slack: true\n", nil, []string{`config.yaml:1: slack: is a single value; want a mapping of keys`}},
		{"value is a list", "locale: [en]\n", nil, []string{`config.yaml:1: locale: is a list; want a single value`}},
		{"list is a value", "discord:\n  guild_ids: 123\n", nil, []string{`config.yaml:2: discord.guild_ids: is a single value; want a list`}},
		{"list item is a list", "roles:\n  admins:\n    - [U1]\n", nil, []string{`config.yaml:3: roles.admins[0]: is a list; want a single value`}},
		{"syntax", "locale: en\nslack: [\n", nil, []string{`config.yaml:`, `YAML: `}},
		{"tab indent", "slack:\n\tenabled: true\n", nil, []string{`config.yaml:2: YAML: found character that cannot start any token`}},
		{"two documents", "locale: en\n---\nlocale: fr\n", nil, []string{`config.yaml:2: more than one YAML document`}},

		// Values.
		{"locale", "\n\nlocale: de\n", nil, []string{`config.yaml:3: locale: "de" is not en or fr`}},
		{"locale empty", "locale:\n", nil, []string{`config.yaml:1: locale: "" is not en or fr`}},
		{"timezone", "timezone: Mars/Olympus_Mons\n", nil, []string{`config.yaml:1: timezone: "Mars/Olympus_Mons" is not a time zone`}},
		{"timezone empty", "timezone: ''\n", nil, []string{`config.yaml:1: timezone: empty; name a zone`}},
		{"timezone local", "timezone: Local\n", nil, []string{`config.yaml:1: timezone: "Local" depends on the machine`}},
		{"store path", "store: {path: ''}\n", nil, []string{`config.yaml:1: store.path: is empty`}},
		{"slack enabled", "slack:\n  enabled: yes please\n", nil, []string{`config.yaml:2: slack.enabled: "yes please" is not true or false`}},
		{"slack mode", "slack:\n  mode: websocket\n", nil, []string{`config.yaml:2: slack.mode: "websocket" is not socket or http`}},
		{"slack api_url scheme", "slack:\n  api_url: ftp://slack.com/api/\n", nil, []string{`config.yaml:2: slack.api_url: "ftp://slack.com/api/" is not an absolute http(s) URL`}},
		{"slack api_url relative", "slack:\n  api_url: slack.com/api\n", nil, []string{`config.yaml:2: slack.api_url: "slack.com/api" is not an absolute http(s) URL`}},
		{"slack api_url password", "slack:\n  api_url: ftp://me:hunter2@proxy/\n", nil, []string{`slack.api_url: "ftp://me:xxxxx@proxy/" is not an absolute`}},
		{"discord api_url query", "discord:\n  api_url: https://discord.com/?x=1\n", nil, []string{`config.yaml:2: discord.api_url: "https://discord.com/?x=1" has a query or fragment`}},
		{"guild id", "discord:\n  guild_ids: [\"123\", abc]\n", nil, []string{`config.yaml:2: discord.guild_ids[1]: "abc" is not a Discord guild id`}},
		{"threshold zero", "recognition:\n  threshold: 0\n", nil, []string{`config.yaml:2: recognition.threshold: 0 is below 1`}},
		{"nudges after_votes zero", "nudges:\n  after_votes: 0\n", nil, []string{`config.yaml:2: nudges.after_votes: 0 is below 1`}},
		{"nudges after_votes words", "nudges: {after_votes: three}\n", nil, []string{`config.yaml:1: nudges.after_votes: "three" is not a whole number`}},
		{"nudges every", "nudges:\n  every: monthly\n", nil, []string{`config.yaml:2: nudges.every: "monthly" is not a duration such as 45m, 2h, 1h30m or 2d`}},
		{"nudges every short", "nudges:\n  every: 12h\n", nil, []string{`config.yaml:2: nudges.every: 12h0m0s is shorter than a day (1d)`}},
		{"nudges enabled", "nudges: {enabled: sometimes}\n", nil, []string{`config.yaml:1: nudges.enabled: "sometimes" is not true or false`}},
		{"threshold negative", "recognition: {threshold: -3}\n", nil, []string{`config.yaml:1: recognition.threshold: -3 is below 1`}},
		{"threshold words", "recognition:\n  threshold: five\n", nil, []string{`config.yaml:2: recognition.threshold: "five" is not a whole number`}},
		{"threshold fraction", "recognition:\n  threshold: 2.5\n", nil, []string{`config.yaml:2: recognition.threshold: "2.5" is not a whole number`}},
		{"cron words", "recognition:\n  digest_schedule: every monday\n  digest_channel: {shell: '#x'}\n", nil, []string{`config.yaml:2: recognition.digest_schedule: "every monday" is not a cron schedule`}},
		{"cron six fields", "recognition:\n  digest_schedule: 0 0 9 1 * *\n  digest_channel: {shell: '#x'}\n", nil, []string{`config.yaml:2: recognition.digest_schedule: "0 0 9 1 * *" is not a cron schedule`}},
		{"cron descriptor", "recognition:\n  digest_schedule: '@monthly'\n  digest_channel: {shell: '#x'}\n", nil, []string{`recognition.digest_schedule: "@monthly" is not a cron schedule`}},
		{"cron range", "recognition:\n  digest_schedule: 61 * * * *\n  digest_channel: {shell: '#x'}\n", nil, []string{`recognition.digest_schedule: "61 * * * *" is not a cron schedule`}},
		{"cron zone", "recognition:\n  digest_schedule: CRON_TZ=Mars/Base 0 9 * * *\n  digest_channel: {shell: '#x'}\n", nil, []string{`"Mars/Base" is not a time zone`}},
		{"cron zone alone", "recognition:\n  digest_schedule: CRON_TZ=Europe/Paris\n  digest_channel: {shell: '#x'}\n", nil, []string{`config.yaml:2: recognition.digest_schedule: "CRON_TZ=Europe/Paris" is not a cron schedule`, `nothing after the time zone`}},
		{"cron never", "recognition:\n  digest_schedule: 0 0 30 2 *\n  digest_channel: {shell: '#x'}\n", nil, []string{`"0 0 30 2 *" is not a cron schedule`, `never fires`}},
		{"digest without channel", "recognition:\n  digest_schedule: 0 9 1 * *\n", nil, []string{`config.yaml:2: recognition.digest_channel: is empty for every platform`}},
		{"hall of fame discord", "recognition:\n  hall_of_fame_channel:\n    discord: '#hall'\n", nil, []string{`config.yaml:3: recognition.hall_of_fame_channel.discord: "#hall" is not a Discord channel id`}},
		{"channel with space", "recognition:\n  hall_of_fame_channel: {slack: 'hall of fame'}\n", nil, []string{`recognition.hall_of_fame_channel.slack: "hall of fame" is not a channel`}},
		{"duration zero", "sessions:\n  duration: 0s\n", nil, []string{`config.yaml:2: sessions.duration: "0s" is not positive`}},
		{"duration negative", "sessions:\n  duration: -1h\n", nil, []string{`config.yaml:2: sessions.duration: "-1h" is not positive`}},
		{"duration words", "sessions:\n  duration: one day\n", nil, []string{`config.yaml:2: sessions.duration: "one day" is not a duration such as 45m, 2h, 1h30m or 2d`}},
		{"duration unit", "sessions:\n  catch_up: 3w\n", nil, []string{`config.yaml:2: sessions.catch_up: "3w" is not a duration`}},
		{"duration empty", "sessions:\n  duration: ''\n", nil, []string{`config.yaml:2: sessions.duration: "" is not a duration`}},
		{"days huge", "sessions:\n  duration: 99999999999d\n", nil, []string{`sessions.duration: "99999999999d" is not a duration`}},
		{"reminder too long", "sessions:\n  duration: 2h\n  reminder: 2h\n", nil, []string{`config.yaml:3: sessions.reminder: 2h0m0s is not shorter than sessions.duration (2h0m0s)`}},
		{"approval", "moderation:\n  require_approval: maybe\n", nil, []string{`config.yaml:2: moderation.require_approval: "maybe" is not true or false`}},
		{"admin empty", "roles:\n  admins: [U1, '']\n", nil, []string{`config.yaml:2: roles.admins[1]: "" is empty`}},
		{"trainers value", "roles:\n  trainers: U1\n", nil, []string{`config.yaml:2: roles.trainers: is a single value; want a list`}},
		{"prefix empty", "capture:\n  prefixes: ['tip:', '']\n", nil, []string{`config.yaml:2: capture.prefixes[1]: "" is empty`}},
		{"prefix spaces", "capture:\n  prefixes: [' tip:']\n", nil, []string{`capture.prefixes[0]: " tip:" starts or ends with spaces`}},
		{"hashtag", "capture:\n  hashtags:\n    - tip\n", nil, []string{`config.yaml:3: capture.hashtags[0]: "tip" is not a hashtag such as #tip`}},
		{"hashtag spaces", "capture:\n  hashtags: ['#a tip']\n", nil, []string{`capture.hashtags[0]: "#a tip" is not a hashtag`}},
		{"reaction empty", "capture:\n  reaction:\n    slack: ''\n", nil, []string{`config.yaml:3: capture.reaction.slack: "" is not an emoji`}},
		{"useful empty", "useful_reactions:\n  shell: []\n", nil, []string{`config.yaml:2: useful_reactions.shell: is empty; list at least one emoji`}},
		{"follow-up not a duration", "sessions:\n  follow_up: [7d, soon]\n", nil, []string{`config.yaml:2: sessions.follow_up[1]: "soon" is not a duration such as 7d, 36h or 1d12h`}},
		{"applied is useful", "applied_reactions:\n  shell: [bulb]\n", nil, []string{`config.yaml:2: applied_reactions.shell: "bulb" is also in useful_reactions.shell: an applied mark is not a useful vote`}},
		{"applied is capture", "applied_reactions:\n  discord: [\"🔖\"]\n", nil, []string{`config.yaml:2: applied_reactions.discord: "🔖" is also capture.reaction.discord`}},
		{"http addr", "http:\n  addr: '8080'\n", nil, []string{`config.yaml:2: http.addr: "8080" is not an address such as :8080`}},
		{"http port", "http:\n  addr: ':http'\n", nil, []string{`http.addr: ":http" is not an address`}},

		// Required secrets of enabled adapters.
		{"slack socket no tokens", "slack:\n  enabled: true\n", nil, []string{
			`config.yaml:2: slack.bot_token: is empty, but slack.enabled is true (environment variable SLACK_BOT_TOKEN is not set)`,
			`config.yaml:2: slack.app_token: is empty, but slack.enabled is true in socket mode (environment variable SLACK_APP_TOKEN is not set)`,
		}},
		{"slack token from other var", "slack:\n  enabled: true\n  bot_token: ${MY_SLACK}\n", envOf("SLACK_APP_TOKEN", "xapp-1"), []string{
			`config.yaml:3: slack.bot_token: is empty, but slack.enabled is true (environment variable MY_SLACK is not set)`,
		}},
		{"slack token empty literal", "slack:\n  enabled: true\n  bot_token: ''\n  app_token: xapp-1\n", nil, []string{
			`config.yaml:3: slack.bot_token: is empty, but slack.enabled is true`,
		}},
		{"slack http", "slack:\n  enabled: true\n  mode: http\n", envOf("SLACK_BOT_TOKEN", "xoxb-1"), []string{
			`config.yaml:2: slack.signing_secret: is empty, but slack.enabled is true in http mode (environment variable SLACK_SIGNING_SECRET is not set)`,
			`config.yaml:3: http.addr: is empty, but slack.mode is http`,
		}},
		{"discord no token", "discord:\n  enabled: true\n", nil, []string{
			`config.yaml:2: discord.token: is empty, but discord.enabled is true (environment variable DISCORD_BOT_TOKEN is not set)`,
		}},
		{"bad values keep secrets out", "slack:\n  enabled: true\n  mode: carrier-pigeon\nhttp:\n  addr: nowhere\n", secretEnv, []string{
			`slack.mode: "carrier-pigeon" is not socket or http`, `http.addr: "nowhere" is not an address`,
		}},
		{"secret of the wrong shape", "slack:\n  bot_token: [xoxb-s3cr3t-1]\n", nil, []string{`config.yaml:2: slack.bot_token: is a list; want a single value`}},
		{"unknown key holding a secret", "slack:\n  bot_tokn: xoxb-s3cr3t-1\n", nil, []string{`unknown key "slack.bot_tokn" (did you mean "slack.bot_token"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := tt.env
			if env == nil {
				env = envOf()
			}
			_, err := LoadConfig("config.yaml", []byte(tt.yaml), env)
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.yaml)
			}
			msg := err.Error()
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error:\n%s\nwant it to contain:\n%s", msg, want)
				}
			}
			if strings.Contains(msg, "s3cr3t") {
				t.Errorf("error shows a secret:\n%s", msg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != "config.yaml" {
				t.Errorf("error %v is not a *ConfigError naming the file", err)
			}
			for line := range strings.SplitSeq(msg, "\n") {
				if !strings.HasPrefix(line, "config.yaml:") {
					t.Errorf("problem %q does not start with the file name", line)
				}
			}
		})
	}
}

func TestConfigErrorWithoutFile(t *testing.T) {
	t.Parallel()
	_, err := LoadConfig("", []byte("\n\nlocale: de\n"), envOf())
	if got, want := fmt.Sprint(err), `line 3: locale: "de" is not en or fr`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestDefaultConfig(t *testing.T) {
	t.Parallel()
	cfg, err := DefaultConfig(envOf())
	if err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	core := bot.DefaultConfig()
	platformDefaults(&core) // each adapter's emoji (checked against SPEC below)
	core.Location = paris
	core.HallOfFame = map[bot.Platform]string{slackPlatform: "", discordPlatform: "", bot.Shell: ""}
	core.DigestChannel = map[bot.Platform]string{slackPlatform: "", discordPlatform: "", bot.Shell: ""}
	want := Config{
		Store:   StoreConfig{Path: "tipbot.db"},
		Core:    core,
		Slack:   SlackConfig{Mode: "socket", APIURL: "https://slack.com/api/"},
		Discord: DiscordConfig{APIURL: "https://discord.com"},
		Shell: ShellConfig{
			CaptureReaction: "bookmark", AckReaction: "bulb",
			UsefulReactions: []string{"bulb", "+1", "star"},
		},
	}
	diffConfig(t, cfg, want)

	// Spot checks against SPEC, independent of bot.DefaultConfig.
	c := cfg.Core
	if c.Locale != "en" || c.Threshold != 5 || c.SessionDuration != 24*time.Hour || c.CatchUp != time.Hour ||
		c.Reminder != 0 || c.RequireApproval || c.DigestSchedule != "" || c.Location.String() != "Europe/Paris" {
		t.Errorf("core defaults differ from SPEC: %+v", c)
	}
	if c.NudgesEnabled || c.NudgeAfterVotes != 3 || c.NudgeEvery != 30*24*time.Hour {
		t.Errorf("nudges defaults = %v, %d, %v; want off, 3, 30d", c.NudgesEnabled, c.NudgeAfterVotes, c.NudgeEvery)
	}
	if got, want := c.UsefulReactions[discordPlatform], []string{"💡", "👍", "⭐"}; !reflect.DeepEqual(got, want) {
		t.Errorf("discord useful reactions = %q, want %q", got, want)
	}
	if got, want := c.Prefixes, []string{"tip:", "astuce:"}; !reflect.DeepEqual(got, want) {
		t.Errorf("prefixes = %q, want %q", got, want)
	}
	if got, want := c.Hashtags, []string{"#tip", "#astuce"}; !reflect.DeepEqual(got, want) {
		t.Errorf("hashtags = %q, want %q", got, want)
	}
	if got := cfg.Adapters(); len(got) != 0 {
		t.Errorf("adapters = %v, want none", got)
	}

	// An empty file and a file of comments are the defaults too.
	for _, data := range []string{"", "# nothing\n", "---\n"} {
		got, err := LoadConfig("empty.yaml", []byte(data), envOf())
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		want := cfg
		want.File = "empty.yaml"
		diffConfig(t, got, want)
	}
}

// TestExampleIsDefaults checks that config.example.yaml loads, holds the
// defaults, and documents every key the loader knows.
func TestExampleIsDefaults(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "config.example.yaml")
	got, err := LoadConfigFile(path, secretEnv)
	if err != nil {
		t.Fatal(err)
	}
	want, err := DefaultConfig(secretEnv)
	if err != nil {
		t.Fatal(err)
	}
	want.File = path
	diffConfig(t, got, want)

	// The example sets every key of SPEC's configuration, and no other.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	d := &decoder{lookup: envOf(), lines: map[string]int{}, missing: map[string]string{}}
	c := d.defaults()
	d.root(doc.Content[0], &c)
	var keys []string
	for k := range d.lines {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !reflect.DeepEqual(keys, specKeys) {
		t.Errorf("config.example.yaml sets keys\n%q\nwant SPEC's\n%q", keys, specKeys)
	}
}

// specKeys are the key paths of SPEC's configuration block, sorted.
var specKeys = []string{
	"applied_reactions", "applied_reactions.discord", "applied_reactions.shell", "applied_reactions.slack",
	"capture", "capture.ack_reaction", "capture.ack_reaction.discord", "capture.ack_reaction.shell", "capture.ack_reaction.slack",
	"capture.hashtags", "capture.max_per_minute", "capture.prefixes", "capture.reaction", "capture.reaction.discord", "capture.reaction.shell", "capture.reaction.slack",
	"discord", "discord.api_url", "discord.enabled", "discord.guild_ids", "discord.token",
	"http", "http.addr", "http.admin_token", "http.public_url",
	"locale",
	"moderation", "moderation.require_approval",
	"nudges", "nudges.after_votes", "nudges.enabled", "nudges.every",
	"recognition", "recognition.digest_channel", "recognition.digest_channel.discord", "recognition.digest_channel.shell", "recognition.digest_channel.slack",
	"recognition.digest_schedule", "recognition.hall_of_fame_channel", "recognition.hall_of_fame_channel.discord",
	"recognition.hall_of_fame_channel.shell", "recognition.hall_of_fame_channel.slack", "recognition.threshold",
	"recovery", "recovery.window",
	"roles", "roles.admins", "roles.trainers",
	"sessions", "sessions.catch_up", "sessions.duration", "sessions.follow_up", "sessions.reminder",
	"slack", "slack.api_url", "slack.app_token", "slack.bot_token", "slack.client_id", "slack.client_secret", "slack.enabled", "slack.mode",
	"slack.signing_secret",
	"store", "store.path",
	"timezone",
	"useful_reactions", "useful_reactions.discord", "useful_reactions.shell", "useful_reactions.slack",
}

func diffConfig(t *testing.T, got, want Config) {
	t.Helper()
	if got.Core.Location.String() != want.Core.Location.String() {
		t.Errorf("location = %v, want %v", got.Core.Location, want.Core.Location)
	}
	got.Core.Location, want.Core.Location = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config:\n got %#v\nwant %#v", got, want)
	}
}

func TestLoadConfigValues(t *testing.T) {
	t.Parallel()
	data := `
store:
  path: ${DATA_DIR}/tips.db
locale: ${TIPBOT_LOCALE}
timezone: America/Montreal
slack:
  enabled: true
  mode: http
  bot_token: ${MY_BOT_TOKEN}
  signing_secret: "${SLACK_SIGNING_SECRET}"
  api_url: http://127.0.0.1:9999/api
discord:
  enabled: True
  api_url: http://127.0.0.1:9998/
  guild_ids: ["123456789012345678", 876543210987654321]
capture:
  prefixes: []
  hashtags: ["#Astuce"]
  reaction: {discord: "📌"}
  ack_reaction:
    slack: ":white_check_mark:"
useful_reactions:
  slack: &votes [bulb, ":heart:"]
  shell: *votes
recognition:
  threshold: 3
  hall_of_fame_channel: {slack: C0HALL, discord: "1122334455", shell: hall}
  digest_schedule: CRON_TZ=Europe/Paris 0 9 1 * *
  digest_channel: {shell: "#digest"}
sessions: {duration: 2d, reminder: 1h30m, catch_up: 45m}
moderation: {require_approval: true}
roles:
  admins: [U1, alice]
  trainers: [U2]
http:
  addr: 127.0.0.1:8080
  admin_token: $TIPBOT_ADMIN_TOKEN and ${NOT_A VAR} ${
`
	env := envOf("DATA_DIR", "/var/lib/tipbot", "TIPBOT_LOCALE", "fr", "MY_BOT_TOKEN", "xoxb-1",
		"SLACK_SIGNING_SECRET", "sign", "DISCORD_BOT_TOKEN", "disc", "TIPBOT_ADMIN_TOKEN", "admin")
	cfg, err := LoadConfig("tipbot.yaml", []byte(data), env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"store.path", cfg.Store.Path, "/var/lib/tipbot/tips.db"},
		{"locale", cfg.Core.Locale, "fr"},
		{"timezone", cfg.Core.Location.String(), "America/Montreal"},
		{"slack", fmt.Sprint(cfg.Slack.Enabled, " ", cfg.Slack.Mode), "true http"},
		{"slack.bot_token", cfg.Slack.BotToken.Reveal(), "xoxb-1"},
		{"slack.signing_secret", cfg.Slack.SigningSecret.Reveal(), "sign"},
		{"slack.app_token unset", cfg.Slack.AppToken.Reveal(), ""},
		{"slack.api_url gets its slash", cfg.Slack.APIURL, "http://127.0.0.1:9999/api/"},
		{"discord.enabled", cfg.Discord.Enabled, true},
		{"discord.token from the default variable", cfg.Discord.Token.Reveal(), "disc"},
		{"discord.api_url loses its slash", cfg.Discord.APIURL, "http://127.0.0.1:9998"},
		{"discord.guild_ids keep their digits", cfg.Discord.GuildIDs, []string{"123456789012345678", "876543210987654321"}},
		{"capture.prefixes off", len(cfg.Core.Prefixes), 0},
		{"capture.hashtags", cfg.Core.Hashtags, []string{"#Astuce"}},
		{"capture.reaction merged", cfg.Core.CaptureReaction, map[bot.Platform]string{slackPlatform: "bookmark", discordPlatform: "📌", bot.Shell: "bookmark"}},
		{"ack_reaction without colons", cfg.Core.AckReaction[slackPlatform], "white_check_mark"},
		{"useful_reactions via alias", cfg.Core.UsefulReactions, map[bot.Platform][]string{
			slackPlatform: {"bulb", "heart"}, discordPlatform: {"💡", "👍", "⭐"}, bot.Shell: {"bulb", "heart"}}},
		{"threshold", cfg.Core.Threshold, 3},
		{"hall of fame, shell gets its #", cfg.Core.HallOfFame, map[bot.Platform]string{slackPlatform: "C0HALL", discordPlatform: "1122334455", bot.Shell: "#hall"}},
		{"digest_schedule", cfg.Core.DigestSchedule, "CRON_TZ=Europe/Paris 0 9 1 * *"},
		{"digest_channel", cfg.Core.DigestChannel[bot.Shell], "#digest"},
		{"sessions.duration in days", cfg.Core.SessionDuration, 48 * time.Hour},
		{"sessions.reminder", cfg.Core.Reminder, 90 * time.Minute},
		{"sessions.catch_up", cfg.Core.CatchUp, 45 * time.Minute},
		{"require_approval", cfg.Core.RequireApproval, true},
		{"admins", cfg.Core.Admins, []string{"U1", "alice"}},
		{"trainers", cfg.Core.Trainers, []string{"U2"}},
		{"http.addr", cfg.HTTP.Addr, "127.0.0.1:8080"},
		{"only ${NAME} is replaced", cfg.HTTP.AdminToken.Reveal(), "$TIPBOT_ADMIN_TOKEN and ${NOT_A VAR} ${"},
		{"shell view", cfg.Shell, ShellConfig{CaptureReaction: "bookmark", AckReaction: "bulb",
			UsefulReactions: []string{"bulb", "heart"}, HallOfFame: "#hall", DigestChannel: "#digest"}},
		{"adapters", cfg.Adapters(), []bot.Platform{slackPlatform, discordPlatform}},
		{"file", cfg.File, "tipbot.yaml"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestEnvCannotInjectYAML checks that variables are replaced inside values,
// after parsing: a value cannot add keys or shift lines.
func TestEnvCannotInjectYAML(t *testing.T) {
	t.Parallel()
	env := envOf("P", "x.db\nlocale: de\nslack: {enabled: true}", "Q", "'")
	cfg, err := LoadConfig("c.yaml", []byte("store: {path: ${P}}\nroles: {admins: [${Q}]}\nlocale: fr\n"), env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Store.Path, "x.db\nlocale: de\nslack: {enabled: true}"; got != want {
		t.Errorf("store.path = %q, want %q", got, want)
	}
	if cfg.Core.Locale != "fr" || cfg.Slack.Enabled || !reflect.DeepEqual(cfg.Core.Admins, []string{"'"}) {
		t.Errorf("a variable changed the structure: %+v", cfg)
	}
	_, err = LoadConfig("c.yaml", []byte("\n\nlocale: ${L}\n"), envOf("L", "de\n\n\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:3: locale:") {
		t.Errorf("error = %v, want it at line 3", err)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"45m": 45 * time.Minute, "2h": 2 * time.Hour, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour,
		"1d12h": 36 * time.Hour, " 24h ": 24 * time.Hour, "0d": 0,
	} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "2", "2x", "-1d", "1d-1h", "1.5d", "1h2d", "36500000d"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestSecretsRedacted(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("c.yaml", []byte("slack: {enabled: true}\ndiscord: {enabled: true}\nhttp: {addr: ':8080'}\n"), secretEnv)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%v|%+v|%#v|%s|%v|%#v\n", cfg, cfg, cfg, cfg.Slack.BotToken, cfg.Slack, cfg.Discord)
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		log := slog.New(h)
		log.Info("config", "config", cfg, "slack", cfg.Slack, "token", cfg.Slack.BotToken, "http", cfg.HTTP)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	if s := out.String(); strings.Contains(s, "s3cr3t") {
		t.Errorf("a secret shows in:\n%s", s)
	}
	if !strings.Contains(out.String(), redacted) {
		t.Errorf("no %q in:\n%s", redacted, out.String())
	}
	if got, want := cfg.Slack.BotToken.Reveal(), "xoxb-s3cr3t-bot"; got != want {
		t.Errorf("Reveal = %q, want %q", got, want)
	}
	if got := Secret("").String(); got != "" {
		t.Errorf("empty secret prints %q, want nothing", got)
	}
}

func TestCheckCron(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"0 9 1 * *", "CRON_TZ=Europe/Paris 0 17 * * FRI", "TZ=UTC */15 8-18 * * MON-FRI", "0 0 29 2 *"} {
		if err := checkCron(ok); err != nil {
			t.Errorf("checkCron(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "CRON_TZ=", "CRON_TZ=Europe/Paris", "CRON_TZ= 0 9 * * *", "TZ=Local 0 9 * * *",
		"@every 1s", "* * * *", "0 0 31 4 *", "1-2-3 * * * *", "*/0 * * * *", "0 9 1 * * 2026", "a=b"} {
		if err := checkCron(bad); err == nil {
			t.Errorf("checkCron(%q) = nil, want an error", bad)
		}
	}
}

// FuzzLoadConfig checks that no input makes the loader panic, that what it
// accepts is valid, and that every problem names the file. Its seeds run
// with go test.
func FuzzLoadConfig(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml")); err == nil {
		f.Add(string(data))
	}
	for _, s := range []string{
		"", "locale: fr\n", "slack: {enabled: true, bot_token: x, app_token: y}\n",
		"slack:\n  enabled: true\n  mode: http\n  signing_secret: ${S}\nhttp: {addr: ':80'}\n",
		"discord: {enabled: true, token: ${DISCORD_BOT_TOKEN}, guild_ids: [1, 2]}\n",
		"recognition: {digest_schedule: 'CRON_TZ=Europe/Paris 0 9 1 * *', digest_channel: {shell: x}}\n",
		"recognition: {digest_schedule: 'CRON_TZ=Europe/Paris'}\n",
		"sessions: {duration: 2d, reminder: 1h, catch_up: 1d1h}\n",
		"a: &a [*a]\n", "x: &x {y: *x}\nslack: *x\n", "- [\n", "{", "?\n", "!!binary AAAA\n", "slack: !!map {}\n",
		"useful_reactions: {slack: &v [a], shell: *v, discord: *v}\n", "locale: ${A}${B}\n", "store: {path: \"\\0\"}\n",
		"capture: {hashtags: ['#', '##', '#a#b']}\n", "timezone: ../../etc/passwd\n", "http: {addr: '[::1]:99999'}\n",
	} {
		f.Add(s)
	}
	env := envOf("A", "en", "S", "sig", "DISCORD_BOT_TOKEN", "tok")
	f.Fuzz(func(t *testing.T, data string) {
		cfg, err := LoadConfig("f.yaml", []byte(data), env)
		if err != nil {
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Fatalf("problem %q does not name the file", line)
				}
			}
			return
		}
		c := cfg.Core
		switch {
		case c.Locale != "en" && c.Locale != "fr":
			t.Fatalf("accepted locale %q", c.Locale)
		case c.Location == nil || c.Location == time.Local:
			t.Fatalf("accepted location %v", c.Location)
		case c.Threshold < 1:
			t.Fatalf("accepted threshold %d", c.Threshold)
		case c.SessionDuration <= 0 || c.CatchUp <= 0 || c.Reminder < 0 || c.Reminder >= c.SessionDuration:
			t.Fatalf("accepted durations %v %v %v", c.SessionDuration, c.CatchUp, c.Reminder)
		case !strings.HasSuffix(cfg.Slack.APIURL, "/"):
			t.Fatalf("slack.api_url %q", cfg.Slack.APIURL)
		case cfg.Slack.Enabled && cfg.Slack.BotToken == "":
			t.Fatal("slack enabled without a token")
		case cfg.Discord.Enabled && cfg.Discord.Token == "":
			t.Fatal("discord enabled without a token")
		case cfg.Store.Path == "":
			t.Fatal("empty store path")
		}
		if c.DigestSchedule != "" {
			if err := checkCron(c.DigestSchedule); err != nil {
				t.Fatalf("accepted digest schedule %q: %v", c.DigestSchedule, err)
			}
		}
		for _, p := range []bot.Platform{slackPlatform, discordPlatform, bot.Shell} {
			if c.CaptureReaction[p] == "" || c.AckReaction[p] == "" || len(c.UsefulReactions[p]) == 0 {
				t.Fatalf("%s: empty reaction settings", p)
			}
		}
		again, err := LoadConfig("f.yaml", []byte(data), env)
		if err != nil {
			t.Fatalf("second load failed: %v", err)
		}
		diffConfig(t, again, cfg)
	})
}

// specBlock is SPEC's configuration block, verbatim.
const specBlock = `store: {path: tipbot.db}
locale: en                      # en | fr
timezone: Europe/Paris          # for periods, sessions and schedules
slack:
  enabled: false
  mode: socket                  # socket | http
  bot_token: ${SLACK_BOT_TOKEN}
  app_token: ${SLACK_APP_TOKEN} # socket mode
  signing_secret: ${SLACK_SIGNING_SECRET} # http mode
  api_url: https://slack.com/api/         # other Slack hosts, proxies, tests
discord:
  enabled: false
  token: ${DISCORD_BOT_TOKEN}
  api_url: https://discord.com            # proxies, tests
  guild_ids: []                 # register commands in these guilds (fast); empty = global
capture:
  prefixes: ["tip:", "astuce:"]
  hashtags: ["#tip", "#astuce"]
  reaction: {slack: bookmark, discord: "🔖", shell: bookmark}
  ack_reaction: {slack: bulb, discord: "💡", shell: bulb}
useful_reactions: {slack: [bulb, "+1", star], discord: ["💡", "👍", "⭐"], shell: [bulb, "+1", star]}
recognition:
  threshold: 5
  hall_of_fame_channel: {slack: "", discord: "", shell: ""}   # channel ids (shell: "#name"); empty = none
  digest_schedule: ""           # e.g. "0 9 1 * *": monthly digest of top tips and contributors
  digest_channel: {slack: "", discord: "", shell: ""}
sessions: {duration: 24h, reminder: "", catch_up: 1h}   # reminder e.g. 1h before the deadline
moderation: {require_approval: false}
roles: {admins: [], trainers: []}
http: {addr: "", admin_token: ${TIPBOT_ADMIN_TOKEN}}
`

// TestSpecBlock loads SPEC's block as written (with ${VAR} in flow
// mappings) and finds the defaults, secrets included.
func TestSpecBlock(t *testing.T) {
	t.Parallel()
	got, err := LoadConfig("spec.yaml", []byte(specBlock), secretEnv)
	if err != nil {
		t.Fatal(err)
	}
	want, err := DefaultConfig(secretEnv)
	if err != nil {
		t.Fatal(err)
	}
	want.File = "spec.yaml"
	diffConfig(t, got, want)
	if got, want := got.HTTP.AdminToken.Reveal(), "s3cr3t-admin"; got != want {
		t.Errorf("http.admin_token = %q, want %q", got, want)
	}

	_, err = LoadConfig("k.yaml", []byte("slack:\n  ${X}: 1\n"), secretEnv)
	if got, want := fmt.Sprint(err), `k.yaml:2: unknown key "slack.${X}"`; !strings.HasPrefix(got, want) {
		t.Errorf("error = %q, want it to start with %q", got, want)
	}
}

// With client_id, client_secret and the HTTP server, Slack needs no
// bot_token: workspaces install with "Add to Slack".
func TestConfigAddToSlack(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig("c.yaml", []byte("slack:\n  enabled: true\n  app_token: xapp-1\n  client_id: \"111.222\"\n"+
		"http:\n  addr: \":8080\"\n  public_url: https://tipbot.example.com/\n"), envOf("SLACK_CLIENT_SECRET", "s3cr3t-client"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.ClientID != "111.222" || c.Slack.ClientSecret.Reveal() != "s3cr3t-client" || c.HTTP.PublicURL != "https://tipbot.example.com" {
		t.Errorf("slack = %+v, http = %+v", c.Slack, c.HTTP)
	}
	if got := c.HTTP.BaseURL(); got != "https://tipbot.example.com" {
		t.Errorf("base URL = %q", got)
	}
	if got := (HTTPConfig{Addr: ":8080"}).BaseURL(); got != "http://localhost:8080" {
		t.Errorf("default base URL = %q", got)
	}
	if s := fmt.Sprint(c.Slack.ClientSecret); strings.Contains(s, "s3cr3t") {
		t.Errorf("client secret prints as %q", s)
	}
}
