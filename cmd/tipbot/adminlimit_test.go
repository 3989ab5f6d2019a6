package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAdminBackupThrottle is issue 23's admin endpoint: wrong tokens are
// answered 401 for a burst, then 429 with Retry-After for that address
// only — even with the right token, so guessing stops — until a try is
// due again; failures are logged, at most a line a minute with their
// count, never the token.
func TestAdminBackupThrottle(t *testing.T) {
	ops, _, _ := newOps(t)
	var mu sync.Mutex
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	ops.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var logs bytes.Buffer
	ops.log = slog.New(slog.NewTextHandler(&logs, nil))
	h := ops.handler()
	try := func(addr, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/admin/backup", nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const attacker, admin = "203.0.113.9:5555", "198.51.100.7:4444"
	for i := range adminBurst {
		if w := try(attacker, "guess"); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d", i+1, w.Code)
		}
	}
	for range 2000 {
		if w := try(attacker, "guess"); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Fatalf("beyond the burst: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
	}
	if w := try(attacker, "s3cret"); w.Code != http.StatusTooManyRequests {
		t.Errorf("the right token from a throttled address: %d, want 429", w.Code)
	}
	if w := try(admin, "s3cret"); w.Code != http.StatusOK {
		t.Errorf("another address with the right token: %d", w.Code)
	}
	advance(adminRefill)
	if w := try(attacker, "guess"); w.Code != http.StatusUnauthorized {
		t.Errorf("a try is due again after %v: %d", adminRefill, w.Code)
	}
	if w := try(attacker, "guess"); w.Code != http.StatusTooManyRequests {
		t.Errorf("and only one: %d", w.Code)
	}
	advance(adminBurst * adminRefill)
	if w := try(attacker, "s3cret"); w.Code != http.StatusOK {
		t.Errorf("the right token once the bucket refilled: %d", w.Code)
	}
	out := logs.String()
	if n := strings.Count(out, "failed admin attempt"); n < 1 || n > 2 {
		t.Errorf("%d log lines for the failed attempts, want 1 or 2 (a minute apart at most):\n%s", n, out)
	}
	if n := strings.Count(out, "refused after too many failures"); n != 1 {
		t.Errorf("%d log lines for the refused attempts, want 1:\n%s", n, out)
	}
	if strings.Contains(out, "guess") || strings.Contains(out, "s3cret") {
		t.Errorf("a token was logged:\n%s", out)
	}
	if !strings.Contains(out, "remote=203.0.113.9") {
		t.Errorf("the log does not name the address:\n%s", out)
	}
}
