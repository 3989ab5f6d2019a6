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
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
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
	if c.Slack.Enabled {
		ps = append(ps, bot.Slack)
	}
	if c.Discord.Enabled {
		ps = append(ps, bot.Discord)
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
	if c.Slack.Enabled {
		attrs = append(attrs, slog.String("slack", c.Slack.Mode))
	}
	if c.Discord.Enabled {
		attrs = append(attrs, slog.Int("discord_guilds", len(c.Discord.GuildIDs)))
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

// secretVars are the environment variables secrets default to, as in
// SPEC's configuration block: secrets never need to be in the file.
var secretVars = map[string]string{
	"slack.bot_token":      "SLACK_BOT_TOKEN",
	"slack.app_token":      "SLACK_APP_TOKEN",
	"slack.signing_secret": "SLACK_SIGNING_SECRET",
	"slack.client_secret":  "SLACK_CLIENT_SECRET",
	"discord.token":        "DISCORD_BOT_TOKEN",
	"http.admin_token":     "TIPBOT_ADMIN_TOKEN",
}

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
	if lookup == nil {
		lookup = os.LookupEnv
	}
	d := &decoder{file: file, lookup: lookup, lines: map[string]int{}, missing: map[string]string{}}
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

type decoder struct {
	file     string
	lookup   func(string) (string, bool)
	vars     []string // names of the ${NAME} references, by placeholder number
	problems []error  // every one a *ConfigError
	// lines maps a key path to the line where the file set it.
	lines map[string]int
	// missing maps a key path to the unset environment variable its value
	// referred to.
	missing map[string]string
}

func (d *decoder) problem(line int, key, format string, args ...any) {
	d.problems = append(d.problems, &ConfigError{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) syntaxError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, after
			}
		}
	}
	return &ConfigError{File: d.file, Line: line, Msg: "YAML: " + msg}
}

func (d *decoder) defaults() Config {
	c := Config{
		Store: StoreConfig{Path: "tipbot.db"},
		Core:  bot.DefaultConfig(),
		Slack: SlackConfig{Mode: "socket", APIURL: "https://slack.com/api/"},
		Discord: DiscordConfig{
			APIURL: "https://discord.com",
		},
	}
	c.Core.Location, _ = time.LoadLocation(defaultTimezone)
	if c.Core.Location == nil {
		c.Core.Location = time.UTC
	}
	c.Core.HallOfFame = map[bot.Platform]string{bot.Slack: "", bot.Discord: "", bot.Shell: ""}
	c.Core.DigestChannel = map[bot.Platform]string{bot.Slack: "", bot.Discord: "", bot.Shell: ""}
	secret := func(key string, dst *Secret) {
		v, ok := d.lookup(secretVars[key])
		if !ok || v == "" {
			d.missing[key] = secretVars[key]
		}
		*dst = Secret(v)
	}
	secret("slack.bot_token", &c.Slack.BotToken)
	secret("slack.app_token", &c.Slack.AppToken)
	secret("slack.signing_secret", &c.Slack.SigningSecret)
	secret("slack.client_secret", &c.Slack.ClientSecret)
	secret("discord.token", &c.Discord.Token)
	secret("http.admin_token", &c.HTTP.AdminToken)
	return c
}

// fields maps the keys of a YAML mapping to their decoders.
type fields map[string]func(n *yaml.Node, key string)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "not a value"
}

// mapping decodes a YAML mapping at path with the given field decoders,
// reporting unknown and duplicate keys. A null value is an empty mapping.
func (d *decoder) mapping(n *yaml.Node, path string, fs fields) {
	n = deref(n)
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.problem(n.Line, "", "the configuration is %s; want a mapping of keys such as \"locale: en\"", kindName(n))
		} else {
			d.problem(n.Line, path, "is %s; want a mapping of keys", kindName(n))
		}
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			d.problem(n.Content[i].Line, path, "keys must be plain names")
			continue
		}
		name, _ := d.expand(k.Value, true)
		key := join(path, name)
		f, ok := fs[name]
		if !ok {
			d.problems = append(d.problems, &ConfigError{File: d.file, Line: k.Line,
				Msg: fmt.Sprintf("unknown key %q%s", key, suggest(path, name, fs))})
			continue
		}
		if first, dup := seen[name]; dup {
			d.problem(k.Line, key, "set twice (first at line %d)", first)
			continue
		}
		seen[name] = k.Line
		d.lines[key] = k.Line
		f(v, key)
	}
}

