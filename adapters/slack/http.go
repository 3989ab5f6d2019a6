package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// maxBody bounds the requests HTTPHandler reads; Slack's are far smaller.
const maxBody = 1 << 20

// maxSkew is how far a request's timestamp may be from the clock: older
// (or newer) requests are refused, so a captured request cannot be replayed.
const maxSkew = 5 * time.Minute

// HTTPHandler returns the handler of POST /slack/events, the one request
// URL of http mode for the Events API, slash commands and interactivity.
// Every request must carry a valid Slack signature made within five
// minutes of the adapter's clock, else it gets 401 and changes nothing: a
// request without the signature headers or with a stale timestamp is
// refused before its body is read, and one whose signature does not match
// is dropped as soon as it is read. Refusals are logged at most once a
// minute, with their count and never their body. Bodies over 1 MB get 413.
func (a *Adapter) HTTPHandler() http.Handler {
	secret := []byte(a.cfg.SigningSecret)
	return &httpHandler{a: a, refusals: bot.LogEvery{Interval: time.Minute},
		large: sync.Pool{New: func() any { return new([maxBody]byte) }},
		macs:  sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }}}
}

// httpHandler serves POST /slack/events for an Adapter.
type httpHandler struct {
	a        *Adapter
	refusals bot.LogEvery // a flood of forged requests logs one line a minute
	// large recycles the buffers of large bodies that failed their
	// signature, cleared, so that a flood of forged requests makes no
	// garbage; a signed body is never recycled, its events may keep it.
	large sync.Pool
	// macs recycles the HMACs keyed with the signing secret: keying one
	// costs two SHA-256 blocks and a few allocations, Reset neither.
	macs sync.Pool
}

// largeBody is the size from which a body is read into a recycled buffer.
const largeBody = 64 << 10

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := h.a
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	timestamp, signature := r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature")
	if err := checkSignatureHeaders(timestamp, signature, a.now()); err != nil {
		h.refuse(w, r, err)
		return
	}
	if r.ContentLength > maxBody {
		closeAfter(w)
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	var buf *[maxBody]byte
	var body []byte
	var err error
	if r.ContentLength >= largeBody {
		buf = h.large.Get().(*[maxBody]byte)
		body = buf[:r.ContentLength]
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = readBody(r.Body, r.ContentLength)
	}
	if err != nil {
		if buf != nil {
			h.recycle(buf, body)
		}
		closeAfter(w)
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok || errors.Is(err, errTooLarge) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		a.log.Debug("slack: cannot read a request", "remote", r.RemoteAddr, "err", err)
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			http.Error(w, "request body too slow", http.StatusRequestTimeout)
			return
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	if err := h.checkSignature(timestamp, signature, body); err != nil {
		// Nothing of a forged request is kept.
		if buf != nil {
			h.recycle(buf, body)
		}
		h.refuse(w, r, err)
		return
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/json" {
		a.serveHTTPEvent(w, r, body)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		a.log.Warn("slack: malformed form request", "err", err)
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	switch {
	case form.Has("payload"):
		a.serveHTTPInteraction(w, form.Get("payload"))
	case form.Has("command"):
		a.serveHTTPCommand(w, form)
	default:
		a.log.Info("slack: ignoring request of unknown kind", "content_type", mediaType)
		w.WriteHeader(http.StatusOK)
	}
}

// recycle clears what a refused request left in buf and keeps buf for
// the next large body.
func (h *httpHandler) recycle(buf *[maxBody]byte, used []byte) {
	clear(used)
	h.large.Put(buf)
}

// refuse answers 401 to a request without a valid signature and closes its
// connection.
func (h *httpHandler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	closeAfter(w)
	http.Error(w, "invalid signature", http.StatusUnauthorized)
	if n, due := h.refusals.Count(h.a.now()); due {
		h.a.log.Warn("slack: refused requests with a missing, bad or stale signature", "count", n,
			"every", h.refusals.Interval, "remote", r.RemoteAddr, "err", err)
	}
}

// closeAfter asks the server to close the connection after the answer,
// rather than wait for what is left of the request.
func closeAfter(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}

var errTooLarge = errors.New("request body over 1 MB")

// readBody reads a request body of at most maxBody bytes. When the client
// announced its size, the buffer is allocated once at that size.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size >= 0 && size <= maxBody {
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, errTooLarge
	}
	return body, nil
}

func (a *Adapter) serveHTTPEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	uninstall := make(chan bool, 1)
	if a.uninstallEvent(body, func(ok bool) { uninstall <- ok }) {
		ackEvent(w, <-uninstall)
		return
	}
	if env, ok := readEnvelope(body); ok {
		// Most requests: an event, read once.
		a.logRedelivery(r, env.EventID)
		ev, err := env.translate()
		done := make(chan bool, 1)
		a.serveTranslated(ev, err, func(ok bool) { done <- ok })
		ackEvent(w, <-done)
		return
	}
	var outer outerEvent
	if err := json.Unmarshal(body, &outer); err != nil {
		a.log.Warn("slack: malformed event request", "err", err)
		http.Error(w, "malformed json", http.StatusBadRequest)
		return
	}
	switch outer.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, outer.Challenge)
		return
	case "event_callback":
	default:
		a.log.Info("slack: ignoring events api request", "type", outer.Type)
		w.WriteHeader(http.StatusOK)
		return
	}
	a.logRedelivery(r, outer.EventID)
	done := make(chan bool, 1)
	a.serveEvent(body, func(ok bool) { done <- ok })
	ackEvent(w, <-done)
}

