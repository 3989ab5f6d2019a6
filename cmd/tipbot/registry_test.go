package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// toySection is the toy platform's section of the configuration. A real
// platform keeps its section in a field of Config; the toy's lives in its
// registry entry, so that this test adds a platform without changing any
// file but itself.
type toySection struct {
	enabled bool
	token   Secret
	room    string
}

// toyEntry is the toy platform (toyplatform_test.go) as one registry
// entry: its spec with its configuration syntax (emoji are lower-case
// names; channels are written {#id}), its section "toy" (enabled, token
// from TOY_TOKEN, room) checked by its own rules, and its start, which
// records what it was given in started.
func toyEntry(sec *toySection, started *[]string) platform {
	spec := toySpec()
	spec.ConfigEmoji = strings.ToLower
	spec.ConfigChannel = func(ch string) (string, string) {
		if id, ok, _ := toyMarkup(ch, '#'); ok {
			return id, ""
		}
		return "", "is not a toy channel such as {#lobby}"
	}
	return platform{
		spec:    spec,
		section: "toy",
		defaults: func(_ *Config, env func(key, name string, dst *Secret)) {
			*sec = toySection{room: "lobby"}
			env("toy.token", "TOY_TOKEN", &sec.token)
		},
		decode: func(d *decoder, _ *Config) fields {
			return fields{
				"enabled": d.boolean(&sec.enabled),
				"token":   d.secret(&sec.token),
				"room":    d.str(&sec.room),
			}
		},
		validate: func(d *decoder, _ *Config) {
			var ps []bot.SettingProblem
			if sec.token == "" {
				ps = append(ps, bot.SettingProblem{Key: "token", Required: true})
			}
			if strings.TrimSpace(sec.room) == "" {
				ps = append(ps, bot.SettingProblem{Key: "room", Msg: "is empty"})
			}
			d.section("toy", sec.enabled, ps)
		},
		enabled: func(Config) bool { return sec.enabled },
		summary: func(Config) (string, slog.Attr) { return "toy", slog.String("toy", sec.room) },
		start: func(s starting) (runner, error) {
			*started = append(*started, "toy "+sec.token.Reveal()+" "+sec.room+" "+s.cfg.Core.CaptureReaction[toyPlatform])
			return runner{name: "toy", run: func(context.Context) error { return nil }}, nil
		},
	}
}

// TestRegistryToyPlatform adds the toy platform to the registry as one
// entry and checks that its section is decoded and validated, that its
// per-platform keys follow its own emoji and channel syntax, and that it
// is started when enabled, the built-in platforms being left as they are.
func TestRegistryToyPlatform(t *testing.T) {
	t.Parallel()
	var sec toySection
	var started []string
	ps := append(registry(), toyEntry(&sec, &started))

	data := `
toy:
  enabled: true
  room: hall
capture:
  reaction: {toy: PIN, slack: ":bookmark:"}
useful_reactions:
  toy: [Spark, "yes"]
recognition:
  hall_of_fame_channel: {toy: "{#fame}", shell: fame}
`
	cfg, err := loadConfig(ps, "toy.yaml", []byte(data), envOf("TOY_TOKEN", "t0k"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"capture reaction, by toy's syntax", cfg.Core.CaptureReaction[toyPlatform], "pin"},
		{"ack reaction, toy's default", cfg.Core.AckReaction[toyPlatform], "spark"},
		{"useful reactions", cfg.Core.UsefulReactions[toyPlatform], []string{"spark", "yes"}},
		{"hall of fame, by toy's syntax", cfg.Core.HallOfFame[toyPlatform], "fame"},
		{"digest channel, none", cfg.Core.DigestChannel[toyPlatform], ""},
		{"slack emoji, by slack's syntax", cfg.Core.CaptureReaction[slackPlatform], "bookmark"},
		{"shell channel, by the shell's", cfg.Core.HallOfFame[bot.Shell], "#fame"},
		{"discord default", cfg.Core.CaptureReaction[discordPlatform], "🔖"},
		{"section", sec, toySection{enabled: true, token: "t0k", room: "hall"}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	rs, err := startPlatforms(ps, starting{cfg: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.name)
	}
	if !slices.Equal(names, []string{"toy"}) || !slices.Equal(started, []string{"toy t0k hall pin"}) {
		t.Errorf("started runners %q, toy given %q; want [toy], [toy t0k hall pin]", names, started)
	}
}

// TestRegistryToyPlatformErrors checks that the toy section's problems,
// and values its syntax refuses, are reported as every config error is:
// file, line, key.
func TestRegistryToyPlatformErrors(t *testing.T) {
	t.Parallel()
	var sec toySection
	var started []string
	ps := append(registry(), toyEntry(&sec, &started))

	data := `toy:
  enabled: true
  room: " "
  colour: red
recognition:
  digest_channel:
    toy: general
`
	_, err := loadConfig(ps, "toy.yaml", []byte(data), envOf())
	if err == nil {
		t.Fatal("no error")
	}
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%T %v is not a *ConfigError", e, e)
		}
		got = append(got, e.Error())
	}
	want := []string{
		`toy.yaml:2: toy.token: is empty, but toy.enabled is true (environment variable TOY_TOKEN is not set)`,
		`toy.yaml:3: toy.room: is empty`,
		`toy.yaml:4: unknown key "toy.colour" (valid keys: enabled, room, token)`,
		`toy.yaml:7: recognition.digest_channel.toy: "general" is not a toy channel such as {#lobby}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(started) != 0 {
		t.Errorf("started %q", started)
	}
}

// TestRegistrySectionNameTaken checks that a platform whose section would
// shadow a key of the configuration is refused as a wiring bug, the first
// time a configuration file is read.
func TestRegistrySectionNameTaken(t *testing.T) {
	t.Parallel()
	var sec toySection
	var started []string
	toy := toyEntry(&sec, &started)
	toy.section = "http"
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `named "http"`) {
			t.Errorf("recovered %v; want a panic naming the section", r)
		}
	}()
	_, _ = loadConfig(append(registry(), toy), "", []byte("locale: en\n"), envOf())
}