// suggest returns ` (did you mean "x"?)` for a near miss, or the list of
// valid keys.
func suggest(path, key string, fs fields) string {
	names := make([]string, 0, len(fs))
	for name := range fs {
		names = append(names, name)
	}
	slices.Sort(names)
	best, bestDist := "", 3
	for _, name := range names {
		if dist := editDistance(key, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", join(path, best))
	}
	return " (valid keys: " + strings.Join(names, ", ") + ")"
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar returns the expanded text of a single value; ok is false (and a
// problem is reported) when n is a list or mapping. Null is "".
func (d *decoder) scalar(n *yaml.Node, key string) (string, bool) {
	n = deref(n)
	if n == nil {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		d.problem(n.Line, key, "is %s; want a single value", kindName(n))
		return "", false
	}
	if isNull(n) {
		delete(d.missing, key)
		return "", true
	}
	v, missing := d.expand(n.Value, false)
	if len(missing) > 0 {
		d.missing[key] = missing[0]
	} else {
		delete(d.missing, key)
	}
	return v, true
}

// placeholder marks the place of a ${NAME} reference in the YAML text
// while it is parsed: "__tipbot_env_N__" is a plain scalar in every YAML
// context (flow mappings included, where "${" is not) and keeps lines and
// structure, so a variable's value can never add keys or shift lines.
const placeholder = "__tipbot_env_"

// protect replaces every ${NAME} (NAME: letters, digits, underscores, not
// starting with a digit) by a placeholder; anything else, "$NAME"
// included, is kept.
func (d *decoder) protect(data []byte) []byte {
	s := string(data)
	if !strings.Contains(s, "${") {
		return data
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return []byte(b.String())
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 || !isEnvName(s[i+2:i+j]) {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		fmt.Fprintf(&b, "%s%d__", placeholder, len(d.vars))
		d.vars = append(d.vars, s[i+2:i+j])
		s = s[i+j+1:]
	}
}

// expand replaces the placeholders of s by the variables' values (restore
// false) or by the original ${NAME} text (restore true). Unset or empty
// variables become "" and are returned in missing.
func (d *decoder) expand(s string, restore bool) (out string, missing []string) {
	if !strings.Contains(s, placeholder) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, placeholder)
		if i < 0 {
			b.WriteString(s)
			return b.String(), missing
		}
		b.WriteString(s[:i])
		rest := s[i+len(placeholder):]
		num, after, ok := strings.Cut(rest, "__")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || n >= len(d.vars) {
			b.WriteString(placeholder)
			s = rest
			continue
		}
		name := d.vars[n]
		switch v, ok := d.lookup(name); {
		case restore:
			b.WriteString("${" + name + "}")
		case ok && v != "":
			b.WriteString(v)
		default:
			missing = append(missing, name)
		}
		s = after
	}
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		if v, ok := d.scalar(n, key); ok {
			*dst = v
		}
	}
}

func (d *decoder) secret(dst *Secret) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		if v, ok := d.scalar(n, key); ok {
			*dst = Secret(v)
		}
	}
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		v, ok := d.scalar(n, key)
		if !ok {
			return
		}
		switch strings.ToLower(v) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			d.problem(n.Line, key, "%s is not true or false", quote(v))
		}
	}
}

func (d *decoder) integer(dst *int) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		v, ok := d.scalar(n, key)
		if !ok {
			return
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			d.problem(n.Line, key, "%s is not a whole number", quote(v))
			return
		}
		*dst = i
	}
}

// list decodes a list of single values; check, when set, reports a bad
// item by returning a message.
func (d *decoder) list(dst *[]string, check func(string) string) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		n = deref(n)
		if n == nil || isNull(n) {
			*dst = nil
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.problem(n.Line, key, "is %s; want a list such as [a, b]", kindName(n))
			return
		}
		var out []string
		bad := false
		for i, item := range n.Content {
			ikey := fmt.Sprintf("%s[%d]", key, i)
			v, ok := d.scalar(item, ikey)
			if !ok {
				bad = true
				continue
			}
			if check != nil {
				if msg := check(v); msg != "" {
					d.problem(deref(item).Line, ikey, "%s %s", quote(v), msg)
					bad = true
					continue
				}
			}
			out = append(out, v)
		}
		if !bad {
			*dst = out
		}
	}
}

