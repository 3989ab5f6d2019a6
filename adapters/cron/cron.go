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
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		spec = "CRON_TZ=" + loc.String() + " " + spec
	}
	sched, err := rcron.ParseStandard(spec)
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
