package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// TestHealthzWhileCommitsFail is issue 23's "honest health": with an
// injected write error (a full disk), /healthz answers 503 with the reason
// as soon as the first commit has failed — before the failed Update even
// returns to its caller — and 200 after the next good commit;
// tipbot_store_commit_errors_total counts the failures.
func TestHealthzWhileCommitsFail(t *testing.T) {
	var full atomic.Bool
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{
		FailWrite: func() error {
			if full.Load() {
				return syscall.ENOSPC
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := newMetrics(db)
	ops := &opsServer{db: db, adapters: map[string]connector{}, metrics: m, log: slog.New(slog.DiscardHandler)}
	h := ops.handler()
	// The hook of serve: the metric and, for this test, /healthz read at
	// the moment of the failure, on the writer.
	var atFailure atomic.Int32
	db.OnCommitError(func(err error) {
		m.commitFailed(err)
		atFailure.Store(int32(get(t, h, "/healthz", "").Code))
	})
	ws := bot.Workspace{Platform: bot.Shell, ID: "local"}
	put := func(id bot.TipID) error {
		return db.Update(context.Background(), ws, func(tx bot.Tx) error {
			return tx.PutTip(bot.Tip{ID: id, Channel: "#general", MessageID: id.String(), AuthorID: "alice", Text: "x", Status: bot.StatusPublished})
		})
	}
	if err := put(1); err != nil {
		t.Fatal(err)
	}
	if w := get(t, h, "/healthz", ""); w.Code != http.StatusOK {
		t.Fatalf("before: %d %s", w.Code, w.Body)
	}
	full.Store(true)
	for id := bot.TipID(2); id <= 3; id++ {
		if err := put(id); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("commit on a full disk: %v", err)
		}
	}
	if got := atFailure.Load(); got != http.StatusServiceUnavailable {
		t.Errorf("/healthz at the first failed commit: %d, want 503", got)
	}
	w := get(t, h, "/healthz", "")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "store: writes are failing") ||
		!strings.Contains(w.Body.String(), "no space left on device") {
		t.Errorf("while commits fail: %d %q", w.Code, w.Body)
	}
	if got := metricValue(t, h, "tipbot_store_commit_errors_total"); got != 2 {
		t.Errorf("tipbot_store_commit_errors_total = %v, want 2", got)
	}
	full.Store(false)
	if err := put(4); err != nil {
		t.Fatal(err)
	}
	if w := get(t, h, "/healthz", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "store: ok") {
		t.Errorf("after a good commit: %d %q", w.Code, w.Body)
	}
}

// metricValue scrapes /metrics for one unlabelled metric's value.
func metricValue(t *testing.T, h http.Handler, name string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(get(t, h, "/metrics", "").Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}