func (d *decoder) duration(dst *time.Duration, optional bool) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		v, ok := d.scalar(n, key)
		if !ok {
			return
		}
		if (v == "" || v == "0") && optional {
			*dst = 0
			return
		}
		dur, err := parseDuration(v)
		if err != nil {
			d.problem(n.Line, key, "%s is not a duration such as 45m, 2h, 1h30m or 2d", quote(v))
			return
		}
		if dur <= 0 {
			d.problem(n.Line, key, "%s is not positive", quote(v))
			return
		}
		*dst = dur
	}
}

// parseDuration parses Go durations plus a leading number of days: "2d",
// "1d12h".
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	days, rest, hasDays := strings.Cut(s, "d")
	if !hasDays {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseUint(days, 10, 32)
	if err != nil || n > 100*365 {
		return 0, fmt.Errorf("bad number of days %q", days)
	}
	dur := time.Duration(n) * 24 * time.Hour
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("bad duration %q", rest)
		}
		dur += r
	}
	return dur, nil
}

// perPlatform decodes {slack: x, discord: y, shell: z}; keys left out keep
// their value.
func (d *decoder) perPlatform(m map[bot.Platform]string) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		fs := fields{}
		for _, p := range []bot.Platform{bot.Slack, bot.Discord, bot.Shell} {
			fs[string(p)] = func(n *yaml.Node, key string) {
				if v, ok := d.scalar(n, key); ok {
					m[p] = v
				}
			}
		}
		d.mapping(n, key, fs)
	}
}

func (d *decoder) perPlatformList(m map[bot.Platform][]string) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		fs := fields{}
		for _, p := range []bot.Platform{bot.Slack, bot.Discord, bot.Shell} {
			fs[string(p)] = func(n *yaml.Node, key string) {
				l := m[p]
				d.list(&l, nil)(n, key)
				m[p] = l
			}
		}
		d.mapping(n, key, fs)
	}
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strconv.Quote(s)
}

// root decodes the top-level mapping into c; values are checked later by
// validate.
func (d *decoder) root(n *yaml.Node, c *Config) {
	var tz string
	tzSet := false
	d.mapping(n, "", fields{
		"store": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{"path": d.str(&c.Store.Path)})
		},
		"locale": d.str(&c.Core.Locale),
		"timezone": func(n *yaml.Node, key string) {
			tz, tzSet = d.scalar(n, key)
		},
		"slack": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"enabled":        d.boolean(&c.Slack.Enabled),
				"mode":           d.str(&c.Slack.Mode),
				"bot_token":      d.secret(&c.Slack.BotToken),
				"app_token":      d.secret(&c.Slack.AppToken),
				"signing_secret": d.secret(&c.Slack.SigningSecret),
				"api_url":        d.str(&c.Slack.APIURL),
				"client_id":      d.str(&c.Slack.ClientID),
				"client_secret":  d.secret(&c.Slack.ClientSecret),
			})
		},
		"discord": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"enabled":   d.boolean(&c.Discord.Enabled),
				"token":     d.secret(&c.Discord.Token),
				"api_url":   d.str(&c.Discord.APIURL),
				"guild_ids": d.list(&c.Discord.GuildIDs, checkSnowflake("guild")),
			})
		},
		"capture": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"max_per_minute": d.integer(&c.Core.MaxPerMinute),
				"prefixes":       d.list(&c.Core.Prefixes, checkPrefix),
				"hashtags":       d.list(&c.Core.Hashtags, checkHashtag),
				"reaction":       d.perPlatform(c.Core.CaptureReaction),
				"ack_reaction":   d.perPlatform(c.Core.AckReaction),
			})
		},
		"useful_reactions":  d.perPlatformList(c.Core.UsefulReactions),
		"applied_reactions": d.perPlatformList(c.Core.AppliedReactions),
		"recognition": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"threshold":            d.integer(&c.Core.Threshold),
				"hall_of_fame_channel": d.perPlatform(c.Core.HallOfFame),
				"digest_schedule":      d.str(&c.Core.DigestSchedule),
				"digest_channel":       d.perPlatform(c.Core.DigestChannel),
			})
		},
		"sessions": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"duration":  d.duration(&c.Core.SessionDuration, false),
				"reminder":  d.duration(&c.Core.Reminder, true),
				"catch_up":  d.duration(&c.Core.CatchUp, false),
				"follow_up": d.durationList(&c.Core.FollowUp),
			})
		},
		"moderation": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{"require_approval": d.boolean(&c.Core.RequireApproval)})
		},
		"recovery": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{"window": d.duration(&c.Core.RecoveryWindow, true)})
		},
		"roles": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"admins":   d.list(&c.Core.Admins, checkNonEmpty),
				"trainers": d.list(&c.Core.Trainers, checkNonEmpty),
			})
		},
		"http": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"addr":        d.str(&c.HTTP.Addr),
				"admin_token": d.secret(&c.HTTP.AdminToken),
				"public_url":  d.str(&c.HTTP.PublicURL),
			})
		},
	})
	if tzSet {
		switch loc, err := loadLocation(tz); {
		case err != nil:
			d.problem(d.lines["timezone"], "timezone", "%s", err)
		default:
			c.Core.Location = loc
		}
	}
}

