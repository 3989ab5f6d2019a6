package bot

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
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
		return monthKey(t.Year(), int(t.Month()))
	case Quarter:
		return quarterKey(t.Year(), (int(t.Month())-1)/3+1)
	case Year:
		return yearKey(t.Year())
	}
	return "all"
}

// MonthKeyPrefix starts every month key PeriodKey writes, and no other
// period's key: stores seek month boards with it.
const MonthKeyPrefix = "m"

func monthKey(year, month int) string     { return fmt.Sprintf(MonthKeyPrefix+"%04d-%02d", year, month) }
func quarterKey(year, quarter int) string { return fmt.Sprintf("q%04d-%d", year, quarter) }
func yearKey(year int) string             { return fmt.Sprintf("y%04d", year) }

// IsMonthKey reports whether key is a month's key as PeriodKey writes it
// ("m2026-11").
func IsMonthKey(key string) bool {
	_, _, ok := parseMonthKey(key)
	return ok
}

// ParentsOfMonth returns the keys of the quarter and the year that contain
// a month key: "m2026-11" gives "q2026-4" and "y2026". ok is false, and
// the keys "", when month is not a month key.
func ParentsOfMonth(month string) (quarter, year string, ok bool) {
	y, m, ok := parseMonthKey(month)
	if !ok {
		return "", "", false
	}
	return quarterKey(y, (m-1)/3+1), yearKey(y), true
}

// MonthsOf returns the keys of the months of a quarter key ("q2026-4":
// three months) or a year key ("y2026": twelve), in order. ok is false for
// any other key.
func MonthsOf(key string) (months []string, ok bool) {
	first, n := 0, 0
	y, rest := yearOf(key)
	switch {
	case y < 0:
		return nil, false
	case key[0] == 'q' && len(rest) == 2 && rest[0] == '-' && rest[1] >= '1' && rest[1] <= '4':
		first, n = 3*int(rest[1]-'1')+1, 3
	case key[0] == 'y' && rest == "":
		first, n = 1, 12
	default:
		return nil, false
	}
	for m := first; m < first+n; m++ {
		months = append(months, monthKey(y, m))
	}
	return months, true
}

// parseMonthKey returns the year and month (1 to 12) of a month key.
func parseMonthKey(key string) (year, month int, ok bool) {
	y, rest := yearOf(key)
	if y < 0 || key[0] != MonthKeyPrefix[0] || len(rest) != 3 || rest[0] != '-' || !isDigit(rest[1]) || !isDigit(rest[2]) {
		return 0, 0, false
	}
	m := int(rest[1]-'0')*10 + int(rest[2]-'0')
	if m < 1 || m > 12 {
		return 0, 0, false
	}
	return y, m, true
}

// yearOf reads the four-digit year after a key's one-letter kind and
// returns what follows it; year is -1 when there is none.
func yearOf(key string) (year int, rest string) {
	if len(key) < 5 {
		return -1, ""
	}
	for i := 1; i < 5; i++ {
		if !isDigit(key[i]) {
			return -1, ""
		}
		year = year*10 + int(key[i]-'0')
	}
	return year, key[5:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// PeriodKeys returns the keys of every period containing t, week first and
// "all" last: the leaderboards a tip created at t counts in.
func PeriodKeys(t time.Time, loc *time.Location) []string {
	keys, _ := periodDay(t, loc)
	return slices.Clone(keys)
}

// dayKeys are the period keys of one day in one location, remembered: an
// event needs them and they change once a day.
type dayKeys struct {
	loc        *time.Location
	year, yday int
	keys       []string // PeriodKeys; shared, never changed
	day        string   // keys joined by spaces
}

// lastDay is the day periodDay computed last.
var lastDay atomic.Pointer[dayKeys]

// periodDay returns PeriodKeys(t, loc), shared (the caller must not change
// it), and the keys joined by spaces (the day cache's value). Every
// period contains whole days of loc, so the keys depend on t's date only.
func periodDay(t time.Time, loc *time.Location) (keys []string, day string) {
	lt := t.In(loc)
	year, yday := lt.Year(), lt.YearDay()
	if d := lastDay.Load(); d != nil && d.loc == loc && d.year == year && d.yday == yday {
		return d.keys, d.day
	}
	keys = make([]string, len(Periods))
	for i, p := range Periods {
		keys[i] = PeriodKey(p, t, loc)
	}
	d := &dayKeys{loc: loc, year: year, yday: yday, keys: keys, day: strings.Join(keys, " ")}
	lastDay.Store(d)
	return d.keys, d.day
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
