package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

type fakeConnector struct{ up atomic.Bool }

func (f *fakeConnector) Connected() bool { return f.up.Load() }

func newOps(t *testing.T) (*opsServer, *bot.Bot, *fakeConnector) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := newMetrics(db)
	b, err := bot.New(bot.Options{Platforms: platforms(), Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return time.Now().UTC() }, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	conn := &fakeConnector{}
	ops := &opsServer{db: db, adminToken: "s3cret", adapters: map[string]connector{"slack": conn}, metrics: m, log: slog.New(slog.DiscardHandler)}
	return ops, b, conn
}

func get(t *testing.T, h http.Handler, path, auth string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHealthz(t *testing.T) {
	ops, _, conn := newOps(t)
	h := ops.handler()
	if w := get(t, h, "/healthz", ""); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "slack: not connected") {
		t.Errorf("disconnected: %d %q", w.Code, w.Body)
	}
	conn.up.Store(true)
	if w := get(t, h, "/healthz", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "store: ok") {
		t.Errorf("connected: %d %q", w.Code, w.Body)
	}
	ops.db.Close()
	if w := get(t, h, "/healthz", ""); w.Code != http.StatusServiceUnavailable {
		t.Errorf("closed store: %d %q", w.Code, w.Body)
	}
}

func TestMetricsParse(t *testing.T) {
	ops, b, _ := newOps(t)
	ws := bot.Workspace{Platform: slackPlatform, ID: "T1"}
	ctx := context.Background()
	for i, ev := range []bot.Event{
		&bot.MessagePosted{EventMeta: bot.EventMeta{ID: "e1", Workspace: ws}, Channel: "C1", MessageID: "1.1", Author: bot.User{ID: "U1"}, Text: "tip: metrics"},
		&bot.ReactionAdded{EventMeta: bot.EventMeta{ID: "e2", Workspace: ws}, Channel: "C1", MessageID: "1.1", User: bot.User{ID: "U2"}, Emoji: "bulb"},
	} {
		if _, err := b.Handle(ctx, ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	ops.metrics.rateLimited(slackPlatform, 1500*time.Millisecond)
	ops.metrics.committed(3, 2*time.Millisecond)
	w := get(t, ops.handler(), "/metrics", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatalf("Prometheus text parser: %v", err)
	}
	for name, want := range map[string]float64{"tipbot_tips": 1, "tipbot_useful_votes": 1, "tipbot_rate_limit_waits_total": 1, "tipbot_rate_limit_wait_seconds_total": 1.5} {
		f, ok := families[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		m := f.GetMetric()[0]
		got := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	events := families["tipbot_events_total"]
	if events == nil || len(events.GetMetric()) != 2 {
		t.Fatalf("tipbot_events_total = %v", events)
	}
	for _, name := range []string{"tipbot_event_ack_seconds", "tipbot_store_commit_seconds", "tipbot_store_batch_size"} {
		if f := families[name]; f == nil || f.GetMetric()[0].GetHistogram().GetSampleCount() == 0 {
			t.Errorf("%s has no samples", name)
		}
	}
}

// A backup taken over HTTP while tipbot writes is a consistent database
// that passes bbolt's check and that tipbot report reads.
func TestAdminBackupUnderLoad(t *testing.T) {
	ops, b, _ := newOps(t)
	srv := httptest.NewServer(ops.handler())
	defer srv.Close()

	for _, auth := range []string{"", "Bearer wrong", "Basic s3cret", "s3cret"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/backup", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("auth %q: status %d", auth, resp.StatusCode)
		}
	}

	ws := bot.Workspace{Platform: bot.Shell, ID: "local"}
	// #general is public, as the shell says of its channels.
	if _, err := b.Handle(context.Background(), &bot.ChannelsUpdated{EventMeta: bot.EventMeta{Workspace: ws},
		Channels: []bot.Channel{{ID: "#general", Name: "general", Kind: bot.ChannelPublic}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				_, err := b.Handle(context.Background(), &bot.MessagePosted{EventMeta: bot.EventMeta{ID: fmt.Sprintf("w%d-%d", w, i), Workspace: ws},
					Channel: "#general", MessageID: fmt.Sprintf("%d-%d", w, i), Author: bot.User{ID: fmt.Sprintf("u%d", w)}, Text: fmt.Sprintf("tip: load %d #backup", i)})
				if err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
	}
	for written.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("reading the backup: %v", err)
	}
	if resp.StatusCode != http.StatusOK || len(data) == 0 {
		t.Fatalf("backup: status %d, %d bytes", resp.StatusCode, len(data))
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	copyDB, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := copyDB.Check(); err != nil {
		t.Errorf("backup check: %v", err)
	}
	copyDB.Close()

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"report", "-db", path, "-period", "all"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("tipbot report on the backup: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Tips captured:") || !strings.Contains(out.String(), "#backup") {
		t.Errorf("report of the backup:\n%s", out.String())
	}
}
