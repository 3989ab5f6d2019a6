package slack

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// "Add to Slack" (OAuth v2). GET /slack/install serves a page whose link
// opens Slack's authorize page with the app's client id, the manifest's bot
// scopes, the redirect URL and a state; Slack sends the person back to GET
// /slack/oauth_redirect with a code and that state. The state is signed
// with a key drawn at start, valid stateTTL, good for one use and bound to
// the browser that opened the install page (a cookie holds it), so a
// forged, old, replayed or planted redirect is refused before anything is
// asked of Slack. The code is exchanged with oauth.v2.access for the workspace's bot
// token, kept in the store (Config.Installations); the workspace is served
// from then on. Tokens are never logged.

// BotScopes are the bot scopes tipbot asks for, as in manifest.yaml.
var BotScopes = []string{"channels:history", "channels:read", "chat:write", "chat:write.public", "commands", "files:write",
	"groups:history", "groups:read", "im:write", "reactions:read", "reactions:write", "users:read"}

// stateTTL is how long an install link stays valid.
const stateTTL = 10 * time.Minute

// stateCookie holds the state in the browser that asked for the link.
const stateCookie = "tipbot_slack_install"

// The paths of the OAuth endpoints.
const (
	InstallPath  = "/slack/install"
	RedirectPath = "/slack/oauth_redirect"
)

// states signs install states and remembers those used until they expire.
type states struct {
	key  []byte
	mu   sync.Mutex
	used map[string]time.Time // nonce → expiry
}

func newStates() *states {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return &states{key: key, used: map[string]time.Time{}}
}

func (s *states) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(payload)
	return m.Sum(nil)
}

// issue returns a new state valid until now+stateTTL.
func (s *states) issue(now time.Time) string {
	payload := make([]byte, 24)
	_, _ = rand.Read(payload[:16])
	binary.BigEndian.PutUint64(payload[16:], uint64(now.Add(stateTTL).Unix()))
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(s.sign(payload))
}

// consume checks a state and uses it up: "" when it is good, else why not.
func (s *states) consume(state string, now time.Time) string {
	enc := base64.RawURLEncoding
	p, sig, ok := strings.Cut(state, ".")
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil || len(payload) != 24 || !hmac.Equal(mac, s.sign(payload)) {
		return "forged"
	}
	expiry := time.Unix(int64(binary.BigEndian.Uint64(payload[16:])), 0)
	if !now.Before(expiry) {
		return "expired"
	}
	nonce := string(payload[:16])
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, exp := range s.used {
		if !now.Before(exp) {
			delete(s.used, n)
		}
	}
	if _, used := s.used[nonce]; used {
		return "used"
	}
	s.used[nonce] = expiry
	return ""
}

// redirectURL is where Slack sends people back after they approve.
func (a *Adapter) redirectURL() string {
	return strings.TrimSuffix(a.cfg.PublicURL, "/") + RedirectPath
}

// authorizeURL is Slack's authorize page, next to the Web API
// (https://slack.com/oauth/v2/authorize for https://slack.com/api/).
func (a *Adapter) authorizeURL(state string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(a.cfg.APIURL, "/"), "/api") + "/oauth/v2/authorize"
	q := url.Values{
		"client_id":    {a.cfg.ClientID},
		"scope":        {strings.Join(BotScopes, ",")},
		"redirect_uri": {a.redirectURL()},
		"state":        {state},
	}
	return base + "?" + q.Encode()
}

// OAuthHandler serves GET /slack/install and GET /slack/oauth_redirect,
// or is nil when ClientID is not set.
func (a *Adapter) OAuthHandler() http.Handler {
	if a.cfg.ClientID == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+InstallPath, a.serveInstall)
	mux.HandleFunc("GET "+RedirectPath, a.serveRedirect)
	return mux
}

func (a *Adapter) serveInstall(w http.ResponseWriter, r *http.Request) {
	t := oauthCatalog[a.cfg.Locale]
	state := a.states.issue(a.now())
	link := a.authorizeURL(state)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/slack/", MaxAge: int(stateTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(a.cfg.PublicURL, "https://")})
	page(w, http.StatusOK, t.installTitle, t.installBody+
		`<p><a id="add-to-slack" href="`+html.EscapeString(link)+`">`+html.EscapeString(t.addToSlack)+`</a></p>`)
}

