package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipbot/tipbot/bot"
	"go.yaml.in/yaml/v3"
)

// Config is tipbot's whole configuration, typed and validated: what
// LoadConfig returns.
type Config struct {
	// File is the file the configuration was read from; "" when it holds
	// the defaults alone.
	File    string
	Store   StoreConfig
	Core    bot.Config
	Slack   SlackConfig
	Discord DiscordConfig
	Shell   ShellConfig
	HTTP    HTTPConfig
}

// StoreConfig locates the database.
type StoreConfig struct {
	Path string // bbolt file
}

// SlackConfig is the Slack adapter's configuration.
type SlackConfig struct {
	Enabled       bool
	Mode          string // "socket" or "http"
	BotToken      Secret
	AppToken      Secret // socket mode
	SigningSecret Secret // http mode
	APIURL        string // absolute http(s) URL ending with "/"
	// ClientID and ClientSecret enable "Add to Slack" (OAuth v2) at
	// /slack/install: any number of workspaces install the app.
	ClientID     string
	ClientSecret Secret
}

// DiscordConfig is the Discord adapter's configuration.
type DiscordConfig struct {
	Enabled  bool
	Token    Secret
	APIURL   string   // absolute http(s) URL without a trailing "/"
	GuildIDs []string // register commands in these guilds; empty = global
}

// ShellConfig gathers the shell's entries of the per-platform settings
// (the "shell" keys of capture, useful_reactions and recognition). The same
// values are in Core, under bot.Shell.
type ShellConfig struct {
	CaptureReaction string
	AckReaction     string
	UsefulReactions []string
	HallOfFame      string // "#name"; "" = none
	DigestChannel   string // "#name"; "" = none
}

// HTTPConfig is the HTTP server's configuration (health, metrics, Slack
// HTTP mode, backups).
type HTTPConfig struct {
	Addr       string // host:port; "" = no server
	AdminToken Secret
	// PublicURL is tipbot's address as browsers reach it (base of the
	// Slack install redirect and of dashboard links), without a trailing
	// "/"; "" = http://localhost:PORT (see BaseURL).
	PublicURL string
}

// BaseURL returns PublicURL, or http://localhost:PORT of Addr when it is
// empty.
func (h HTTPConfig) BaseURL() string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	_, port, _ := net.SplitHostPort(h.Addr)
	return "http://localhost:" + port
}

// Secret is a configuration value that must never be shown: it prints,
// logs and marshals as "[redacted]" (or "" when empty). Reveal returns the
// value itself, for the code that hands it to a platform.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString is String, so %#v does not show the value either.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps the value out of JSON, YAML and the like.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Adapters returns the names of the enabled platforms, in a fixed order.
func (c Config) Adapters() []bot.Platform {
	var ps []bot.Platform
	for _, p := range sections() {
		if p.enabled(c) {
			ps = append(ps, p.spec.Name)
		}
	}
	return ps
}

// LogValue summarizes the configuration for a log line, without secrets.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("file", c.File),
		slog.String("store", c.Store.Path),
		slog.String("locale", c.Core.Locale),
		slog.String("timezone", c.Core.Location.String()),
	}
	for _, p := range sections() {
		if p.enabled(c) {
			_, attr := p.summary(c)
			attrs = append(attrs, attr)
		}
	}
	if c.HTTP.Addr != "" {
		attrs = append(attrs, slog.String("http", c.HTTP.Addr))
	}
	return slog.GroupValue(attrs...)
}

// defaultConfigFile is read by the commands when no -config is given, if it
// exists.
const defaultConfigFile = "tipbot.yaml"

// defaultTimezone is SPEC's timezone.
const defaultTimezone = "Europe/Paris"

// DefaultConfig returns the configuration used when there is no file:
// SPEC's defaults, with secrets read from their environment variables
// through lookup (nil means os.LookupEnv).
func DefaultConfig(lookup func(string) (string, bool)) (Config, error) {
	return LoadConfig("", nil, lookup)
}

