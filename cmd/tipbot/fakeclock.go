package main

import (
	"fmt"
	"sync"
	"time"
)

// fakeNowEnv names the environment variable that starts tipbot's clock at
// another instant (RFC 3339), for tests and demonstrations of what happens
// days later (follow-ups). Never set in production: without it the clock
// is the system's.
const fakeNowEnv = "TIPBOT_FAKE_NOW"

// movableClock is a clock that starts at a chosen instant, runs at the
// system clock's pace, and moves forward when told (the shell's /advance).
type movableClock struct {
	mu     sync.Mutex
	start  time.Time // the chosen instant
	origin time.Time // the system time at start
	offset time.Duration
}

// newMovableClock parses the value of TIPBOT_FAKE_NOW.
func newMovableClock(value string) (*movableClock, error) {
	start, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return nil, fmt.Errorf("%s=%q is not an RFC 3339 time such as 2026-11-27T16:00:00Z: %w", fakeNowEnv, value, err)
	}
	return &movableClock{start: start.UTC(), origin: time.Now()}, nil
}

// now returns the clock's time.
func (c *movableClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Since(c.origin) + c.offset).UTC()
}

// advance moves the clock forward by d and returns its new time.
func (c *movableClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
	return c.now()
}