func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errors.New("empty; name a zone such as Europe/Paris or UTC")
	case "Local":
		return nil, errors.New(`"Local" depends on the machine; name a zone such as Europe/Paris or UTC`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%s is not a time zone (such as Europe/Paris or UTC)", quote(name))
	}
	return loc, nil
}

func checkNonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is empty"
	}
	return ""
}

func checkPrefix(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is empty"
	}
	if strings.TrimSpace(s) != s {
		return "starts or ends with spaces"
	}
	return ""
}

func checkHashtag(s string) string {
	if len(s) < 2 || s[0] != '#' || strings.ContainsAny(s, " \t\n") || strings.Contains(s[1:], "#") {
		return "is not a hashtag such as #tip"
	}
	return ""
}

func checkSnowflake(what string) func(string) string {
	return func(s string) string {
		if s == "" || len(s) > 20 || strings.Trim(s, "0123456789") != "" {
			return "is not a Discord " + what + " id (digits; in Discord: right-click → Copy ID)"
		}
		return ""
	}
}

// line returns the line where key was set, or else where the nearest
// enclosing key was, so that problems about defaults point somewhere useful.
func (d *decoder) line(keys ...string) int {
	for _, k := range keys {
		if l, ok := d.lines[k]; ok {
			return l
		}
	}
	for _, k := range keys {
		for i := strings.LastIndexByte(k, '.'); i > 0; i = strings.LastIndexByte(k, '.') {
			k = k[:i]
			if l, ok := d.lines[k]; ok {
				return l
			}
		}
	}
	return 0
}

