package cron

import (
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A Friday 17:00 Paris schedule fires at 17:00 Paris time on both sides of
// the March and October daylight-saving changes; New York likewise.
func TestNextAcrossDST(t *testing.T) {
	paris, ny := mustLoad(t, "Europe/Paris"), mustLoad(t, "America/New_York")
	for _, tc := range []struct {
		spec  string
		loc   *time.Location
		after time.Time
		want  []time.Time
	}{
		{"CRON_TZ=Europe/Paris 0 17 * * FRI", time.UTC, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 20, 16, 0, 0, 0, time.UTC), // CET, UTC+1
			time.Date(2026, 3, 27, 16, 0, 0, 0, time.UTC),
			time.Date(2026, 4, 3, 15, 0, 0, 0, time.UTC), // CEST, UTC+2 (change on 29 March)
		}},
		{"0 17 * * FRI", paris, time.Date(2026, 10, 23, 0, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 10, 23, 15, 0, 0, 0, time.UTC), // CEST
			time.Date(2026, 10, 30, 16, 0, 0, 0, time.UTC), // CET (change on 25 October)
		}},
		{"CRON_TZ=America/New_York 30 9 * * MON", paris, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC), // EST
			time.Date(2026, 3, 9, 13, 30, 0, 0, time.UTC), // EDT (change on 8 March)
		}},
	} {
		s, err := Parse(tc.spec, tc.loc)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		at := tc.after
		for _, want := range tc.want {
			at = s.Next(at)
			if !at.Equal(want) {
				t.Errorf("%s: next = %v, want %v", tc.spec, at.UTC(), want)
			}
			if local := at.In(s.Location()); local.Hour() != want.In(s.Location()).Hour() {
				t.Errorf("%s: local hour %d", tc.spec, local.Hour())
			}
		}
	}
	if s, _ := Parse("0 9 * * *", ny); s.Location().String() != "America/New_York" {
		t.Errorf("default location = %v", s.Location())
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{"", "0 17 * *", "61 * * * *", "CRON_TZ=Mars/Olympus 0 17 * * FRI", "every friday",
		"CRON_TZ=Europe/Paris", "CRON_TZ=Europe/Paris ", "TZ=", "@every 1s", "@daily", "0 17 * * FRI *", "CRON_TZ= 0 17 * * FRI"} {
		if _, err := Parse(bad, time.UTC); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"0 17 * * FRI", "CRON_TZ=Europe/Paris 0 17 * * FRI", "CRON_TZ=Europe/Paris", "TZ=", "@every 1s", "*/0 * * * *", "0 0 31 2 *"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec, time.UTC)
		if err == nil {
			s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		}
	})
}

// Check gives configuration the reasons Parse refuses an expression, and
// refuses schedules that never fire.
func TestCheck(t *testing.T) {
	for _, ok := range []string{"0 9 1 * *", "CRON_TZ=Europe/Paris 0 17 * * FRI", "TZ=UTC */15 8-18 * * MON-FRI", "0 0 29 2 *"} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q) = %v", ok, err)
		}
	}
	for _, tc := range []struct{ spec, want string }{
		{"", "empty"},
		{"CRON_TZ=Europe/Paris", "nothing after the time zone"},
		{"CRON_TZ= 0 9 * * *", "empty; name a zone"},
		{"TZ=Local 0 9 * * *", `"Local" depends on the machine`},
		{"CRON_TZ=Mars/Base 0 9 * * *", `"Mars/Base" is not a time zone`},
		{"@monthly", "want five fields"},
		{"0 0 9 1 * *", "want five fields"},
		{"61 * * * *", "61"},
		{"0 0 30 2 *", "it never fires"},
	} {
		err := Check(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
		}
		if _, perr := Parse(tc.spec, time.UTC); perr == nil && tc.want != "it never fires" {
			t.Errorf("Parse(%q) accepted what Check refuses", tc.spec)
		}
	}
}

// Without a zone prefix the expression runs in the location given, not in
// the machine's local zone.
func TestParseUsesLocation(t *testing.T) {
	tokyo := mustLoad(t, "Asia/Tokyo")
	s, err := Parse("0 9 * * *", tokyo)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC); !got.Equal(want) { // 09:00 in Tokyo is 00:00 UTC
		t.Errorf("next = %v, want %v", got.UTC(), want)
	}
}
