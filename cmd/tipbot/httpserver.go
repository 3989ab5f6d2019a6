package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// connector is an adapter whose connection /healthz reports.
type connector interface {
	Connected() bool
}

// opsServer is the HTTP side of tipbot (http.addr): Slack's HTTP-mode
// endpoint, health, metrics and backups.
type opsServer struct {
	db         *store.DB
	adminToken string
	adapters   map[string]connector // enabled adapters by name
	slack      http.Handler         // POST /slack/events, nil unless slack.mode is http
	slackOAuth http.Handler         // "Add to Slack" pages, nil unless slack.client_id is set
	metrics    *metrics
	log        *slog.Logger
}

// handler routes the endpoints of SPEC's HTTP section.
func (s *opsServer) handler() http.Handler {
	mux := http.NewServeMux()
	if s.slack != nil {
		mux.Handle("POST /slack/events", s.slack)
	}
	if s.slackOAuth != nil {
		mux.Handle("GET /slack/install", s.slackOAuth)
		mux.Handle("GET /slack/oauth_redirect", s.slackOAuth)
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /admin/backup", s.backup)
	return mux
}

// healthz answers 200 when the store is open and every enabled adapter is
// connected, else 503, with a line per part.
func (s *opsServer) healthz(w http.ResponseWriter, r *http.Request) {
	ok := true
	var b strings.Builder
	if _, err := s.db.Workspaces(r.Context()); err != nil {
		ok = false
		fmt.Fprintf(&b, "store: %v\n", err)
	} else {
		b.WriteString("store: ok\n")
	}
	for name, a := range s.adapters {
		if a.Connected() {
			fmt.Fprintf(&b, "%s: connected\n", name)
		} else {
			ok = false
			fmt.Fprintf(&b, "%s: not connected\n", name)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}

// backup streams a consistent snapshot of the database to an admin.
func (s *opsServer) backup(w http.ResponseWriter, r *http.Request) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if s.adminToken == "" || !found || subtle.ConstantTimeCompare([]byte(token), []byte(s.adminToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tipbot"`)
		http.Error(w, "unauthorized: send Authorization: Bearer <http.admin_token>", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tipbot-%s.db"`, time.Now().UTC().Format("20060102-150405")))
	n, err := s.db.Backup(w)
	if err != nil {
		s.log.Error("backup over http failed", "bytes", n, "err", err)
		return
	}
	s.log.Info("backup sent over http", "bytes", n, "remote", r.RemoteAddr)
}

// serveHTTP listens on addr until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("http listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	return nil
}

var _ bot.Metrics = (*metrics)(nil)