func (a *Adapter) serveRedirect(w http.ResponseWriter, r *http.Request) {
	t := oauthCatalog[a.cfg.Locale]
	q := r.URL.Query()
	why := "not from the browser that opened the install page"
	if c, err := r.Cookie(stateCookie); err == nil && c.Value == q.Get("state") {
		why = a.states.consume(q.Get("state"), a.now())
	}
	if why != "" {
		a.log.Warn("slack: install redirect refused", "state", why, "remote", r.RemoteAddr)
		page(w, http.StatusForbidden, t.failedTitle, t.badState)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/slack/", MaxAge: -1, HttpOnly: true}) // used up
	if e := q.Get("error"); e != "" {
		page(w, http.StatusBadRequest, t.failedTitle, fmt.Sprintf(t.cancelled, html.EscapeString(e)))
		return
	}
	code := q.Get("code")
	if code == "" {
		page(w, http.StatusBadRequest, t.failedTitle, t.badState)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	res, err := slackapi.GetOAuthV2ResponseContext(ctx, a.httpClient, a.cfg.ClientID, a.cfg.ClientSecret, code,
		a.redirectURL(), slackapi.OAuthOptionAPIURL(a.cfg.APIURL))
	if err != nil {
		a.log.Warn("slack: oauth.v2.access failed", "err", err)
		page(w, http.StatusBadGateway, t.failedTitle, fmt.Sprintf(t.refused, html.EscapeString(err.Error())))
		return
	}
	if res.IsEnterpriseInstall || res.Team.ID == "" {
		a.log.Warn("slack: an Enterprise Grid organisation-wide install was refused: not supported yet",
			"enterprise", res.Enterprise.ID)
		page(w, http.StatusNotImplemented, t.failedTitle, t.enterprise)
		return
	}
	if res.AccessToken == "" || res.BotUserID == "" {
		page(w, http.StatusBadGateway, t.failedTitle, fmt.Sprintf(t.refused, "no bot token"))
		return
	}
	in := installation{
		TeamID: res.Team.ID, TeamName: res.Team.Name, BotToken: res.AccessToken, BotUserID: res.BotUserID,
		AppID: res.AppID, Scopes: strings.Split(res.Scope, ","), Installer: res.AuthedUser.ID, InstalledAt: a.now().UTC(),
	}
	if err := a.saveInstallation(ctx, in); err != nil {
		a.log.Error("slack: cannot keep an installation", "team", in.TeamID, "err", err)
		page(w, http.StatusInternalServerError, t.failedTitle, t.storeFailed)
		return
	}
	a.log.Info("slack: installed in a workspace", "installation", in)
	name := in.TeamName
	if name == "" {
		name = in.TeamID
	}
	page(w, http.StatusOK, t.doneTitle, fmt.Sprintf(t.done, html.EscapeString(name)))
}

// saveInstallation keeps an installation in the store and serves it.
func (a *Adapter) saveInstallation(ctx context.Context, in installation) error {
	if a.cfg.Installations == nil {
		return fmt.Errorf("slack: no store for installations")
	}
	rec, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := a.cfg.Installations.PutInstallation(ctx, bot.Workspace{Platform: Platform, ID: in.TeamID}, rec); err != nil {
		return err
	}
	a.addTeam(in)
	a.pause(ctx, bot.Workspace{Platform: Platform, ID: in.TeamID}, false) // installed again: resumed
	return nil
}

// page writes a small HTML page.
func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body><h1>%s</h1>\n%s\n</body></html>\n",
		html.EscapeString(title), html.EscapeString(title), body)
}

// oauthTexts are the install pages' words (HTML-safe; %s are escaped).
type oauthTexts struct {
	installTitle, installBody, addToSlack     string
	doneTitle, done                           string
	failedTitle, badState, cancelled, refused string
	enterprise, storeFailed                   string
}

var oauthCatalog = map[string]oauthTexts{
	"en": {
		installTitle: "Install tipbot",
		installBody:  "<p>tipbot captures the tips your colleagues share, counts useful votes and runs training recaps. Add it to your Slack workspace:</p>",
		addToSlack:   "Add to Slack",
		doneTitle:    "tipbot is installed",
		done:         "<p>tipbot is installed in %s. Invite it to a channel with <code>/invite @tipbot</code>, then type <code>/tips help</code>.</p>",
		failedTitle:  "tipbot was not installed",
		badState:     "<p>This install link is invalid, expired or already used. <a href=\"" + InstallPath + "\">Start again</a>.</p>",
		cancelled:    "<p>Slack said: %s. <a href=\"" + InstallPath + "\">Start again</a>.</p>",
		refused:      "<p>Slack refused the installation (%s). <a href=\"" + InstallPath + "\">Start again</a>.</p>",
		enterprise:   "<p>Installing tipbot for a whole Enterprise Grid organisation is not supported yet: install it in each workspace instead.</p>",
		storeFailed:  "<p>tipbot could not keep the installation. Please try again in a moment.</p>",
	},
	"fr": {
		installTitle: "Installer tipbot",
		installBody:  "<p>tipbot recueille les astuces que partagent vos collègues, compte les votes utiles et fait le bilan des formations. Ajoutez-le à votre espace Slack :</p>",
		addToSlack:   "Ajouter à Slack",
		doneTitle:    "tipbot est installé",
		done:         "<p>tipbot est installé dans %s. Invitez-le dans un canal avec <code>/invite @tipbot</code>, puis tapez <code>/tips help</code>.</p>",
		failedTitle:  "tipbot n’a pas été installé",
		badState:     "<p>Ce lien d’installation est invalide, expiré ou déjà utilisé. <a href=\"" + InstallPath + "\">Recommencer</a>.</p>",
		cancelled:    "<p>Slack a répondu : %s. <a href=\"" + InstallPath + "\">Recommencer</a>.</p>",
		refused:      "<p>Slack a refusé l’installation (%s). <a href=\"" + InstallPath + "\">Recommencer</a>.</p>",
		enterprise:   "<p>L’installation de tipbot pour toute une organisation Enterprise Grid n’est pas encore prise en charge : installez-le dans chaque espace de travail.</p>",
		storeFailed:  "<p>tipbot n’a pas pu enregistrer l’installation. Réessayez dans un instant.</p>",
	},
}
