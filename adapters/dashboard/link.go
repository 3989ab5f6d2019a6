package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// KeySize is the size in bytes of the key that signs links and sessions.
const KeySize = 32

// LinkTTL is how long a dashboard link may be exchanged for a session.
const LinkTTL = 15 * time.Minute

// SessionTTL is how long a dashboard session lasts.
const SessionTTL = 8 * time.Hour

// KeyPath returns the key file of a database: beside it, so that the
// running bot (which locks the database) and `tipbot dashboard-link`
// (which only signs) share it.
func KeyPath(dbPath string) string { return dbPath + ".dashboard-key" }

// LoadKey reads the signing key at path, creating it (KeySize random
// bytes, mode 0600) when it does not exist yet. Two processes creating it
// at once agree on one key: it is written to a temporary file, then linked
// to path, which fails when path exists (the other process won).
func LoadKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		key, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("dashboard: read key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("dashboard: key %s holds %d bytes, want %d: delete it to make a new one (links given so far stop working)", path, len(key), KeySize)
	}
	return key, nil
}

// createKey writes a new key to path; fs.ErrExist when path exists.
func createKey(path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("dashboard: new key: %w", err)
	}
	return nil
}

// claims are what a link or a session cookie carries, signed.
type claims struct {
	Workspace string   `json:"w"` // workspace key
	Person    string   `json:"p"` // who the link was made for ("" = the operator, from the command line)
	Role      bot.Role `json:"r"`
	Expires   int64    `json:"e"` // Unix seconds
	Nonce     string   `json:"n"` // random: a link's single use, a session's CSRF token
}

// What a signature is for: a link cannot pass for a session cookie.
const (
	purposeLink    = "link"
	purposeSession = "session"
	purposeCSRF    = "csrf"
)

// signer signs and checks claims with the key.
type signer struct{ key []byte }

func (s signer) mac(purpose, payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + payload))
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// sign returns the token of c for a purpose: payload "." signature.
func (s signer) sign(purpose string, c claims) (string, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("dashboard: encode claims: %w", err)
	}
	payload := b64.EncodeToString(raw)
	return payload + "." + b64.EncodeToString(s.mac(purpose, payload)), nil
}

// Why a token is refused.
var (
	errBadToken = errors.New("not a valid dashboard token")
	errExpired  = errors.New("expired")
)

// verify checks a token's signature and expiry at now and returns its claims.
func (s signer) verify(purpose, token string, now time.Time) (claims, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return claims{}, errBadToken
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(purpose, payload)) {
		return claims{}, errBadToken
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return claims{}, errBadToken
	}
	var c claims
	if err := json.Unmarshal(raw, &c); err != nil || c.Nonce == "" || c.Workspace == "" {
		return claims{}, errBadToken
	}
	if !now.Before(time.Unix(c.Expires, 0)) {
		return c, errExpired
	}
	return c, nil
}

// csrf returns the CSRF token of a session: bound to it, never stored.
func (s signer) csrf(session claims) string {
	return b64.EncodeToString(s.mac(purposeCSRF, session.Workspace+"\x00"+session.Nonce))
}

func nonce() (string, error) {
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return "", fmt.Errorf("dashboard: nonce: %w", err)
	}
	return b64.EncodeToString(n), nil
}

// Linker makes personal dashboard links: it only signs, so the command
// line can make one while tipbot runs. It implements bot.DashboardLinker.
type Linker struct {
	Key     []byte
	BaseURL string           // e.g. http.public_url, or http://localhost:PORT
	Now     func() time.Time // the bot's clock
}

// LinkPath is the path a link opens; its token is the t parameter.
const LinkPath = "/dashboard/login"

// DashboardLink returns a link, valid LinkTTL and once, that opens a
// dashboard session of the workspace for the person with that role.
func (l Linker) DashboardLink(ws bot.Workspace, person string, role bot.Role) (string, time.Time, error) {
	n, err := nonce()
	if err != nil {
		return "", time.Time{}, err
	}
	expires := l.Now().Add(LinkTTL).Truncate(time.Second)
	token, err := signer{l.Key}.sign(purposeLink, claims{Workspace: ws.Key(), Person: person, Role: role, Expires: expires.Unix(), Nonce: n})
	if err != nil {
		return "", time.Time{}, err
	}
	return strings.TrimSuffix(l.BaseURL, "/") + LinkPath + "?t=" + token, expires, nil
}

var _ bot.DashboardLinker = Linker{}
