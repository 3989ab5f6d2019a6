package main

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tipbot/tipbot/internal/loglimit"
)

// Failed admin attempts a client address may make: a burst of adminBurst,
// then one per adminRefill; beyond that every request of that address to
// an admin endpoint is answered 429 until a try is due again.
const (
	adminBurst  = 5
	adminRefill = 10 * time.Second
	// adminClients bounds the addresses remembered; past it, those whose
	// bucket is full again are forgotten.
	adminClients = 4096
)

// adminThrottle is a token bucket of failed attempts per client address.
type adminThrottle struct {
	mu      sync.Mutex
	clients map[string]*tokens
	denied  loglimit.Every // refused attempts, logged at most once a minute
	failed  loglimit.Every // wrong tokens, logged at most once a minute
}

type tokens struct {
	left float64
	at   time.Time
}

func newAdminThrottle() *adminThrottle {
	return &adminThrottle{clients: map[string]*tokens{}, denied: loglimit.Every{Interval: time.Minute}, failed: loglimit.Every{Interval: time.Minute}}
}

// clientOf is the address of the client that sent r (without the port;
// tipbot does not trust forwarding headers).
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// refill brings a bucket to now.
func (tk *tokens) refill(now time.Time) {
	tk.left = min(adminBurst, tk.left+float64(now.Sub(tk.at))/float64(adminRefill))
	tk.at = now
}

// allow reports whether the client may try now, and if not, when it may.
func (a *adminThrottle) allow(client string, now time.Time) (ok bool, retry time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tk := a.clients[client]
	if tk == nil {
		return true, 0
	}
	tk.refill(now)
	if tk.left >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tk.left) * float64(adminRefill))
}

// fail takes a token from the client for a failed attempt.
func (a *adminThrottle) fail(client string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tk := a.clients[client]
	if tk == nil {
		if len(a.clients) >= adminClients {
			for c, t := range a.clients {
				if t.refill(now); t.left >= adminBurst {
					delete(a.clients, c)
				}
			}
		}
		tk = &tokens{left: adminBurst, at: now}
		a.clients[client] = tk
	}
	tk.refill(now)
	tk.left = max(0, tk.left-1)
}

// tooMany answers 429 with the seconds to wait.
func tooMany(w http.ResponseWriter, retry time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	http.Error(w, "too many failed attempts from this address; try again later", http.StatusTooManyRequests)
}
