package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// The second Slack workspace, which installs tipbot with "Add to Slack".
const (
	piTeam         = "T0GLOBEX1"
	piBotToken     = "xoxb-e2e-globex-5ecret"
	piChannel      = "C0GLOBEX1"
	piZoe          = "U0ZOE0001"
	piClientID     = "1111.2222"
	piClientSecret = "e2e-client-5ecret"
)

var piAddLink = regexp.MustCompile(`id="add-to-slack" href="([^"]+)"`)

// testAddToSlack is the "Add to Slack" scenario on the binary: a second
// workspace installs tipbot through /slack/install and Slack's consent, its
// /tip is posted with its own token and the first workspace's with
// bot_token, also after a restart; forged and reused states are refused
// without a call to oauth.v2.access; app_uninstalled ends every use of the
// token; no token reaches the log.
func testAddToSlack(t *testing.T, bin string) {
	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := slacktest.NewServer(slacktest.Options{BotToken: psBotToken, AppToken: psAppToken, ClientID: piClientID,
		ClientSecret: piClientSecret, RedeliverAfter: time.Second})
	t.Cleanup(s.Close)
	s.AddUser(slacktest.User{ID: psAlice, Name: "alice", DisplayName: "Alice"})
	s.AddUser(slacktest.User{ID: piZoe, Name: "zoe", DisplayName: "Zoé"})
	s.AddChannel(psGeneral, "general")
	s.Join(psGeneral, psAlice)
	s.AddTeam(slacktest.Team{ID: piTeam, Name: "Globex", BotToken: piBotToken, BotUserID: "U0TIPBOT2", BotID: "B0TIPBOT2"})
	s.AddTeamChannel(piTeam, piChannel, "globex-general")
	s.Join(piChannel, piZoe)
	config := fmt.Sprintf(`store: {path: %s}
slack:
  enabled: true
  api_url: %s
  client_id: "%s"
http: {addr: "127.0.0.1:0", public_url: "https://tipbot.example.com"}
`, db, s.URL(), piClientID)
	env := []string{"SLACK_BOT_TOKEN=" + psBotToken, "SLACK_APP_TOKEN=" + psAppToken, "SLACK_CLIENT_SECRET=" + piClientSecret}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(u string) (int, string) {
		t.Helper()
		res, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// tipPosted runs /tip and returns the token its post was made with.
	tipPosted := func(channel, user, text string) string {
		t.Helper()
		platSlackAnswer(t, s, s.Command(channel, user, "/tip", text))
		token := ""
		if !s.WaitFor(10*time.Second, func() bool {
			for _, c := range s.Calls("chat.postMessage") {
				if c.Params.Get("channel") == channel && strings.Contains(c.Params.Get("text"), text) && c.Status == http.StatusOK {
					token = c.Token
					return true
				}
			}
			return false
		}) {
			t.Fatalf("no post of %q", text)
		}
		return token
	}

	p := startTipbot(t, bin, dir, config, env...)
	p.waitHealthy(t)
	base := "http://" + p.addr(t)
	code, page := get(base + "/slack/install")
	m := piAddLink.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("/slack/install: %d\n%s", code, page)
	}
	link := html.UnescapeString(m[1])
	e2eContains(t, "the install link", link, s.URL()[:len(s.URL())-len("api/")]+"oauth/v2/authorize?", "client_id="+piClientID,
		"redirect_uri=https%3A%2F%2Ftipbot.example.com%2Fslack%2Foauth_redirect")
	if code, _ := get(base + "/slack/oauth_redirect?code=stolen&state=forged"); code != http.StatusForbidden {
		t.Errorf("forged state: %d, want 403", code)
	}
	if n := len(s.Calls("oauth.v2.access")); n != 0 {
		t.Fatalf("oauth.v2.access called %d times for a forged state", n)
	}
	back, err := s.Authorize(link, piTeam, piZoe)
	if err != nil {
		t.Fatal(err)
	}
	// public_url is the proxy's address: the browser comes back through it.
	back = strings.Replace(back, "https://tipbot.example.com", base, 1)
	if code, page := get(back); code != http.StatusOK || !strings.Contains(page, "installed in Globex") {
		t.Fatalf("install: %d\n%s", code, page)
	}
	if tok := tipPosted(piChannel, piZoe, "globex keeps runbooks next to the code"); tok != piBotToken {
		t.Errorf("globex /tip posted with %.10s…", tok)
	}
	if tok := tipPosted(psGeneral, psAlice, "acme rebases before review"); tok != psBotToken {
		t.Errorf("acme /tip posted with %.10s…", tok)
	}
	platSlackSettle(t, s)
	p.stop(t)
	if strings.Contains(p.log(), piBotToken) {
		t.Error("tipbot's log shows the installed workspace's token")
	}

	p = startTipbot(t, bin, dir, config, env...)
	p.waitHealthy(t)
	base = "http://" + p.addr(t)
	if tok := tipPosted(piChannel, piZoe, "globex after the restart"); tok != piBotToken {
		t.Errorf("globex /tip after a restart posted with %.10s…", tok)
	}
	if tok := tipPosted(psGeneral, psAlice, "acme after the restart"); tok != psBotToken {
		t.Errorf("acme /tip after a restart posted with %.10s…", tok)
	}
	back = strings.Replace(back, back[:strings.Index(back, "/slack/")], base, 1)
	if code, _ := get(back); code != http.StatusForbidden {
		t.Errorf("reused state: %d, want 403", code)
	}
	if n := len(s.Calls("oauth.v2.access")); n != 1 {
		t.Errorf("oauth.v2.access calls = %d, want 1", n)
	}

	s.Uninstall(piTeam)
	platSlackSettle(t, s)
	uninstalled := len(s.Calls(""))
	in := s.Command(piChannel, piZoe, "/tip", "globex after uninstalling")
	if _, _, ok := in.Ack(10 * time.Second); !ok {
		t.Fatal("/tip after uninstalling: not acknowledged")
	}
	s.Say(piChannel, piZoe, "tip: said after uninstalling")
	platSlackSettle(t, s)
	for _, c := range s.Calls("")[uninstalled:] {
		if c.Token == piBotToken {
			t.Errorf("%s called with the uninstalled workspace's token", c.Method)
		}
	}
	p.stop(t)
	log := p.log()
	e2eContains(t, "tipbot's log", log, "tipbot was removed from a workspace", "not installed in are acknowledged and ignored")
	if strings.Contains(log, piBotToken) {
		t.Error("tipbot's log shows the installed workspace's token")
	}
}
