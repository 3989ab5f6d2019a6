package bot

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPeriodKeyRelations checks IsMonthKey, ParentsOfMonth and MonthsOf
// against PeriodKey on every day of several years, and refuses near misses.
func TestPeriodKeyRelations(t *testing.T) {
	for day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() < 2028; day = day.AddDate(0, 0, 1) {
		month := PeriodKey(Month, day, time.UTC)
		quarter, year := PeriodKey(Quarter, day, time.UTC), PeriodKey(Year, day, time.UTC)
		if !IsMonthKey(month) || !strings.HasPrefix(month, MonthKeyPrefix) {
			t.Fatalf("IsMonthKey(%q) = false", month)
		}
		if q, y, ok := ParentsOfMonth(month); !ok || q != quarter || y != year {
			t.Fatalf("ParentsOfMonth(%q) = %q, %q, %v; want %q, %q", month, q, y, ok, quarter, year)
		}
		for _, parent := range []string{quarter, year} {
			if months, ok := MonthsOf(parent); !ok || !slices.Contains(months, month) {
				t.Fatalf("MonthsOf(%q) = %v, %v; want it to hold %q", parent, months, ok, month)
			}
		}
		for _, p := range []Period{Week, Quarter, Year, All} {
			if key := PeriodKey(p, day, time.UTC); IsMonthKey(key) || strings.HasPrefix(key, MonthKeyPrefix) {
				t.Fatalf("%s key %q reads as a month", p, key)
			}
		}
	}
	if got, _ := MonthsOf("q2026-2"); !slices.Equal(got, []string{"m2026-04", "m2026-05", "m2026-06"}) {
		t.Errorf(`MonthsOf("q2026-2") = %q`, got)
	}
	if got, _ := MonthsOf("y2026"); len(got) != 12 || got[0] != "m2026-01" || got[11] != "m2026-12" {
		t.Errorf(`MonthsOf("y2026") = %q`, got)
	}
	for _, p := range []string{"", "m", "m2026-13", "m2026-00", "m2026-1", "mabcd-01", "m2026_11", "x2026-11", "w2026-48", "y2026", "all"} {
		if IsMonthKey(p) {
			t.Errorf("IsMonthKey(%q) = true", p)
		}
		if q, y, ok := ParentsOfMonth(p); ok {
			t.Errorf("ParentsOfMonth(%q) = %q, %q", p, q, y)
		}
	}
	for _, p := range []string{"q2026-0", "q2026-5", "q2026", "qabcd-1", "y26", "yabcd", "y2026-1", "m2026-11", "custom", ""} {
		if months, ok := MonthsOf(p); ok {
			t.Errorf("MonthsOf(%q) = %v", p, months)
		}
	}
}