// LoadConfigFile reads and loads a configuration file (see LoadConfig).
func LoadConfigFile(path string, lookup func(string) (string, bool)) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return LoadConfig(path, data, lookup)
}

// LoadConfig parses YAML configuration data (read from file, which only
// names it in messages) over SPEC's defaults. ${VAR} in a value is replaced
// by the environment variable VAR as given by lookup (nil means
// os.LookupEnv); an unset variable is empty. The references are marked
// before parsing and filled in after, so they work anywhere a plain value
// does (flow mappings included, as in SPEC's "{admin_token: ${VAR}}") and
// a variable's value can never change the structure. Unknown keys and bad values
// are errors that name the file, line and key; every problem found is
// reported, joined with errors.Join. Secret values never appear in errors.
func LoadConfig(file string, data []byte, lookup func(string) (string, bool)) (Config, error) {
	return loadConfig(registry(), file, data, lookup)
}

// loadConfig is LoadConfig for the platforms ps.
func loadConfig(ps []platform, file string, data []byte, lookup func(string) (string, bool)) (Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	d := &decoder{file: file, lookup: lookup, platforms: ps, lines: map[string]int{}, missing: map[string]string{}}
	c := d.defaults()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(d.protect(data)))
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		// Empty file: every default.
	case err != nil:
		return Config{}, d.syntaxError(err)
	default:
		var extra yaml.Node
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			if err != nil {
				return Config{}, d.syntaxError(err)
			}
			return Config{}, &ConfigError{File: file, Line: extra.Line, Msg: "more than one YAML document"}
		}
		if len(doc.Content) > 0 {
			d.root(doc.Content[0], &c)
		}
	}
	d.validate(&c)
	if len(d.problems) > 0 {
		// In file order; problems with no line last.
		slices.SortStableFunc(d.problems, func(a, b error) int {
			la, lb := a.(*ConfigError).Line, b.(*ConfigError).Line
			if la == 0 {
				la = math.MaxInt
			}
			if lb == 0 {
				lb = math.MaxInt
			}
			return cmp.Compare(la, lb)
		})
		return Config{}, errors.Join(d.problems...)
	}
	c.File = file
	c.Shell = ShellConfig{
		CaptureReaction: c.Core.CaptureReaction[bot.Shell],
		AckReaction:     c.Core.AckReaction[bot.Shell],
		UsefulReactions: c.Core.UsefulReactions[bot.Shell],
		HallOfFame:      c.Core.HallOfFame[bot.Shell],
		DigestChannel:   c.Core.DigestChannel[bot.Shell],
	}
	return c, nil
}

// ConfigError is one problem in a configuration: a syntax error, an
// unknown key or a bad value.
type ConfigError struct {
	File string // "" when the data had no file name
	Line int    // 1-based; 0 when unknown
	Key  string // dotted key path, e.g. "slack.mode"; "" for syntax errors
	Msg  string
}

// Error returns "FILE:LINE: KEY: MSG" (or "line LINE: ..." with no file).
func (e *ConfigError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (d *decoder) defaults() Config {
	c := Config{
		Store: StoreConfig{Path: "tipbot.db"},
		Core:  bot.DefaultConfig(),
	}
	defaultsOf(&c.Core, d.ps()) // each platform's emoji; no hall of fame or digest channel
	c.Core.Location, _ = time.LoadLocation(defaultTimezone)
	if c.Core.Location == nil {
		c.Core.Location = time.UTC
	}
	// Secrets default to environment variables, as in SPEC's configuration
	// block: they never need to be in the file.
	env := func(key, name string, dst *Secret) {
		v, ok := d.lookup(name)
		if !ok || v == "" {
			d.missing[key] = name
		}
		*dst = Secret(v)
	}
	for _, p := range sectionsOf(d.ps()) {
		p.defaults(&c, env)
	}
	env("http.admin_token", "TIPBOT_ADMIN_TOKEN", &c.HTTP.AdminToken)
	return c
}
