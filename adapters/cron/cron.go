// Package cron adapts github.com/robfig/cron/v3's parser to the core's
// bot.CronParser port: it parses standard five-field expressions with an
// optional CRON_TZ=Area/City prefix and computes next run times. Scheduling
// itself (timers, catch-up of missed runs) stays in the core, where the
// clock is injected.
package cron

import (
	"fmt"
	"strings"
	"time"

	rcron "github.com/robfig/cron/v3"

	"github.com/tipbot/tipbot/bot"
)

// Parse parses spec. Without a CRON_TZ= (or TZ=) prefix the expression is
// read in loc, never in the machine's local zone. It returns an error that
// quotes the expression when it is not valid.
func Parse(spec string, loc *time.Location) (bot.CronSchedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty cron expression")
	}
	if loc == nil {
		loc = time.UTC
	}
	expr := spec
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		zone, rest, ok := strings.Cut(spec, " ")
		if !ok || strings.HasSuffix(zone, "=") {
			return nil, fmt.Errorf("cron expression %q: five fields must follow the time zone", spec)
		}
		expr = rest
	} else {
		spec = "CRON_TZ=" + loc.String() + " " + spec
	}
	// Only the five standard fields: descriptors such as "@every 1s" would
	// let a schedule post prompts every second.
	if n := len(strings.Fields(expr)); n != 5 || strings.HasPrefix(strings.TrimSpace(expr), "@") {
		return nil, fmt.Errorf("cron expression %q: want five fields (minute hour day-of-month month day-of-week)", spec)
	}
	sched, err := parseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %w", spec, err)
	}
	if s, ok := sched.(*rcron.SpecSchedule); ok && s.Location != nil {
		loc = s.Location
	}
	return schedule{sched, loc}, nil
}

// schedule is a parsed expression with the zone it runs in.
type schedule struct {
	rcron.Schedule
	loc *time.Location
}

// Location returns the zone the expression's times are read in.
func (s schedule) Location() *time.Location { return s.loc }

var _ bot.CronParser = Parse

// parseStandard calls robfig's parser, turning a panic on odd input into an
// error: user text reaches it from chat.
func parseStandard(spec string) (s rcron.Schedule, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("cron expression %q: invalid", spec)
		}
	}()
	return rcron.ParseStandard(spec)
}
