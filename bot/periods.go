package bot

import (
	"fmt"
	"time"
)

// Period names a leaderboard and report window.
type Period string

// The periods users can ask for.
const (
	Week    Period = "week"
	Month   Period = "month"
	Quarter Period = "quarter"
	Year    Period = "year"
	All     Period = "all"
)

// Periods lists the periods in increasing length.
var Periods = []Period{Week, Month, Quarter, Year, All}

// ParsePeriod accepts the English and French names of a period.
func ParsePeriod(s string) (Period, bool) {
	switch s {
	case "week", "semaine":
		return Week, true
	case "month", "mois":
		return Month, true
	case "quarter", "trimestre":
		return Quarter, true
	case "year", "annee", "année", "an":
		return Year, true
	case "all", "tout":
		return All, true
	}
	return "", false
}

// PeriodKey returns the storage key of the calendar period of kind p that
// contains t in loc: "w2026-48" (ISO week), "m2026-11", "q2026-4", "y2026"
// or "all".
func PeriodKey(p Period, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	switch p {
	case Week:
		y, w := t.ISOWeek()
		return fmt.Sprintf("w%04d-%02d", y, w)
	case Month:
		return fmt.Sprintf("m%04d-%02d", t.Year(), int(t.Month()))
	case Quarter:
		return fmt.Sprintf("q%04d-%d", t.Year(), (int(t.Month())-1)/3+1)
	case Year:
		return fmt.Sprintf("y%04d", t.Year())
	}
	return "all"
}

// PeriodKeys returns the keys of every period containing t, week first and
// "all" last: the leaderboards a tip created at t counts in.
func PeriodKeys(t time.Time, loc *time.Location) []string {
	keys := make([]string, len(Periods))
	for i, p := range Periods {
		keys[i] = PeriodKey(p, t, loc)
	}
	return keys
}

// PeriodStart returns the first instant of the period of kind p containing
// t, in loc. For All it returns the zero time.
func PeriodStart(p Period, t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	switch p {
	case Week:
		wd := (int(day.Weekday()) + 6) % 7 // Monday = 0
		return day.AddDate(0, 0, -wd)
	case Month:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	case Quarter:
		m := time.Month((int(t.Month())-1)/3*3 + 1)
		return time.Date(t.Year(), m, 1, 0, 0, 0, 0, loc)
	case Year:
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

// PreviousPeriodStart returns the start of the period before the one
// starting at start.
func PreviousPeriodStart(p Period, start time.Time) time.Time {
	switch p {
	case Week:
		return start.AddDate(0, 0, -7)
	case Month:
		return start.AddDate(0, -1, 0)
	case Quarter:
		return start.AddDate(0, -3, 0)
	case Year:
		return start.AddDate(-1, 0, 0)
	}
	return time.Time{}
}
