package main

// YAML decoding with line numbers: the decoder walks the YAML tree, records
// where each key is set and reports unknown keys, wrong shapes and values
// that do not parse. Values are checked afterwards, in config_check.go.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/bot"
)

type decoder struct {
	file   string
	lookup func(string) (string, bool)
	// platforms are the platforms whose sections and per-platform keys
	// the configuration may have (registry).
	platforms []platform
	vars      []string // names of the ${NAME} references, by placeholder number
	problems  []error  // every one a *ConfigError
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
			d.problem(n.Line, key, "%s is not true or false", bot.QuoteValue(v))
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
			d.problem(n.Line, key, "%s is not a whole number", bot.QuoteValue(v))
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
					d.problem(deref(item).Line, ikey, "%s %s", bot.QuoteValue(v), msg)
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
			d.problem(n.Line, key, "%s is not a duration such as 45m, 2h, 1h30m or 2d", bot.QuoteValue(v))
			return
		}
		if dur <= 0 {
			d.problem(n.Line, key, "%s is not positive", bot.QuoteValue(v))
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
		for _, p := range namesOf(d.ps()) {
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
		for _, p := range namesOf(d.ps()) {
			fs[string(p)] = func(n *yaml.Node, key string) {
				l := m[p]
				d.list(&l, nil)(n, key)
				m[p] = l
			}
		}
		d.mapping(n, key, fs)
	}
}

// root decodes the top-level mapping into c; values are checked later by
// validate.
func (d *decoder) root(n *yaml.Node, c *Config) {
	var tz string
	tzSet := false
	fs := fields{
		"store": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{"path": d.str(&c.Store.Path)})
		},
		"locale": d.str(&c.Core.Locale),
		"timezone": func(n *yaml.Node, key string) {
			tz, tzSet = d.scalar(n, key)
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
		"nudges": func(n *yaml.Node, key string) {
			d.mapping(n, key, fields{
				"enabled":     d.boolean(&c.Core.NudgesEnabled),
				"after_votes": d.integer(&c.Core.NudgeAfterVotes),
				"every":       d.duration(&c.Core.NudgeEvery, false),
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
	}
	// Each platform's section.
	for key, f := range d.sectionDecoders(c) {
		if _, taken := fs[key]; taken {
			panic(fmt.Sprintf("cmd/tipbot: the section of a platform is named %q, a key of the configuration already", key))
		}
		fs[key] = f
	}
	d.mapping(n, "", fs)
	if tzSet {
		switch loc, err := cron.LoadLocation(tz); {
		case err != nil:
			d.problem(d.lines["timezone"], "timezone", "%s", err)
		default:
			c.Core.Location = loc
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
