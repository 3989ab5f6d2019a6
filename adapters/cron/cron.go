// Package cron adapts github.com/robfig/cron/v3's parser to the core's
// bot.CronParser port: it parses standard five-field expressions with an
// optional CRON_TZ=Area/City prefix and computes next run times. It is the
// one place tipbot parses cron: the scheduler uses Parse, configuration
// checks use Check. Scheduling itself (timers, catch-up of missed runs)
// stays in the core, where the clock is injected.
package cron

import (
	"errors"
	"fmt"
	"strings"
	"time"

	rcron "github.com/robfig/cron/v3"

	"github.com/tipbot/tipbot/bot"
)

// Parse parses spec. Without a CRON_TZ= (or TZ=) prefix the expression is
// read in loc (nil means UTC), never in the machine's local zone. It
// returns an error that quotes the expression when it is not valid.
func Parse(spec string, loc *time.Location) (bot.CronSchedule, error) {
	s, err := parse(spec, loc)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %w", strings.TrimSpace(spec), err)
	}
	return s, nil
}

var _ bot.CronParser = Parse

// Check reports why spec is not a schedule Parse accepts, or that it never
// fires; nil when it is fine. Its messages do not repeat the expression.
func Check(spec string) error {
	s, err := parse(spec, time.UTC)
	if err != nil {
		return err
	}
	// A fixed reference keeps checking independent of the clock; every
	// schedule that can fire does so within 5 years of any date.
	if s.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, s.loc)).IsZero() {
		return errors.New("it never fires")
	}
	return nil
}

// schedule is a parsed expression with the zone it runs in.
type schedule struct {
	rcron.Schedule
	loc *time.Location
}

// Location returns the zone the expression's times are read in.
func (s schedule) Location() *time.Location { return s.loc }

// parser reads the five standard fields only: descriptors such as
// "@every 1s" would let a schedule post prompts every second.
var parser = rcron.NewParser(rcron.Minute | rcron.Hour | rcron.Dom | rcron.Month | rcron.Dow)

func parse(spec string, loc *time.Location) (schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return schedule{}, errors.New("empty")
	}
	if loc == nil {
		loc = time.UTC
	}
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		tz, rest, ok := strings.Cut(spec, " ")
		if !ok {
			return schedule{}, errors.New("nothing after the time zone")
		}
		_, name, _ := strings.Cut(tz, "=")
		var err error
		if loc, err = LoadLocation(name); err != nil {
			return schedule{}, err
		}
		spec = strings.TrimSpace(rest)
	}
	if len(strings.Fields(spec)) != 5 || strings.HasPrefix(spec, "@") || strings.Contains(spec, "=") {
		return schedule{}, errors.New("want five fields (minute hour day-of-month month day-of-week)")
	}
	sched, err := parseFields(spec)
	if err != nil {
		return schedule{}, err
	}
	// Without a zone robfig reads the expression in time.Local: the
	// schedule runs in loc instead.
	if s, ok := sched.(*rcron.SpecSchedule); ok {
		s.Location = loc
	}
	return schedule{sched, loc}, nil
}

// parseFields calls robfig's parser, turning a panic on odd input into an
// error: user text reaches it from chat.
func parseFields(spec string) (s rcron.Schedule, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("unreadable: %v", p)
		}
	}()
	return parser.Parse(spec)
}

// LoadLocation loads a named zone for schedules and for the configuration's
// timezone. It refuses the machine's own zone ("Local") and "", so that a
// time means the same on every machine, and returns an error saying so or
// that the name is not a zone.
func LoadLocation(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errors.New("empty; name a zone such as Europe/Paris or UTC")
	case "Local":
		return nil, errors.New(`"Local" depends on the machine; name a zone such as Europe/Paris or UTC`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%s is not a time zone (such as Europe/Paris or UTC)", bot.QuoteValue(name))
	}
	return loc, nil
}