// logRedelivery notes an event Slack delivers again.
func (a *Adapter) logRedelivery(r *http.Request, eventID string) {
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		a.log.Debug("slack: event delivered again", "event", eventID, "attempt", n,
			"reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
}

// ackEvent answers an event's request once the core is done with it:
// 200 when committed (or nothing to commit), else 503.
func ackEvent(w http.ResponseWriter, ok bool) {
	if ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	// Not committed: a non-200 answer makes Slack try again.
	http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
}

func (a *Adapter) serveHTTPCommand(w http.ResponseWriter, form url.Values) {
	cmd := slackapi.SlashCommand{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
		APIAppID:    form.Get("api_app_id"),
	}
	ev, err := translateCommand(cmd, form.Get("user_team"))
	if err != nil {
		a.log.Warn("slack: ignoring malformed command", "err", err)
		http.Error(w, "malformed command", http.StatusBadRequest)
		return
	}
	a.answer(ev, cmd.ResponseURL, true, func(p *slackapi.WebhookMessage) { writeAck(w, p) })
}

func (a *Adapter) serveHTTPInteraction(w http.ResponseWriter, payload string) {
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		a.log.Warn("slack: malformed interaction", "err", err)
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	ev, err := translateInteraction(cb)
	if err != nil || ev == nil {
		if err != nil {
			a.log.Warn("slack: ignoring malformed interaction", "err", err)
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	a.answer(ev, cb.ResponseURL, false, func(*slackapi.WebhookMessage) { w.WriteHeader(http.StatusOK) })
}

func writeAck(w http.ResponseWriter, p *slackapi.WebhookMessage) {
	if p == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}

// Signature errors.
var (
	errNoSignature  = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errStale        = errors.New("request timestamp more than 5 minutes from now")
	errBadSignature = errors.New("signature does not match")
)

// verifySignature checks Slack's request signature: "v0=" and the hex
// HMAC-SHA256, keyed with the signing secret, of "v0:timestamp:body".
// The timestamp (Unix seconds) must be within five minutes of now.
func verifySignature(secret, timestamp, signature string, body []byte, now time.Time) error {
	if err := checkSignatureHeaders(timestamp, signature, now); err != nil {
		return err
	}
	return checkSignatureBody(secret, timestamp, signature, body)
}

// checkSignatureHeaders is the part of verifySignature that needs no body:
// both headers present, the timestamp within five minutes of now.
func checkSignatureHeaders(timestamp, signature string, now time.Time) error {
	if timestamp == "" || signature == "" {
		return errNoSignature
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", timestamp, errBadSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return errStale
	}
	return nil
}

// checkSignature is checkSignatureBody with an HMAC from the handler's
// pool.
func (h *httpHandler) checkSignature(timestamp, signature string, body []byte) error {
	mac := h.macs.Get().(hash.Hash)
	defer func() {
		mac.Reset()
		h.macs.Put(mac)
	}()
	var prefix [32]byte
	mac.Write(append(append(append(prefix[:0], "v0:"...), timestamp...), ':'))
	mac.Write(body)
	var sum [sha256.Size]byte
	var want [len("v0=") + 2*sha256.Size]byte
	copy(want[:], "v0=")
	hex.Encode(want[len("v0="):], mac.Sum(sum[:0]))
	if !hmac.Equal([]byte(signature), want[:]) {
		return errBadSignature
	}
	return nil
}

// checkSignatureBody is the rest of verifySignature: the HMAC of the body.
func checkSignatureBody(secret, timestamp, signature string, body []byte) error {
	if !hmac.Equal([]byte(signature), []byte(sign(secret, timestamp, body))) {
		return errBadSignature
	}
	return nil
}

// sign returns Slack's v0 signature of a request body.
func sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// postResponse sends a message to an interaction's response_url. Only
// Slack's https hosts and the configured API host are trusted with it.
func (a *Adapter) postResponse(ctx context.Context, responseURL string, p *slackapi.WebhookMessage) error {
	if !a.trustedURL(responseURL) {
		return errors.New("slack: response_url is not a Slack URL")
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("slack: response: %w", err)
	}
	return a.call(ctx, "response_url", "", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := a.hooks.Do(req)
		if err != nil {
			// The URL is a credential for 30 minutes: keep it out of logs.
			if ue, ok := errors.AsType[*url.Error](err); ok {
				return fmt.Errorf("slack: response_url: %w", ue.Err)
			}
			return err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		switch {
		case res.StatusCode == http.StatusTooManyRequests:
			d, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			return &slackapi.RateLimitedError{RetryAfter: time.Duration(max(d, 1)) * time.Second}
		case res.StatusCode != http.StatusOK:
			return slackapi.StatusCodeError{Code: res.StatusCode, Status: res.Status}
		}
		return nil
	})
}

func (a *Adapter) trustedURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "https" && (host == "slack.com" || strings.HasSuffix(host, ".slack.com") ||
		host == "slack-gov.com" || strings.HasSuffix(host, ".slack-gov.com")) {
		return true
	}
	api, err := url.Parse(a.cfg.APIURL)
	return err == nil && u.Scheme == api.Scheme && strings.EqualFold(u.Host, api.Host)
}
