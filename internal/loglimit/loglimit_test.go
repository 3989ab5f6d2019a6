package loglimit

import (
	"testing"
	"time"
)

// One line a minute: the first occurrence is logged at once, the next
// ones wait for the minute and are counted in the line that ends it.
func TestEvery(t *testing.T) {
	l := Every{Interval: time.Minute}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, step := range []struct {
		at  time.Duration
		n   int
		due bool
	}{
		{0, 1, true},
		{time.Second, 0, false},
		{30 * time.Second, 0, false},
		{59 * time.Second, 0, false},
		{time.Minute, 4, true},
		{time.Minute + time.Second, 0, false},
		{3 * time.Minute, 2, true}, // the one at +1m1s and this one
	} {
		if n, due := l.Count(t0.Add(step.at)); n != step.n || due != step.due {
			t.Errorf("count %d at +%v = %d, %v; want %d, %v", i, step.at, n, due, step.n, step.due)
		}
	}
}
