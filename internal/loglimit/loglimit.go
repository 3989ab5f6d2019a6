// Package loglimit keeps floods (forged requests, refused tokens, a busy
// server) out of the log: one line per interval, which counts what
// happened since the previous line.
package loglimit

import (
	"sync"
	"time"
)

// Every allows one log line per Interval. The zero value allows a line
// each time; it is safe for concurrent use.
type Every struct {
	Interval time.Duration

	mu   sync.Mutex
	next time.Time // no line before then
	n    int       // occurrences not logged yet
}

// Count records one occurrence at now and reports whether a line is due,
// with the number of occurrences the line stands for (this one included);
// n is 0 when no line is due.
func (l *Every) Count(now time.Time) (n int, due bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if now.Before(l.next) {
		return 0, false
	}
	n, l.n = l.n, 0
	l.next = now.Add(l.Interval)
	return n, true
}
