package main

// Validation of a decoded configuration: value checks, cross-key rules,
// and each adapter's own section through its Validate.

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/bot"
)

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
		bad("locale", "%s is not en or fr", bot.QuoteValue(c.Core.Locale))
	}

	// Each platform checks its own section.
	for _, p := range sectionsOf(d.ps()) {
		p.validate(d, c)
	}

	// Capture, votes and channels, written as each platform writes them.
	for _, spec := range specsOf(d.ps()) {
		p := spec.Name
		for _, m := range []struct {
			key string
			v   map[bot.Platform]string
		}{{"capture.reaction", c.Core.CaptureReaction}, {"capture.ack_reaction", c.Core.AckReaction}} {
			key := m.key + "." + string(p)
			v := m.v[p]
			if spec.ConfigEmoji != nil {
				v = spec.ConfigEmoji(v)
				m.v[p] = v
			}
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t\n") {
				bad(key, "%s is not an emoji", bot.QuoteValue(v))
			}
		}
		key := "useful_reactions." + string(p)
		list := c.Core.UsefulReactions[p]
		if len(list) == 0 {
			bad(key, "is empty; list at least one emoji")
		}
		for i, e := range list {
			if spec.ConfigEmoji != nil {
				e = spec.ConfigEmoji(e)
				list[i] = e
			}
			if strings.TrimSpace(e) == "" || strings.ContainsAny(e, " \t\n") {
				bad(key, "%s is not an emoji", bot.QuoteValue(e))
			}
		}
		checkApplied(c, spec, bad)
		for _, m := range []struct {
			key string
			v   map[bot.Platform]string
		}{{"recognition.hall_of_fame_channel", c.Core.HallOfFame}, {"recognition.digest_channel", c.Core.DigestChannel}} {
			key := m.key + "." + string(p)
			v := strings.TrimSpace(m.v[p])
			switch {
			case v == "":
			case strings.ContainsAny(v, " \t\n"):
				bad(key, "%s is not a channel", bot.QuoteValue(v))
			case spec.ConfigChannel != nil:
				if ch, msg := spec.ConfigChannel(v); msg != "" {
					bad(key, "%s %s", bot.QuoteValue(v), msg)
				} else {
					v = ch
				}
			}
			m.v[p] = v
		}
	}
	if c.Core.Threshold < 1 {
		bad("recognition.threshold", "%d is below 1", c.Core.Threshold)
	}
	if c.Core.NudgeAfterVotes < 1 {
		bad("nudges.after_votes", "%d is below 1", c.Core.NudgeAfterVotes)
	}
	if c.Core.NudgeEvery < 24*time.Hour {
		bad("nudges.every", "%v is shorter than a day (1d): nudges are sent once a day at most", c.Core.NudgeEvery)
	}
	if c.Core.MaxPerMinute < 0 {
		bad("capture.max_per_minute", "%d is below 0", c.Core.MaxPerMinute)
	}
	if s := c.Core.DigestSchedule; s != "" {
		if err := checkCron(s); err != nil {
			bad("recognition.digest_schedule", "%s is not a cron schedule such as \"0 9 1 * *\" (minute hour day-of-month month day-of-week, optionally after CRON_TZ=Zone): %v", bot.QuoteValue(s), err)
		} else if !slices.ContainsFunc(namesOf(d.ps()), func(p bot.Platform) bool { return c.Core.DigestChannel[p] != "" }) {
			d.problem(d.line("recognition.digest_channel", "recognition.digest_schedule"), "recognition.digest_channel",
				"is empty for every platform, but recognition.digest_schedule is set: say where to post the digest")
		}
	}
	if r := c.Core.Reminder; r > 0 && r >= c.Core.SessionDuration {
		bad("sessions.reminder", "%v is not shorter than sessions.duration (%v)", r, c.Core.SessionDuration)
	}

	// HTTP.
	if u := c.HTTP.PublicURL; u != "" {
		if msg := bot.CheckURL(u); msg != "" {
			bad("http.public_url", "%s", msg)
		} else {
			c.HTTP.PublicURL = strings.TrimRight(u, "/")
		}
	}
	if a := c.HTTP.Addr; a != "" {
		host, port, err := net.SplitHostPort(a)
		if p, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || strings.ContainsAny(host, " /") || (p == 0 && port != "0") {
			bad("http.addr", "%s is not an address such as :8080 or 127.0.0.1:8080", bot.QuoteValue(a))
		}
	}
}

// section reports the problems an adapter found in its section; values
// it requires count only when the adapter is enabled.
func (d *decoder) section(adapter string, enabled bool, ps []bot.SettingProblem) {
	for _, p := range ps {
		key := adapter + "." + p.Key
		switch {
		case !p.Required:
			d.problem(d.line(key), key, "%s", p.Msg)
		case enabled:
			d.require(adapter, key, p.When)
		}
	}
}

// require reports an empty secret of an enabled adapter, naming the
// environment variable that was meant to fill it.
func (d *decoder) require(adapter, key, when string) {
	msg := "is empty, but " + adapter + ".enabled is true"
	if when != "" {
		msg += " " + when
	}
	if name, ok := d.missing[key]; ok {
		msg += fmt.Sprintf(" (environment variable %s is not set)", name)
	}
	d.problem(d.line(key, adapter+".enabled"), key, "%s", msg)
}

// checkCron validates a 5-field cron expression with an optional
// "CRON_TZ=Zone " (or "TZ=Zone ") prefix, and that it ever fires, by the
// rules the scheduler parses it with.
func checkCron(spec string) error { return cron.Check(spec) }

// checkApplied checks applied_reactions of a platform: emojis, none of
// them a useful reaction or the capture reaction (a ✅ is never a vote).
func checkApplied(c *Config, spec bot.PlatformSpec, bad func(key, format string, args ...any)) {
	p := spec.Name
	key := "applied_reactions." + string(p)
	list := c.Core.AppliedReactions[p]
	for i, e := range list {
		if spec.ConfigEmoji != nil {
			e = spec.ConfigEmoji(e)
			list[i] = e
		}
		switch {
		case strings.TrimSpace(e) == "" || strings.ContainsAny(e, " \t\n"):
			bad(key, "%s is not an emoji", bot.QuoteValue(e))
		case slices.ContainsFunc(c.Core.UsefulReactions[p], func(u string) bool { return bot.BaseEmoji(u) == bot.BaseEmoji(e) }):
			bad(key, "%s is also in useful_reactions.%s: an applied mark is not a useful vote", bot.QuoteValue(e), p)
		case bot.BaseEmoji(c.Core.CaptureReaction[p]) == bot.BaseEmoji(e):
			bad(key, "%s is also capture.reaction.%s", bot.QuoteValue(e), p)
		}
	}
}
