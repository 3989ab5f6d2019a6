package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
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
// endpoint, the dashboard, health, metrics and backups.
type opsServer struct {
	db         *store.DB
	adminToken string
	adapters   map[string]connector // enabled adapters by name
	slack      http.Handler         // POST /slack/events, nil unless slack.mode is http
	slackOAuth http.Handler         // "Add to Slack" pages, nil unless slack.client_id is set
	dashboard  http.Handler         // the dashboard's pages under /dashboard/
	metrics    *metrics
	log        *slog.Logger
	admin      *adminThrottle
	now        func() time.Time // nil: time.Now
}

func (s *opsServer) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// handler routes the endpoints of SPEC's HTTP section.
func (s *opsServer) handler() http.Handler {
	if s.admin == nil {
		s.admin = newAdminThrottle()
	}
	mux := http.NewServeMux()
	if s.slack != nil {
		mux.Handle("POST /slack/events", s.slack)
	}
	if s.slackOAuth != nil {
		mux.Handle("GET /slack/install", s.slackOAuth)
		mux.Handle("GET /slack/oauth_redirect", s.slackOAuth)
	}
	if s.dashboard != nil {
		mux.Handle("/dashboard", s.dashboard)
		mux.Handle("/dashboard/", s.dashboard)
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /admin/backup", s.backup)
	return mux
}

// healthz answers 200 when the store is open, its last commit succeeded
// (a full disk or an I/O error fails commits while reads still work) and
// every enabled adapter is connected, else 503, with a line per part.
func (s *opsServer) healthz(w http.ResponseWriter, r *http.Request) {
	ok := true
	var b strings.Builder
	if _, err := s.db.Workspaces(r.Context()); err != nil {
		ok = false
		fmt.Fprintf(&b, "store: %v\n", err)
	} else if err := s.db.CommitError(); err != nil {
		ok = false
		fmt.Fprintf(&b, "store: writes are failing: %v\n", err)
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
		if n, ok := a.(interface{ HealthNote() string }); ok && n.HealthNote() != "" {
			fmt.Fprintf(&b, "%s: %s\n", name, n.HealthNote()) // degraded, still 200
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(b.String()))
}

// backup streams a consistent snapshot of the database to an admin.
// Failed attempts are throttled per client address (adminThrottle, 429)
// and logged at most once a minute, with their count.
func (s *opsServer) backup(w http.ResponseWriter, r *http.Request) {
	now, client := s.clock(), clientOf(r)
	if ok, retry := s.admin.allow(client, now); !ok {
		if n, due := s.admin.denied.Count(now); due {
			s.log.Warn("http: admin attempts refused after too many failures (429)", "remote", client, "count", n, "every", s.admin.denied.Interval)
		}
		tooMany(w, retry)
		return
	}
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if s.adminToken == "" || !found || subtle.ConstantTimeCompare([]byte(token), []byte(s.adminToken)) != 1 {
		s.admin.fail(client, now)
		if n, due := s.admin.failed.Count(now); due {
			s.log.Info("http: failed admin attempt (wrong or missing token)", "path", r.URL.Path, "remote", client, "count", n, "every", s.admin.failed.Interval)
		}
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

// httpLimits bounds each request the HTTP server reads and how many it
// serves at once (SPEC, Guarantees), so that slow or oversize clients
// cannot hold its connections or its memory.
type httpLimits struct {
	readHeader  time.Duration // to read a request's headers
	body        time.Duration // to read its body, from when its headers are read
	idle        time.Duration // a kept-alive connection waits this long for the next request
	maxHeader   int           // bytes of request line and headers
	maxBody     int64         // bytes of body; a larger one is answered 413
	maxInFlight int           // requests served at once; more are answered 503
	// bodyBudget bounds the body bytes that the requests in flight may
	// hold at once (their announced length, maxBody when not announced);
	// a request beyond it is answered 503 before its body is read.
	bodyBudget int64
}

// defaultHTTPLimits are tipbot's limits: Slack's requests are small and
// sent at once.
var defaultHTTPLimits = httpLimits{
	readHeader:  5 * time.Second,
	body:        10 * time.Second,
	idle:        60 * time.Second,
	maxHeader:   64 << 10,
	maxBody:     1 << 20,
	maxInFlight: 64,
	bodyBudget:  8 << 20,
}

// newHTTPServer returns a server of h within the limits l.
func newHTTPServer(h http.Handler, l httpLimits, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           limitRequests(h, l, log),
		ReadHeaderTimeout: l.readHeader,
		IdleTimeout:       l.idle,
		MaxHeaderBytes:    l.maxHeader,
	}
}

// limitRequests wraps h: beyond l.maxInFlight requests or l.bodyBudget
// bytes of body at once the next requests get 503 with Retry-After; a body
// must be read within l.body and be at most l.maxBody bytes (413 beyond,
// before it is read when its length is announced).
func limitRequests(h http.Handler, l httpLimits, log *slog.Logger) http.Handler {
	inFlight := make(chan struct{}, l.maxInFlight)
	bodies := &budget{left: l.bodyBudget}
	busy := &bot.LogEvery{Interval: time.Minute}
	tooBusy := func(w http.ResponseWriter, what string) {
		if n, due := busy.Count(time.Now()); due {
			log.Warn("http: too many requests at once; answered 503", "over", what, "count", n, "every", busy.Interval)
		}
		w.Header().Set("Retry-After", "1")
		refuse(w, "too many requests at once, try again", http.StatusServiceUnavailable)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hasBody := r.Body != nil && r.Body != http.NoBody
		if hasBody {
			// Also bounds what the server reads of a body the handler
			// left unread.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(l.body))
		}
		select {
		case inFlight <- struct{}{}:
			defer func() { <-inFlight }()
		default:
			tooBusy(w, fmt.Sprintf("%d requests in flight", l.maxInFlight))
			return
		}
		if hasBody {
			if r.ContentLength > l.maxBody {
				refuse(w, fmt.Sprintf("request body over %d bytes", l.maxBody), http.StatusRequestEntityTooLarge)
				return
			}
			size := r.ContentLength
			if size < 0 {
				size = l.maxBody
			}
			if !bodies.take(size) {
				tooBusy(w, fmt.Sprintf("%d bytes of bodies in flight", l.bodyBudget))
				return
			}
			defer bodies.give(size)
			r.Body = &bodyDeadline{ReadCloser: http.MaxBytesReader(w, r.Body, l.maxBody), rc: http.NewResponseController(w)}
		}
		h.ServeHTTP(w, r)
	})
}

// refuse answers a request without reading its body, and closes its
// connection at once rather than wait for that body.
func refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	http.Error(w, msg, code)
}

// bodyDeadline lifts a request's read deadline once its body is read, so
// that a handler still at work after the deadline keeps its context (the
// server watches the connection for a close once the body is read).
type bodyDeadline struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *bodyDeadline) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// budget is a count of bytes that requests take and give back.
type budget struct {
	mu   sync.Mutex
	left int64
}

// take reserves n bytes, or reports false when fewer are left.
func (b *budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

// give returns n bytes taken.
func (b *budget) give(n int64) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}

// serveHTTP listens on addr until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	srv := newHTTPServer(h, defaultHTTPLimits, log)
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
