package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/shell"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// clock is a test clock the core, the linker and the server share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a core on a real bbolt file with the dashboard in front.
type fixture struct {
	t      *testing.T
	db     *store.DB
	bot    *bot.Bot
	clock  *clock
	linker Linker
	srv    *httptest.Server
	ws     bot.Workspace
	seq    int
}

// local is the shell's workspace.
var local = bot.Workspace{Platform: bot.Shell, ID: "local"}

func newFixture(t *testing.T, locale string, requireApproval bool) *fixture {
	t.Helper()
	return newFixtureWith(t, locale, requireApproval, nil, nil)
}

// newFixtureWith is newFixture with changes to the core's configuration
// (configure, when not nil) and a chat the core sends through (nil: none).
func newFixtureWith(t *testing.T, locale string, requireApproval bool, configure func(*bot.Config), chat bot.Chat) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "tips.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	c := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)} // a Wednesday, week 49
	key := make([]byte, KeySize)
	copy(key, "a test key that is 32 bytes long")
	f := &fixture{t: t, db: db, clock: c, ws: local}
	var h http.Handler // set below, before any request
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.linker = Linker{Key: key, BaseURL: f.srv.URL, Now: c.now}
	cfg := bot.DefaultConfig()
	cfg.Locale = locale
	cfg.RequireApproval = requireApproval
	cfg.Admins = []string{"you"}
	cfg.FollowUp = nil
	if configure != nil {
		configure(&cfg)
	}
	f.bot, err = bot.New(bot.Options{Platforms: []bot.PlatformSpec{shell.Spec()}, Config: cfg, Store: db, Now: c.now, Dashboard: f.linker})
	if err != nil {
		t.Fatal(err)
	}
	if chat != nil {
		f.bot.Attach(bot.Shell, chat)
	}
	s, err := New(Options{Bot: f.bot, Key: key, BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	h = s.Handler()
	f.handle(&bot.ChannelsUpdated{Channels: []bot.Channel{{ID: "#general", Name: "general", Kind: bot.ChannelPublic}, {ID: "#secret", Name: "secret", Kind: bot.ChannelPrivate}}})
	return f
}

func (f *fixture) handle(ev bot.Event) bot.Reply {
	f.t.Helper()
	f.seq++
	switch e := ev.(type) {
	case *bot.MessagePosted:
		e.EventMeta = bot.EventMeta{ID: fmt.Sprint(f.seq), Workspace: f.ws}
	case *bot.ReactionAdded:
		e.EventMeta = bot.EventMeta{ID: fmt.Sprint(f.seq), Workspace: f.ws}
	case *bot.CommandInvoked:
		e.EventMeta = bot.EventMeta{ID: fmt.Sprint(f.seq), Workspace: f.ws}
	case *bot.ChannelsUpdated:
		e.EventMeta = bot.EventMeta{ID: fmt.Sprint(f.seq), Workspace: f.ws}
	}
	r, err := f.bot.Handle(context.Background(), ev)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// post posts a message as a shell user; its id is the event's sequence.
func (f *fixture) post(channel, who, text string) string {
	f.t.Helper()
	id := fmt.Sprint(f.seq + 1)
	f.handle(&bot.MessagePosted{Channel: channel, MessageID: id, Author: bot.User{ID: who, Name: who}, Text: text})
	return id
}

func (f *fixture) react(channel, msg, who, emoji string) {
	f.t.Helper()
	f.handle(&bot.ReactionAdded{Channel: channel, MessageID: msg, User: bot.User{ID: who, Name: who}, Emoji: emoji})
}

func (f *fixture) command(who, text string) string {
	f.t.Helper()
	r := f.handle(&bot.CommandInvoked{Channel: "#general", User: bot.User{ID: who, Name: who}, Name: "tips", Text: text})
	if r == nil {
		return ""
	}
	return r.Text()
}

// browser is an HTTP client with a cookie jar, that does not follow
// redirects.
func (f *fixture) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches a path (or a whole URL) and returns the status and body.
func (f *fixture) get(c *http.Client, path string) (int, string) {
	f.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = f.srv.URL + path
	}
	resp, err := c.Get(u)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func (f *fixture) post2(c *http.Client, path string, form url.Values) (int, string) {
	f.t.Helper()
	resp, err := c.PostForm(f.srv.URL+path, form)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// signIn gets a link for the workspace and opens a session with it.
func (f *fixture) signIn(ws bot.Workspace, person string, role bot.Role) *http.Client {
	f.t.Helper()
	link, _, err := f.linker.DashboardLink(ws, person, role)
	if err != nil {
		f.t.Fatal(err)
	}
	c := f.browser()
	if code, body := f.get(c, link); code != http.StatusOK || !strings.Contains(body, `http-equiv="refresh"`) {
		f.t.Fatalf("sign in: %d\n%s", code, body)
	}
	return c
}

// cells returns the texts of the cells of the row of a table whose
// header is row.
func cells(t *testing.T, page, tableID, row string) []string {
	t.Helper()
	i := strings.Index(page, `id="`+tableID+`"`)
	if i < 0 {
		t.Fatalf("no table %s in:\n%s", tableID, page)
	}
	table := page[i:]
	table = table[:strings.Index(table, "</table>")]
	for _, tr := range strings.Split(table, "<tr>")[1:] {
		if !strings.Contains(tr, `<th scope="row">`+row+`</th>`) {
			continue
		}
		var out []string
		for _, m := range regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(tr, -1) {
			out = append(out, m[1])
		}
		return out
	}
	t.Fatalf("no row %q in table %s:\n%s", row, tableID, table)
	return nil
}

// last2 returns the last two of a row's cells (last week's, this week's).
func last2(t *testing.T, page, tableID, row string) string {
	t.Helper()
	c := cells(t, page, tableID, row)
	if len(c) != trendWeeks {
		t.Fatalf("row %q of %s has %d cells, want %d", row, tableID, len(c), trendWeeks)
	}
	return c[trendWeeks-2] + " " + c[trendWeeks-1]
}

// TestOverviewCharts: the Overview's charts and tables hold the counts of
// the weeks, read from the counters.
func TestOverviewCharts(t *testing.T) {
	f := newFixture(t, "en", false)
	f.clock.advance(-7 * 24 * time.Hour) // week 48
	m := f.post("#general", "alice", "tip: use git bisect #git")
	f.react("#general", m, "bob", "bulb")
	f.clock.advance(7 * 24 * time.Hour) // week 49
	f.post("#general", "alice", "tip: rebase often #git")
	m = f.post("#general", "carol", "tip: write the test first #tdd")
	f.react("#general", m, "bob", "bulb")
	f.react("#general", m, "alice", "+1")
	f.command("bob", "applied t3")
	c := f.signIn(local, "you", bot.RoleAdmin)
	code, page := f.get(c, "/dashboard/")
	if code != http.StatusOK {
		t.Fatalf("overview: %d\n%s", code, page)
	}
	// Weeks 48 and 49, the last two columns.
	for _, tc := range []struct{ table, row, want string }{
		{"chart-tips-table", "/tip", "0 0"},
		{"chart-tips-table", "prefix or hashtag", "1 2"},
		{"chart-tips-table", "reaction", "0 0"},
		{"chart-tips-table", "total", "1 2"},
		{"chart-votes-table", "useful votes", "1 2"},
		{"chart-contributors-table", "contributors", "1 2"},
		{"chart-contributors-table", "new contributors", "1 1"}, // alice, then carol
		{"chart-applied-table", "applied", "0 1"},
	} {
		if got := last2(t, page, tc.table, tc.row); got != tc.want {
			t.Errorf("%s, %s: weeks 48 and 49 %q, want %q", tc.table, tc.row, got, tc.want)
		}
	}
	if !strings.Contains(page, `<abbr title="week of 2026-11-30">W49</abbr>`) {
		t.Errorf("the tables do not name week 49:\n%s", page)
	}
	for _, id := range []string{"chart-tips", "chart-votes", "chart-contributors", "chart-applied"} {
		if !strings.Contains(page, `<svg id="`+id+`"`) {
			t.Errorf("no SVG %s", id)
		}
	}
	if !strings.Contains(page, `<rect x="`) || !strings.Contains(page, "W49, prefix or hashtag: 2</title>") {
		t.Errorf("the tips chart has no bar of 2 for week 49:\n%s", page)
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("the page has a script or an outside address")
	}
}

// TestLinkOnce: a link opens one session, with a cookie HttpOnly and
// SameSite=Strict; a second use and an expired link are refused.
func TestLinkOnce(t *testing.T) {
	f := newFixture(t, "en", false)
	link, expires, err := f.linker.DashboardLink(local, "you", bot.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := expires, f.clock.now().Add(15*time.Minute); !got.Equal(want) {
		t.Errorf("expires %v, want %v", got, want)
	}
	resp, err := f.browser().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || cookie.MaxAge != 8*3600 || cookie.Path != "/dashboard" {
		t.Fatalf("cookie %+v", cookie)
	}
	code, body := f.get(f.browser(), link)
	if code != http.StatusForbidden || !strings.Contains(body, "already used") {
		t.Errorf("second use: %d\n%s", code, body)
	}

	late, _, err := f.linker.DashboardLink(local, "you", bot.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.advance(15*time.Minute + time.Second)
	code, body = f.get(f.browser(), late)
	if code != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %d\n%s", code, body)
	}
	// A forged token (another key) is refused.
	forged := Linker{Key: make([]byte, KeySize), BaseURL: f.srv.URL, Now: f.clock.now}
	bad, _, _ := forged.DashboardLink(local, "you", bot.RoleAdmin)
	if code, body := f.get(f.browser(), bad); code != http.StatusBadRequest || !strings.Contains(body, "not a valid dashboard link") {
		t.Errorf("forged link: %d\n%s", code, body)
	}
	// A chat's link preview does not spend the link.
	fresh, _, _ := f.linker.DashboardLink(local, "you", bot.RoleAdmin)
	req, _ := http.NewRequest("GET", fresh, nil)
	req.Header.Set("User-Agent", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
	resp, err = f.browser().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 0 {
		t.Error("a link preview opened a session")
	}
	if resp, err = f.browser().Head(fresh); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 0 {
		t.Error("a HEAD request opened a session")
	}
	if code, _ := f.get(f.browser(), fresh); code != http.StatusOK {
		t.Errorf("the link after its preview: %d", code)
	}
}

// TestNoSession: without a session every page answers 401 and says how
// to get a link, in the workspace's language; a session lasts 8 hours.
func TestNoSession(t *testing.T) {
	for _, tc := range []struct{ locale, want string }{{"en", "Ask tipbot for a personal link"}, {"fr", "Demandez un lien personnel"}} {
		f := newFixture(t, tc.locale, false)
		for _, path := range []string{"/dashboard/", "/dashboard/tips", "/dashboard/tips/t1", "/dashboard/people", "/dashboard/sessions", "/dashboard/moderation"} {
			code, body := f.get(f.browser(), path)
			if code != http.StatusUnauthorized || !strings.Contains(body, tc.want) || !strings.Contains(body, "/tips dashboard") {
				t.Errorf("%s %s: %d\n%s", tc.locale, path, code, body)
			}
		}
		c := f.signIn(local, "you", bot.RoleAdmin)
		if code, _ := f.get(c, "/dashboard/people"); code != http.StatusOK {
			t.Errorf("signed in: %d", code)
		}
		f.clock.advance(8*time.Hour + time.Second)
		if code, _ := f.get(c, "/dashboard/people"); code != http.StatusUnauthorized {
			t.Errorf("after 8 hours: %d, want 401", code)
		}
	}
}

// TestOtherWorkspace: a session of one workspace finds none of another's
// tips.
func TestOtherWorkspace(t *testing.T) {
	f := newFixture(t, "en", false)
	f.post("#general", "alice", "tip: only for local #git")
	other := bot.Workspace{Platform: bot.Shell, ID: "elsewhere"}
	mine := f.signIn(local, "you", bot.RoleAdmin)
	if code, body := f.get(mine, "/dashboard/tips/t1"); code != http.StatusOK || !strings.Contains(body, "only for local") {
		t.Fatalf("own tip: %d\n%s", code, body)
	}
	theirs := f.signIn(other, "you", bot.RoleAdmin)
	for _, path := range []string{"/dashboard/tips/t1", "/dashboard/tips/1"} {
		if code, body := f.get(theirs, path); code != http.StatusNotFound || strings.Contains(body, "only for local") {
			t.Errorf("other workspace %s: %d\n%s", path, code, body)
		}
	}
	if _, body := f.get(theirs, "/dashboard/tips"); strings.Contains(body, "only for local") {
		t.Errorf("other workspace's list shows local's tip:\n%s", body)
	}
}

// TestModeration: the Moderation page's forms publish a pending tip
// through the core; a form without the CSRF token is refused.
func TestModeration(t *testing.T) {
	f := newFixture(t, "en", true)
	f.post("#general", "alice", "tip: pending until approved #git")
	f.post("#secret", "alice", "tip: a secret pending tip #git")
	c := f.signIn(local, "you", bot.RoleAdmin)
	code, page := f.get(c, "/dashboard/moderation")
	if code != http.StatusOK || !strings.Contains(page, "pending until approved") || !strings.Contains(page, "2 tips pending.") {
		t.Fatalf("moderation: %d\n%s", code, page)
	}
	if strings.Contains(page, "a secret pending tip") || !strings.Contains(page, "1 pending tip is restricted") {
		t.Errorf("the restricted pending tip is quoted, or not counted:\n%s", page)
	}
	if _, list := f.get(c, "/dashboard/tips?status=pending"); !strings.Contains(list, "pending until approved") || strings.Contains(list, "a secret pending tip") || !strings.Contains(list, "1 matching tip is restricted") {
		t.Errorf("the pending tips:\n%s", list)
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if token == nil {
		t.Fatalf("no CSRF token in the form:\n%s", page)
	}
	for _, form := range []url.Values{
		{"action": {"approve"}, "tip": {"t1"}},
		{"action": {"approve"}, "tip": {"t1"}, "csrf": {"forged"}},
	} {
		if code, body := f.post2(c, "/dashboard/moderation", form); code != http.StatusForbidden || !strings.Contains(body, "security token") {
			t.Errorf("form %v: %d\n%s", form, code, body)
		}
	}
	// Another session's token does not serve either.
	other := f.signIn(local, "you", bot.RoleAdmin)
	if code, _ := f.post2(other, "/dashboard/moderation", url.Values{"action": {"approve"}, "tip": {"t1"}, "csrf": {token[1]}}); code != http.StatusForbidden {
		t.Errorf("another session's token: %d", code)
	}
	if out := f.command("bob", "top"); strings.Contains(out, "pending until approved") {
		t.Fatalf("a refused form published the tip:\n%s", out)
	}
	code, body := f.post2(c, "/dashboard/moderation", url.Values{"action": {"approve"}, "tip": {"t1"}, "csrf": {token[1]}})
	if code != http.StatusOK || !strings.Contains(body, `id="mod-said"`) || !strings.Contains(body, "1 tip pending.") {
		t.Errorf("approve: %d\n%s", code, body)
	}
	if out := f.command("bob", "top"); !strings.Contains(out, "pending until approved") {
		t.Errorf("/tips top after the approve:\n%s", out)
	}
	if _, body := f.get(c, "/dashboard/tips/t1"); !strings.Contains(body, "approved by you") {
		t.Errorf("the tip's history lacks the approve:\n%s", body)
	}
}

// TestTipsPage: search and filters; restricted tips are counted, not
// listed, and their page is not found.
func TestTipsPage(t *testing.T) {
	f := newFixture(t, "en", false)
	f.post("#general", "alice", "tip: git bisect finds regressions #git")
	f.post("#general", "bob", "tip: pytest fixtures #python")
	f.post("#secret", "alice", "tip: the secret deploy key is rotated #git")
	f.post("#random", "carol", "tip: git stash keeps work #git")
	f.handle(&bot.ChannelsUpdated{Channels: []bot.Channel{{ID: "#random", Kind: bot.ChannelPublic}, {ID: "C42", Name: "dev", Kind: bot.ChannelPublic}}})
	f.post("C42", "dave", "tip: the dev channel has a name #go")
	c := f.signIn(local, "you", bot.RoleAdmin)
	for _, tc := range []struct {
		query      string
		want, not  []string
		restricted bool
	}{
		{"", []string{"git bisect", "pytest", "git stash", "<td>#dev</td>"}, []string{"secret deploy", "<td>C42</td>"}, true},
		{"?channel=C42", []string{"the dev channel", `<option value="C42" selected>#dev</option>`}, []string{"git bisect"}, false},
		{"?topic=%23git", []string{"git bisect", "git stash"}, []string{"pytest", "secret deploy"}, true},
		{"?channel=%23general", []string{"git bisect", "pytest"}, []string{"git stash", "secret deploy"}, false},
		{"?q=bisect", []string{"git bisect"}, []string{"pytest", "git stash"}, false},
		{"?status=pending", nil, []string{"git bisect", "pytest"}, false},
		{"?status=published&topic=git", []string{"git bisect", "git stash"}, []string{"pytest", "secret deploy"}, true},
	} {
		code, page := f.get(c, "/dashboard/tips"+tc.query)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", tc.query, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s lacks %q", tc.query, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(page, n) {
				t.Errorf("%s shows %q", tc.query, n)
			}
		}
		if got := strings.Contains(page, "1 matching tip is restricted"); got != tc.restricted {
			t.Errorf("%s: restricted note %v, want %v", tc.query, got, tc.restricted)
		}
	}
	if _, page := f.get(c, "/dashboard/tips"); !strings.Contains(page, `<option value="#general">#general</option>`) || strings.Contains(page, `value="#secret"`) {
		t.Errorf("the channel filter offers the public channels only:\n%s", page)
	}
	if code, _ := f.get(c, "/dashboard/tips/t3"); code != http.StatusNotFound {
		t.Errorf("restricted tip's page: %d, want 404", code)
	}
}

// TestTipsPages: the list goes on page after page, newest first, and so
// does the list of pending tips (read from their index).
func TestTipsPages(t *testing.T) {
	for _, pending := range []bool{false, true} {
		f := newFixture(t, "en", pending)
		const n = 120
		for i := range n {
			f.post("#general", fmt.Sprintf("p%d", i%7), fmt.Sprintf("tip: number %03d", i))
			if (i+1)%10 == 0 {
				f.clock.advance(time.Minute) // under capture.max_per_minute
			}
		}
		c := f.signIn(local, "you", bot.RoleAdmin)
		var seen []int
		next := "/dashboard/tips"
		if pending {
			next += "?status=pending"
		}
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("too many pages")
			}
			_, page := f.get(c, next)
			if pending && pages == 0 {
				t.Log(page[strings.Index(page, "<tbody>"):][:3000])
			}
			for _, m := range regexp.MustCompile(`number (\d+)`).FindAllStringSubmatch(page, -1) {
				i, _ := strconv.Atoi(m[1])
				seen = append(seen, i)
			}
			next = ""
			if m := regexp.MustCompile(`href="(/dashboard/tips\?[^"]+)" rel="next"`).FindStringSubmatch(page); m != nil {
				next = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		if len(seen) != n || !slices.IsSortedFunc(seen, func(a, b int) int { return b - a }) || seen[0] != n-1 {
			t.Errorf("pending %v: listed %v, want %d tips newest first", pending, seen, n)
		}
	}
}

// TestPeopleAndSessions: the People page ranks contributors and experts;
// the Sessions page shows answers and answerers.
func TestPeopleAndSessions(t *testing.T) {
	f := newFixture(t, "fr", false)
	m := f.post("#general", "alice", "tip: git bisect #git")
	f.react("#general", m, "bob", "bulb")
	f.react("#general", m, "carol", "bulb")
	m = f.post("#general", "bob", "tip: git log -S #git")
	f.react("#general", m, "carol", "bulb")
	c := f.signIn(local, "you", bot.RoleAdmin)
	_, page := f.get(c, "/dashboard/people")
	if !regexp.MustCompile(`<td class="n">1</td><td>alice</td><td class="n">1</td><td class="n">2</td>`).MatchString(page) {
		t.Errorf("top contributors lack alice first with 2 votes:\n%s", page)
	}
	if !strings.Contains(page, "#git</a></th><td class=\"n\">2</td><td>alice (2), bob (1)</td>") {
		t.Errorf("experts of #git:\n%s", page)
	}
	if !strings.Contains(page, "Meilleurs contributeurs du mois") {
		t.Error("the page is not in French")
	}
	out := f.command("you", `prompt in 1h Git basics`)
	if !strings.Contains(out, "s1") {
		t.Logf("prompt: %s", out)
	}
	_, page = f.get(c, "/dashboard/sessions")
	if !strings.Contains(page, "Git basics") || !strings.Contains(page, "ouverte") {
		t.Errorf("sessions page:\n%s", page)
	}
}

// TestDashboardCommand: /tips dashboard answers trainers with a working
// link, members with a refusal, and says when the dashboard is off.
func TestDashboardCommand(t *testing.T) {
	f := newFixture(t, "en", false)
	out := f.command("you", "dashboard")
	link := regexp.MustCompile(`http://\S+`).FindString(out)
	if link == "" || !strings.Contains(out, "single use") {
		t.Fatalf("/tips dashboard by an admin: %q", out)
	}
	c := f.browser()
	if code, _ := f.get(c, link); code != http.StatusOK {
		t.Fatalf("the command's link: %d", code)
	}
	if code, _ := f.get(c, "/dashboard/"); code != http.StatusOK {
		t.Errorf("overview after the command's link: %d", code)
	}
	if out := f.command("bob", "dashboard"); strings.Contains(out, "http") || !strings.Contains(out, "trainer") {
		t.Errorf("/tips dashboard by a member: %q", out)
	}
	f.command("you", "trainer add bob")
	if out := f.command("bob", "dashboard"); !strings.Contains(out, f.srv.URL+LinkPath) {
		t.Errorf("/tips dashboard by a trainer: %q", out)
	}

	db, err := store.Open(filepath.Join(t.TempDir(), "off.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := bot.DefaultConfig()
	cfg.Admins = []string{"you"}
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{shell.Spec()}, Config: cfg, Store: db, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Handle(context.Background(), &bot.CommandInvoked{EventMeta: bot.EventMeta{ID: "1", Workspace: local}, Channel: "#general", User: bot.User{ID: "you"}, Name: "tips", Text: "dashboard"})
	if err != nil || r == nil || !strings.Contains(r.Text(), "http.addr") {
		t.Errorf("/tips dashboard with the dashboard off: %v %v", r, err)
	}
}

// TestLoadKey: processes that need the key at once agree on one, created
// 0600 and KeySize bytes, with no temporary file left; a key of another
// size is refused.
func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	path := KeyPath(filepath.Join(dir, "tips.db"))
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := LoadKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if string(k) != string(keys[0]) || len(k) != KeySize {
			t.Fatalf("keys differ: %x, %x", k, keys[0])
		}
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", info, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left beside the key: %v", entries)
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(path); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a short key: %v", err)
	}
}

// TestTextsMatch: every text of the dashboard exists in English and
// French with the same format verbs.
func TestTextsMatch(t *testing.T) {
	verbs := regexp.MustCompile(`%[-+# 0]*[0-9]*[a-zA-Z%]`)
	en, fr := texts["en"], texts["fr"]
	for key, format := range en {
		other, ok := fr[key]
		if !ok {
			t.Errorf("fr lacks %q", key)
			continue
		}
		if got, want := verbs.FindAllString(other, -1), verbs.FindAllString(format, -1); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q: fr verbs %v, en verbs %v", key, got, want)
		}
	}
	for key := range fr {
		if _, ok := en[key]; !ok {
			t.Errorf("en lacks %q", key)
		}
	}
	for _, src := range bot.Sources {
		if _, ok := en["source."+string(src)]; !ok {
			t.Errorf("no text for the source %s", src)
		}
	}
}
