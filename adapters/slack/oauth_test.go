package slack

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// The second workspace, installed with "Add to Slack".
const (
	globex      = "T0GLOBEX1"
	globexToken = "xoxb-globex-secret"
	globexChan  = "C0GLOBEX1"
	zoe         = "U0ZOE0001"
)

// installWorld is one tipbot (core, store file, adapter in socket mode
// with bot_token for the first workspace and OAuth for others) and its
// public HTTP side, against a fake Slack with two workspaces.
type installWorld struct {
	t      *testing.T
	s      *slacktest.Server
	db     *store.DB
	bot    *bot.Bot
	a      *Adapter
	stop   func()
	web    *httptest.Server
	h      atomic.Pointer[http.Handler]
	logs   []*syncBuffer // one per adapter started
	mu     sync.Mutex
	now    time.Time
	client *http.Client
}

func (w *installWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *installWorld) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

// startAdapter runs a new adapter on the world's store, as a restart does.
func (w *installWorld) startAdapter() {
	t := w.t
	log, buf := testLogger(t)
	w.logs = append(w.logs, buf)
	a, err := New(Config{Mode: ModeSocket, BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: w.s.URL(), Logger: log,
		Now: w.clock, Installations: w.db, ClientID: "1111.2222", ClientSecret: "fake-client-secret", PublicURL: w.web.URL}, w.bot)
	if err != nil {
		t.Fatal(err)
	}
	w.bot.Attach(Platform, a)
	h := a.OAuthHandler()
	w.h.Store(&h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	w.a = a
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	if !w.s.WaitFor(5*time.Second, func() bool { return a.Connected() && w.s.Connected() }) {
		t.Fatal("adapter did not connect")
	}
}

func newInstallWorld(t *testing.T) *installWorld {
	t.Helper()
	s := newFake(t, slacktest.Options{})
	s.Join(general, alice, bob)
	s.AddTeam(slacktest.Team{ID: globex, Name: "Globex", BotToken: globexToken, BotUserID: "U0TIPBOT2", BotID: "B0TIPBOT2"})
	s.AddTeam(slacktest.Team{ID: "T0GRID001", Name: "Initech Grid", BotToken: "xoxb-grid-secret", BotUserID: "U0TIPBOT3", Enterprise: true})
	s.AddUser(slacktest.User{ID: zoe, Name: "zoe", DisplayName: "Zoé"})
	s.AddTeamChannel(globex, globexChan, "globex-general")
	s.Join(globexChan, zoe)
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &installWorld{t: t, s: s, db: db, now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC),
		client: &http.Client{Timeout: 10 * time.Second, Jar: jar}}
	w.web = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { (*w.h.Load()).ServeHTTP(rw, r) }))
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return time.Now().UTC() }, Cron: cron.Parse})
	if err != nil {
		t.Fatal(err)
	}
	w.bot = b
	t.Cleanup(func() {
		w.stop()
		b.Wait()
		w.web.Close()
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	w.startAdapter()
	return w
}

// get fetches a page of tipbot's HTTP side.
func (w *installWorld) get(u string) (int, string) {
	w.t.Helper()
	res, err := w.client.Get(u)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var addLink = regexp.MustCompile(`id="add-to-slack" href="([^"]+)"`)

// installLink opens /slack/install and returns its "Add to Slack" link.
func (w *installWorld) installLink() string {
	w.t.Helper()
	code, body := w.get(w.web.URL + "/slack/install")
	m := addLink.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		w.t.Fatalf("/slack/install: %d\n%s", code, body)
	}
	return html.UnescapeString(m[1])
}

// tipPosted runs /tip in a channel and returns the token its post was made
// with.
func (w *installWorld) tipPosted(channel, user, text string) string {
	w.t.Helper()
	in := w.s.Command(channel, user, "/tip", text)
	if _, _, ok := in.Ack(5 * time.Second); !ok {
		w.t.Fatalf("/tip %s: no acknowledgement", text)
	}
	token := ""
	waitFor(w.t, w.s, "the post of "+text, func() bool {
		for _, c := range w.s.Calls("chat.postMessage") {
			if c.Params.Get("channel") == channel && strings.Contains(c.Params.Get("text"), text) && c.Status == http.StatusOK {
				token = c.Token
				return true
			}
		}
		return false
	})
	return token
}

// paused reports whether the core paused a workspace.
func (w *installWorld) paused(ws bot.Workspace) bool {
	paused := false
	if err := w.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
		_, err := tx.Record("paused", "workspace")
		paused = err == nil
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return paused
}

// log returns what every adapter started logged.
func (w *installWorld) log() string {
	var b strings.Builder
	for _, l := range w.logs {
		b.WriteString(l.String())
	}
	return b.String()
}

func (w *installWorld) oauthCalls() int { return len(w.s.Calls("oauth.v2.access")) }

// TestAddToSlack is issue 18's "done when" for many workspaces: the whole
// install against a fake Slack, forged, expired and reused states refused
// without asking Slack, each workspace served with its own token (across
// a restart), an Enterprise Grid install refused, app_uninstalled ending
// every use of the token, and no token ever logged.
func TestAddToSlack(t *testing.T) {
	t.Parallel()
	w := newInstallWorld(t)
	s := w.s

	link := w.installLink()
	for _, want := range []string{"/oauth/v2/authorize?", "client_id=1111.2222", "scope=channels%3Ahistory%2Cchannels%3Aread%2Cchat%3Awrite",
		"redirect_uri=" + url.QueryEscape(w.web.URL+"/slack/oauth_redirect"), "state="} {
		if !strings.Contains(link, want) {
			t.Errorf("install link %s lacks %s", link, want)
		}
	}

	// A forged state, a tampered one, a good one in another browser and
	// an expired one: refused, and Slack is never asked.
	back, err := s.Authorize(link, globex, zoe)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := http.Get(back); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("the redirect in another browser: %v, %v", res, err)
	} else {
		res.Body.Close()
	}
	forged := regexp.MustCompile(`state=[^&]+`).ReplaceAllString(back, "state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA")
	tampered := strings.Replace(back, "state=", "state=x", 1)
	noState := regexp.MustCompile(`&?state=[^&]+`).ReplaceAllString(back, "")
	for _, u := range []string{forged, tampered, noState} {
		// Even with a cookie that matches: the signature is checked.
		pu, _ := url.Parse(u)
		w.client.Jar.SetCookies(pu, []*http.Cookie{{Name: stateCookie, Value: pu.Query().Get("state"), Path: "/slack/"}})
		if code, body := w.get(u); code != http.StatusForbidden || !strings.Contains(body, "invalid, expired or already used") {
			t.Errorf("%s: %d\n%s", u, code, body)
		}
	}
	link = w.installLink() // a fresh link, whose state the browser's cookie holds
	back, err = s.Authorize(link, globex, zoe)
	if err != nil {
		t.Fatal(err)
	}
	w.advance(stateTTL + time.Second)
	if code, _ := w.get(back); code != http.StatusForbidden {
		t.Errorf("expired state: %d, want 403", code)
	}
	if n := w.oauthCalls(); n != 0 {
		t.Fatalf("oauth.v2.access called %d times for refused states", n)
	}
	for _, why := range []string{"state=forged", "state=expired", `state="not from the browser`} {
		if !strings.Contains(w.log(), why) {
			t.Errorf("no refusal logged with %s", why)
		}
	}

	// The real state and code: installed.
	back, err = s.Authorize(w.installLink(), globex, zoe)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := w.get(back); code != http.StatusOK || !strings.Contains(body, "installed in Globex") {
		t.Fatalf("install: %d\n%s", code, body)
	}
	if n := w.oauthCalls(); n != 1 {
		t.Errorf("oauth.v2.access calls = %d, want 1", n)
	}
	if rec, err := w.db.Installation(context.Background(), bot.Workspace{Platform: Platform, ID: globex}); err != nil ||
		!strings.Contains(string(rec), `"bot_user_id":"U0TIPBOT2"`) || !strings.Contains(string(rec), `"installer":"U0ZOE0001"`) ||
		!strings.Contains(string(rec), `"chat:write"`) {
		t.Errorf("stored installation = %s, %v", rec, err)
	}
	// The state is good once.
	if code, _ := w.get(back); code != http.StatusForbidden {
		t.Errorf("reused state: %d, want 403", code)
	}
	if n := w.oauthCalls(); n != 1 {
		t.Errorf("oauth.v2.access calls after a reused state = %d, want 1", n)
	}
	// Even with the cookie still there, a used state is refused.
	u, _ := url.Parse(back)
	w.client.Jar.SetCookies(u, []*http.Cookie{{Name: stateCookie, Value: u.Query().Get("state"), Path: "/slack/"}})
	if code, _ := w.get(back); code != http.StatusForbidden || !strings.Contains(w.log(), "state=used") {
		t.Errorf("reused state with its cookie: %d", code)
	}

	// Each workspace's /tip is posted with its own token, also after a
	// restart.
	if tok := w.tipPosted(globexChan, zoe, "globex keeps its runbooks next to the code"); tok != globexToken {
		t.Errorf("globex /tip posted with %q", tok)
	}
	if tok := w.tipPosted(general, alice, "acme rebases before review"); tok != "xoxb-test" {
		t.Errorf("acme /tip posted with %q", tok)
	}
	w.bot.Wait()
	w.stop()
	w.startAdapter()
	if tok := w.tipPosted(globexChan, zoe, "globex after the restart"); tok != globexToken {
		t.Errorf("globex /tip after a restart posted with %q", tok)
	}
	if tok := w.tipPosted(general, alice, "acme after the restart"); tok != "xoxb-test" {
		t.Errorf("acme /tip after a restart posted with %q", tok)
	}
	w.bot.Wait()
	for _, tip := range []string{"globex keeps its runbooks", "globex after the restart"} {
		found := false
		_ = w.db.View(context.Background(), bot.Workspace{Platform: Platform, ID: globex}, func(tx bot.ReadTx) error {
			return tx.ForEachTip(func(t bot.Tip) error {
				found = found || strings.Contains(t.Text, tip)
				return nil
			})
		})
		if !found {
			t.Errorf("globex tip %q not in globex's workspace", tip)
		}
	}

	// An Enterprise Grid organisation-wide install: not supported yet.
	back, err = s.Authorize(w.installLink(), "T0GRID001", "U0GRIDADM")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := w.get(back); code != http.StatusNotImplemented || !strings.Contains(body, "not supported yet") {
		t.Errorf("enterprise install: %d\n%s", code, body)
	}

	// Uninstalled: the installation goes, nothing more is posted with
	// its token, its events are acknowledged and ignored.
	s.Uninstall(globex)
	waitFor(t, s, "the installation removed", func() bool {
		_, err := w.db.Installation(context.Background(), bot.Workspace{Platform: Platform, ID: globex})
		return err != nil
	})
	waitFor(t, s, "the uninstall events acknowledged", func() bool { return len(s.Unacked()) == 0 })
	uninstalled := len(s.Calls(""))
	in := s.Command(globexChan, zoe, "/tip", "globex after uninstalling")
	if _, _, ok := in.Ack(5 * time.Second); !ok {
		t.Fatal("/tip after uninstalling: no acknowledgement")
	}
	// The core may still owe globex something: it is refused, not sent.
	if _, err := w.bot.Handle(context.Background(), &bot.CommandInvoked{
		EventMeta: bot.EventMeta{ID: "late", Workspace: bot.Workspace{Platform: Platform, ID: globex}},
		Channel:   globexChan, User: bot.User{ID: zoe, Name: "Zoé"}, Name: "tip", Text: "owed after uninstalling"}); err != nil {
		t.Fatal(err)
	}
	s.Say(globexChan, zoe, "tip: said after uninstalling")
	w.bot.Wait()
	waitFor(t, s, "every event acknowledged", func() bool { return len(s.Unacked()) == 0 })
	for _, c := range s.Calls("")[uninstalled:] {
		if c.Token == globexToken {
			t.Errorf("%s called with the uninstalled workspace's token", c.Method)
		}
	}
	if strings.Count(w.log(), "not installed in are acknowledged and ignored") != 1 {
		t.Errorf("want one log line about globex's ignored events:\n%s", w.log())
	}

	globexWS := bot.Workspace{Platform: Platform, ID: globex}
	if !w.paused(globexWS) {
		t.Error("globex is not paused after uninstalling")
	}
	if w.paused(team) {
		t.Error("acme is paused")
	}

	// Installed again: served and resumed.
	back, err = s.Authorize(w.installLink(), globex, zoe)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := w.get(back); code != http.StatusOK {
		t.Fatalf("install again: %d\n%s", code, body)
	}
	if w.paused(globexWS) {
		t.Error("globex still paused once installed again")
	}
	if tok := w.tipPosted(globexChan, zoe, "globex is back"); tok != globexToken {
		t.Errorf("globex /tip after installing again posted with %q", tok)
	}
	w.bot.Wait()

	// No token or secret in any log line.
	for _, secret := range []string{globexToken, "xoxb-grid-secret", "xoxb-test", "fake-client-secret"} {
		if strings.Contains(w.log(), secret) {
			t.Errorf("the log holds %s", secret)
		}
	}
}