// validate checks values and cross-key rules once everything is decoded.
func (d *decoder) validate(c *Config) {
	bad := func(key, format string, args ...any) {
		d.problem(d.line(key), key, format, args...)
	}
	if strings.TrimSpace(c.Store.Path) == "" {
		bad("store.path", "is empty")
	}
	if c.Core.Locale != "en" && c.Core.Locale != "fr" {
		bad("locale", "%s is not en or fr", quote(c.Core.Locale))
	}

	// Slack.
	switch c.Slack.Mode {
	case "socket", "http":
	default:
		bad("slack.mode", "%s is not socket or http", quote(c.Slack.Mode))
	}
	if u, err := checkURL(c.Slack.APIURL); err != "" {
		bad("slack.api_url", "%s", err)
	} else if !strings.HasSuffix(u, "/") {
		c.Slack.APIURL = u + "/"
	}
	if c.Slack.Enabled && c.Slack.ClientID != "" {
		d.require("slack", "slack.client_secret", c.Slack.ClientSecret, "and slack.client_id is set")
		if c.HTTP.Addr == "" {
			d.problem(d.line("http.addr", "slack.client_id"), "http.addr",
				`is empty, but slack.client_id is set: "Add to Slack" needs tipbot's HTTP server (/slack/install, /slack/oauth_redirect)`)
		}
	}
	if c.Slack.Enabled && c.Slack.ClientID == "" {
		d.require("slack", "slack.bot_token", c.Slack.BotToken, "")
		switch c.Slack.Mode {
		case "socket":
			d.require("slack", "slack.app_token", c.Slack.AppToken, "in socket mode")
		case "http":
			d.require("slack", "slack.signing_secret", c.Slack.SigningSecret, "in http mode")
			if c.HTTP.Addr == "" {
				d.problem(d.line("http.addr", "slack.mode"), "http.addr",
					`is empty, but slack.mode is http: Slack must reach tipbot at an address such as ":8080"`)
			}
		}
	}

	// Discord.
	if u, err := checkURL(c.Discord.APIURL); err != "" {
		bad("discord.api_url", "%s", err)
	} else {
		c.Discord.APIURL = strings.TrimRight(u, "/")
	}
	if c.Discord.Enabled {
		d.require("discord", "discord.token", c.Discord.Token, "")
	}

	// Capture, votes and channels.
	for _, p := range []bot.Platform{bot.Slack, bot.Discord, bot.Shell} {
		for _, m := range []struct {
			key string
			v   map[bot.Platform]string
		}{{"capture.reaction", c.Core.CaptureReaction}, {"capture.ack_reaction", c.Core.AckReaction}} {
			key := m.key + "." + string(p)
			v := m.v[p]
			if p != bot.Discord {
				v = strings.Trim(v, ":")
				m.v[p] = v
			}
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t\n") {
				bad(key, "%s is not an emoji", quote(v))
			}
		}
		key := "useful_reactions." + string(p)
		list := c.Core.UsefulReactions[p]
		if len(list) == 0 {
			bad(key, "is empty; list at least one emoji")
		}
		for i, e := range list {
			if p != bot.Discord {
				e = strings.Trim(e, ":")
				list[i] = e
			}
			if strings.TrimSpace(e) == "" || strings.ContainsAny(e, " \t\n") {
				bad(key, "%s is not an emoji", quote(e))
			}
		}
		checkApplied(c, p, bad)
		for _, m := range []struct {
			key string
			v   map[bot.Platform]string
		}{{"recognition.hall_of_fame_channel", c.Core.HallOfFame}, {"recognition.digest_channel", c.Core.DigestChannel}} {
			key := m.key + "." + string(p)
			v := strings.TrimSpace(m.v[p])
			switch {
			case v == "":
			case strings.ContainsAny(v, " \t\n"):
				bad(key, "%s is not a channel", quote(v))
			case p == bot.Shell && !strings.HasPrefix(v, "#"):
				v = "#" + v
			case p == bot.Discord:
				if msg := checkSnowflake("channel")(v); msg != "" {
					bad(key, "%s %s", quote(v), msg)
				}
			}
			m.v[p] = v
		}
	}
	if c.Core.Threshold < 1 {
		bad("recognition.threshold", "%d is below 1", c.Core.Threshold)
	}
	if c.Core.MaxPerMinute < 0 {
		bad("capture.max_per_minute", "%d is below 0", c.Core.MaxPerMinute)
	}
	if s := c.Core.DigestSchedule; s != "" {
		if err := checkCron(s); err != nil {
			bad("recognition.digest_schedule", "%s is not a cron schedule such as \"0 9 1 * *\" (minute hour day-of-month month day-of-week, optionally after CRON_TZ=Zone): %v", quote(s), err)
		} else if c.Core.DigestChannel[bot.Slack] == "" && c.Core.DigestChannel[bot.Discord] == "" && c.Core.DigestChannel[bot.Shell] == "" {
			d.problem(d.line("recognition.digest_channel", "recognition.digest_schedule"), "recognition.digest_channel",
				"is empty for every platform, but recognition.digest_schedule is set: say where to post the digest")
		}
	}
	if r := c.Core.Reminder; r > 0 && r >= c.Core.SessionDuration {
		bad("sessions.reminder", "%v is not shorter than sessions.duration (%v)", r, c.Core.SessionDuration)
	}

	// HTTP.
	if u := c.HTTP.PublicURL; u != "" {
		if v, err := checkURL(u); err != "" {
			bad("http.public_url", "%s", err)
		} else {
			c.HTTP.PublicURL = strings.TrimRight(v, "/")
		}
	}
	if a := c.HTTP.Addr; a != "" {
		host, port, err := net.SplitHostPort(a)
		if p, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || strings.ContainsAny(host, " /") || (p == 0 && port != "0") {
			bad("http.addr", "%s is not an address such as :8080 or 127.0.0.1:8080", quote(a))
		}
	}
}

