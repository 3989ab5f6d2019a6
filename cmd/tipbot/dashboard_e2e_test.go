package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath returns the headless browser the dashboard's browser test
// drives, or fails the test saying how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the dashboard's browser test needs Chromium, which is not installed: run `bash .ci/test` (it installs it), " +
		"or `sudo apt-get install -y chromium` (Debian, Ubuntu), then run the tests again")
	return ""
}

// freePort returns a TCP port of 127.0.0.1 free a moment ago: the
// dashboard's links name the port of http.addr, so it cannot be 0.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dashboardLink runs tipbot dashboard-link and returns the link it prints.
func dashboardLink(t *testing.T, bin, dir, config, workspace string, env []string) string {
	t.Helper()
	cmd := exec.Command(bin, "dashboard-link", "-config", config, "-workspace", workspace)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tipbot dashboard-link -workspace %s: %v\n%s", workspace, err, stderr.String())
	}
	link := strings.TrimSpace(string(out))
	if !strings.HasPrefix(link, "http://localhost:") || strings.Contains(link, "\n") {
		t.Fatalf("tipbot dashboard-link printed %q, want one link", out)
	}
	return link
}

// TestDashboardInBrowser is issue 14's "Done when", on the real binary in
// a real headless Chromium: the shell runs with http.addr, tipbot
// dashboard-link gives a link, the Overview's charts show the counts put
// in (read from their tables), an approve on the Moderation page
// publishes the tip (seen with /tips top in the shell), the month's
// funnels show their figures, "move down" on a training path's page
// reorders it (seen with /tips path show), a forged POST is refused, a session of another workspace finds no tip of this one, and
// reused and expired links are refused. With TIPBOT_SCREENSHOT=FILE it
// writes a PNG of the Overview there (docs/dashboard-overview.png).
func TestDashboardInBrowser(t *testing.T) {
	chrome := chromiumPath(t)
	bin := e2eBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	config := filepath.Join(dir, "tipbot.yaml")
	if err := os.WriteFile(config, []byte("store: {path: "+filepath.Join(dir, "tips.db")+"}\n"+
		"timezone: UTC\n"+
		"moderation: {require_approval: true}\n"+
		"http: {addr: \"127.0.0.1:"+strconv.Itoa(port)+"\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The shell starts on Wednesday 11 November 2026 (week 46) and moves
	// a week at a time to Wednesday 2 December (week 49), where
	// dashboard-link makes its links.
	p := e2eStart(t, bin, dir, e2eEnv(fakeNowEnv+"=2026-11-11T10:00:00Z"), "shell", "-config", config)
	env := e2eEnv(fakeNowEnv + "=2026-12-02T10:00:00Z")
	const wait = 30 * time.Second
	// post posts a message as who and returns its id in the shell.
	post := func(who, text string) string {
		t.Helper()
		p.send("/as "+who, text)
		return p.expect(wait, `\[(\d+)\] #general `+who+`: `+regexp.QuoteMeta(text))[1]
	}
	// as runs a command as who and waits for its private answer.
	as := func(who, command, answer string) {
		t.Helper()
		p.send("/as "+who, command)
		p.expect(wait, `(?s)\(private to `+who+`\) .*?`+answer)
	}
	react := func(who, id string) {
		t.Helper()
		p.send("/as "+who, "/react "+id+" bulb")
		p.expect(wait, `\[`+id+`\] `+who+` reacted :bulb:`)
	}
	advance := func() {
		t.Helper()
		p.send("/advance 7d")
		p.expectText(wait, "(the clock is now")
	}
	// Week 46: t1, t2; 2 votes.
	m1 := post("alice", "tip: use git bisect to find regressions #git")
	post("bob", "tip: pytest -x stops at the first failure #python")
	as("you", "/tips approve t1", "t1")
	as("you", "/tips approve t2", "t2")
	react("bob", m1)
	react("carol", m1)
	advance()
	// Week 47: t3, t4; 1 vote, 1 applied mark.
	m3 := post("carol", "tip: git stash -p stashes part of the changes #git")
	post("dave", "tip: name branches after their ticket #git")
	as("you", "/tips approve t3", "t3")
	as("you", "/tips approve t4", "t4")
	react("alice", m3)
	as("dave", "/tips applied t1", "t1")
	advance()
	// Week 48: t5; 3 votes.
	m5 := post("erin", "tip: read the diff before you commit #git")
	as("you", "/tips approve t5", "t5")
	react("alice", m5)
	react("bob", m5)
	react("carol", m5)
	advance()
	// Week 49: t6 (approved, 1 vote), t7 (/tip) and t8 pending.
	m6 := post("alice", "tip: run the linters before pushing #ci")
	p.send("/tip keep commits small #git")
	p.expect(wait, `tipbot: .*keep commits small`)
	post("carol", "tip: write the failing test first #tdd")
	as("you", "/tips approve t6", "t6")
	react("bob", m6)
	as("you", "/tips pending", "2")
	// A training path of t1, t6, t2 (adding features t6, of December).
	as("you", "/tips path create basics Git basics", "basics")
	as("you", "/tips path add basics t1 t6 t2", `t2 added to basics \(tip 3`)

	base := "http://localhost:" + strconv.Itoa(port)
	link := dashboardLink(t, bin, dir, config, "local", env)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.WindowSize(1200, 900),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The first call starts the browser, on a context without a deadline
	// (a deadline there would end the browser); the steps have one.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chrome, err)
	}
	ctx, cancel := context.WithTimeout(browser, 2*time.Minute)
	defer cancel()
	rows := func(table string) [][]string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#`+table+` tr')].map(r => [...r.cells].map(c => c.textContent))`))
		if err != nil {
			t.Fatalf("read the table %s: %v", table, err)
		}
		return got
	}

	// The link opens the session and the Overview.
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#chart-tips-table`))); err != nil {
		t.Fatalf("overview: %v", err)
	}
	// Each table has a column per week, W38 to W49, and a row per series.
	week := func(table, row, week string) string {
		t.Helper()
		all := rows(table)
		if len(all) == 0 || len(all[0]) != 13 || all[0][1] != "W38" || all[0][12] != "W49" {
			t.Fatalf("the table %s does not show weeks 38 to 49: %q", table, all)
		}
		col := slices.Index(all[0], week)
		for _, r := range all[1:] {
			if r[0] == row {
				return r[col]
			}
		}
		t.Fatalf("no row %q in the table %s: %q", row, table, all)
		return ""
	}
	for _, tc := range []struct {
		table, row string
		weeks      map[string]string // W45 to W49
	}{
		{"chart-tips-table", "/tip", map[string]string{"W45": "0", "W46": "0", "W47": "0", "W48": "0", "W49": "1"}},
		{"chart-tips-table", "prefix or hashtag", map[string]string{"W45": "0", "W46": "2", "W47": "2", "W48": "1", "W49": "2"}},
		{"chart-tips-table", "reaction", map[string]string{"W46": "0", "W49": "0"}},
		{"chart-tips-table", "total", map[string]string{"W45": "0", "W46": "2", "W47": "2", "W48": "1", "W49": "3"}},
		{"chart-votes-table", "useful votes", map[string]string{"W45": "0", "W46": "2", "W47": "1", "W48": "3", "W49": "1"}},
		// Contributors count the authors of published tips (t7 and t8
		// are pending); alice, new in week 46, is not new in week 49.
		{"chart-contributors-table", "contributors", map[string]string{"W45": "0", "W46": "2", "W47": "2", "W48": "1", "W49": "1"}},
		{"chart-contributors-table", "new contributors", map[string]string{"W45": "0", "W46": "2", "W47": "2", "W48": "1", "W49": "0"}},
		{"chart-applied-table", "applied", map[string]string{"W46": "0", "W47": "1", "W48": "0", "W49": "0"}},
	} {
		for w, want := range tc.weeks {
			if got := week(tc.table, tc.row, w); got != want {
				t.Errorf("%s, %s, %s: %s, want %s", tc.table, tc.row, w, got, want)
			}
		}
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart-tips rect title').length`))
	if err != nil {
		t.Fatal(err)
	}
	if bars != 5 { // W46, W47, W48 (prefix), W49 (prefix and /tip)
		t.Errorf("the tips chart draws %d bars, want 5", bars)
	}
	// The month's funnels (December: week 49). Seen: alice, carol, you,
	// bob; voters: bob; contributors: alice (t6). Tips: t6, t7, t8
	// captured; t6 published, featured and in a path (by path add).
	for _, tc := range []struct {
		table string
		want  []string
	}{
		{"chart-funnel-people-table", []string{"people", "4", "1", "1"}},
		{"chart-funnel-nudges-table", []string{"nudges", "0", "0"}},
		{"chart-funnel-tips-table", []string{"tips", "3", "1", "1", "1", "0"}},
	} {
		if got := rows(tc.table); len(got) != 2 || !slices.Equal(got[1], tc.want) {
			t.Errorf("the funnel %s: %q, want the row %q", tc.table, got, tc.want)
		}
	}
	if path := os.Getenv("TIPBOT_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}

	// A forged POST (the session's cookie, no CSRF token) is refused.
	cookies, err := chromedp.Run(ctx, chromedp.Action[[]*network.Cookie](func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/dashboard/"}})
		return r.Cookies, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cookies) != 1 || !cookies[0].HTTPOnly || cookies[0].SameSite != network.CookieSameSiteStrict {
		t.Fatalf("session cookies: %+v", cookies)
	}
	for _, form := range []url.Values{{"action": {"approve"}, "tip": {"t7"}}, {"action": {"approve"}, "tip": {"t7"}, "csrf": {"forged"}}} {
		req, err := http.NewRequest("POST", base+"/dashboard/moderation", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forged POST %v: %d, want 403", form, resp.StatusCode)
		}
	}
	as("you", "/tips search small", regexp.QuoteMeta("No tip matches")) // t7 is still pending

	// An approve on the Moderation page publishes t7.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/dashboard/moderation"),
		chromedp.WaitVisible(chromedp.CSS(`#pending-t7 button.approve`)),
		chromedp.Click(chromedp.CSS(`#pending-t7 button.approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#mod-said`)),
	); err != nil {
		t.Fatalf("approve on the Moderation page: %v", err)
	}
	said, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#mod-said`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, "t7") {
		t.Errorf("tipbot's answer to the approve: %q", said)
	}
	left, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#pending-table tbody tr')].map(r => r.id)`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"pending-t8"}) {
		t.Errorf("pending after the approve: %q, want t8 alone", left)
	}
	as("you", "/tips top", "")
	p.expectText(wait, "keep commits small")

	// The Paths page: "move down" on the first tip of basics.
	pathOrder := func() []string {
		t.Helper()
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#path-table tbody tr')].map(r => r.id)`))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/dashboard/paths"),
		chromedp.WaitVisible(chromedp.CSS(`#path-basics a`)),
		chromedp.Click(chromedp.CSS(`#path-basics a`)),
		chromedp.WaitVisible(chromedp.CSS(`#path-tip-t1 button.down`)),
	); err != nil {
		t.Fatalf("open the path basics: %v", err)
	}
	if got := pathOrder(); !slices.Equal(got, []string{"path-tip-t1", "path-tip-t6", "path-tip-t2"}) {
		t.Errorf("basics shows %q, want t1 t6 t2", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#path-tip-t1 button.down`)),
		chromedp.WaitVisible(chromedp.CSS(`#path-moved`)),
	); err != nil {
		t.Fatalf("move t1 down: %v", err)
	}
	if got := pathOrder(); !slices.Equal(got, []string{"path-tip-t6", "path-tip-t1", "path-tip-t2"}) {
		t.Errorf("basics after t1 down shows %q, want t6 t1 t2", got)
	}
	as("you", "/tips path show basics", `1\. t6.*?2\. t1.*?3\. t2`)

	// Every page fits a phone's width: only tables scroll, inside their box.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dashboard/", "/dashboard/tips", "/dashboard/tips/t1", "/dashboard/people", "/dashboard/sessions", "/dashboard/moderation", "/dashboard/paths", "/dashboard/paths/basics"} {
		if status, text := dashboardVisit(t, ctx, base+path); status != http.StatusOK {
			t.Errorf("%s: %d %q", path, status, text)
		}
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if !fits {
			t.Errorf("%s is wider than a phone's screen", path)
		}
		if dir := os.Getenv("TIPBOT_PHONE_SCREENSHOTS"); dir != "" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			name := strings.Trim(strings.ReplaceAll(strings.TrimPrefix(path, "/dashboard"), "/", "-"), "-")
			if err := os.WriteFile(filepath.Join(dir, "phone-"+name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := chromedp.Do(ctx, chromedp.ResetViewport()); err != nil {
		t.Fatal(err)
	}

	// A reused link is refused.
	status, text := dashboardVisit(t, ctx, link) // refused: no refresh
	if status != http.StatusForbidden || !strings.Contains(text, "already used") {
		t.Errorf("reused link: %d %q", status, text)
	}
	// A session of another workspace finds none of this one's tips.
	// Its link's page moves on to the Overview (meta refresh): wait for it.
	if err := chromedp.Do(ctx, chromedp.Navigate(dashboardLink(t, bin, dir, config, "slack:T0OTHER", env)), chromedp.WaitVisible(chromedp.CSS(`#chart-tips-table`))); err != nil {
		t.Fatalf("link of another workspace: %v", err)
	}
	for _, path := range []string{"/dashboard/tips/t1", "/dashboard/tips/t7"} {
		status, text = dashboardVisit(t, ctx, base+path)
		if status != http.StatusNotFound || strings.Contains(text, "git bisect") || strings.Contains(text, "commits small") {
			t.Errorf("%s from another workspace's session: %d %q", path, status, text)
		}
	}
	status, text = dashboardVisit(t, ctx, base+"/dashboard/tips")
	if status != http.StatusOK || strings.Contains(text, "git bisect") || !strings.Contains(text, "slack:T0OTHER") {
		t.Errorf("the tips of another workspace's session: %d %q", status, text)
	}
	// An expired link is refused: the clock moves 16 minutes.
	late := dashboardLink(t, bin, dir, config, "local", env)
	p.send("/advance 16m")
	p.expectText(wait, "(the clock is now")
	status, text = dashboardVisit(t, ctx, late)
	if status != http.StatusForbidden || !strings.Contains(text, "expired") {
		t.Errorf("expired link: %d %q", status, text)
	}
	cancelBrowser()
	cancelAlloc()
	p.stop()
}

// dashboardVisit opens an address in the browser and returns the HTTP
// status and the text of the page (not for a link that opens a session:
// its page moves on at once).
func dashboardVisit(t *testing.T, ctx context.Context, address string) (int, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(address))
	if err != nil {
		t.Fatalf("open %s: %v", address, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil {
		t.Fatalf("read %s: %v", address, err)
	}
	return int(resp.Status), text
}