// require reports an empty secret of an enabled adapter, naming the
// environment variable that was meant to fill it.
func (d *decoder) require(adapter, key string, v Secret, when string) {
	if v != "" {
		return
	}
	msg := "is empty, but " + adapter + ".enabled is true"
	if when != "" {
		msg += " " + when
	}
	if name, ok := d.missing[key]; ok {
		msg += fmt.Sprintf(" (environment variable %s is not set)", name)
	}
	d.problem(d.line(key, adapter+".enabled"), key, "%s", msg)
}

// checkURL returns the URL when it is absolute http(s), else a message.
// Credentials in the URL are not repeated in the message.
func checkURL(s string) (string, string) {
	u, err := url.Parse(s)
	if err != nil {
		return "", "is not a URL"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Sprintf("%s is not an absolute http(s) URL", quote(u.Redacted()))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Sprintf("%s has a query or fragment", quote(u.Redacted()))
	}
	return s, ""
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// checkCron validates a 5-field cron expression with an optional
// "CRON_TZ=Zone " (or "TZ=Zone ") prefix, and that it ever fires.
func checkCron(spec string) (err error) {
	spec = strings.TrimSpace(spec)
	loc := time.UTC
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		tz, rest, ok := strings.Cut(spec, " ")
		if !ok {
			return errors.New("nothing after the time zone")
		}
		_, name, _ := strings.Cut(tz, "=")
		if loc, err = loadLocation(name); err != nil {
			return err
		}
		spec = strings.TrimSpace(rest)
	}
	if strings.HasPrefix(spec, "@") || strings.Contains(spec, "=") {
		return errors.New("want five fields")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable: %v", r)
		}
	}()
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return err
	}
	// A fixed reference keeps loading independent of the clock; every
	// schedule that can fire does so within 5 years of any date.
	if sched.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		return errors.New("it never fires")
	}
	return nil
}

// checkApplied checks applied_reactions of a platform: emojis, none of
// them a useful reaction or the capture reaction (a ✅ is never a vote).
func checkApplied(c *Config, p bot.Platform, bad func(key, format string, args ...any)) {
	key := "applied_reactions." + string(p)
	list := c.Core.AppliedReactions[p]
	for i, e := range list {
		if p != bot.Discord {
			e = strings.Trim(e, ":")
			list[i] = e
		}
		switch {
		case strings.TrimSpace(e) == "" || strings.ContainsAny(e, " \t\n"):
			bad(key, "%s is not an emoji", quote(e))
		case slices.ContainsFunc(c.Core.UsefulReactions[p], func(u string) bool { return bot.BaseEmoji(u) == bot.BaseEmoji(e) }):
			bad(key, "%s is also in useful_reactions.%s: an applied mark is not a useful vote", quote(e), p)
		case bot.BaseEmoji(c.Core.CaptureReaction[p]) == bot.BaseEmoji(e):
			bad(key, "%s is also capture.reaction.%s", quote(e), p)
		}
	}
}

// durationList decodes a list of positive durations ("7d", "30d"); an
// empty list is none.
func (d *decoder) durationList(dst *[]time.Duration) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		var raw []string
		ok := true
		d.list(&raw, func(v string) string {
			dur, err := parseDuration(v)
			switch {
			case err != nil:
				ok = false
				return "is not a duration such as 7d, 36h or 1d12h"
			case dur <= 0:
				ok = false
				return "is not positive"
			}
			return ""
		})(n, key)
		if !ok {
			return
		}
		out := []time.Duration{}
		for _, v := range raw {
			dur, _ := parseDuration(v)
			out = append(out, dur)
		}
		*dst = out
	}
}
