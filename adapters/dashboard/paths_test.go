package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// discardChat is a chat that accepts every message and keeps the private
// ones' recipients (the nudges).
type discardChat struct {
	mu      sync.Mutex
	seq     int
	directs []string
}

func (c *discardChat) Post(context.Context, bot.Workspace, string, bot.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return fmt.Sprintf("bot-%d", c.seq), nil
}

func (c *discardChat) React(context.Context, bot.Workspace, string, string, string) error { return nil }

func (c *discardChat) Direct(_ context.Context, _ bot.Workspace, user string, _ bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.directs = append(c.directs, user)
	return nil
}

// TestOverviewFunnels: the Overview's three funnels, each a chart and its
// table, show the month's figures: people seen → voters → contributors,
// nudges sent → shared within 7 days, and the tips captured → published
// → featured → in a path → applied.
func TestOverviewFunnels(t *testing.T) {
	chat := &discardChat{}
	f := newFixtureWith(t, "en", true, func(c *bot.Config) { c.NudgesEnabled, c.NudgeAfterVotes = true, 1 }, chat)
	m1 := f.post("#general", "alice", "tip: use git bisect #git")
	f.post("#general", "bob", "tip: pytest -x stops at the first failure #python")
	f.post("#general", "carol", "tip: keep commits small #git")
	// Adding t1 to a path features it.
	for _, c := range []string{"approve t1", "approve t2", "approve t3", "feature t2", "path create basics Basics", "path add basics t1"} {
		f.command("you", c)
	}
	f.react("#general", m1, "dave", "bulb")
	f.react("#general", m1, "erin", "+1")
	f.command("bob", "applied t1")
	// dave and erin voted and never shared: the day's nudges (10:00) go
	// to them; dave then shares a tip (t4, pending).
	if err := f.bot.TickNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	chat.mu.Lock()
	nudged := slices.Sorted(slices.Values(chat.directs))
	chat.mu.Unlock()
	if !slices.Equal(nudged, []string{"dave", "erin"}) {
		t.Fatalf("nudged %q, want dave and erin", nudged)
	}
	f.post("#general", "dave", "tip: read the diff before you commit")

	c := f.signIn(local, "you", bot.RoleAdmin)
	code, page := f.get(c, "/dashboard/")
	if code != http.StatusOK {
		t.Fatalf("overview: %d\n%s", code, page)
	}
	for _, tc := range []struct {
		table, row string
		want       []string
	}{
		// Seen: alice, bob, carol, you, dave, erin; voters: dave, erin;
		// contributors: the authors of published tips, alice, bob, carol.
		{"chart-funnel-people-table", "people", []string{"6", "2", "3"}},
		{"chart-funnel-nudges-table", "nudges", []string{"2", "1"}},
		// t1–t4 captured; t1–t3 published; t1 (by the path) and t2
		// featured; t1 in basics; t1 applied.
		{"chart-funnel-tips-table", "tips", []string{"4", "3", "2", "1", "1"}},
	} {
		if got := cells(t, page, tc.table, tc.row); !slices.Equal(got, tc.want) {
			t.Errorf("%s, %s: %q, want %q", tc.table, tc.row, got, tc.want)
		}
	}
	for _, want := range []string{
		`<abbr title="people seen: they posted, reacted or ran a command">seen</abbr>`,
		`<abbr title="of them, in a training path">in a path</abbr>`,
		`<svg id="chart-funnel-tips"`,
		"<title>in a path, tips: 1</title>",
		"<title>shared in 7 days, nudges: 1</title>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the Overview lacks %s", want)
		}
	}
}

// TestOverviewFunnelsInFrench: the funnels speak the workspace's language.
func TestOverviewFunnelsInFrench(t *testing.T) {
	f := newFixture(t, "fr", false)
	f.post("#general", "alice", "astuce: ctrl+maj+v colle sans mise en forme")
	c := f.signIn(local, "you", bot.RoleAdmin)
	_, page := f.get(c, "/dashboard/")
	if got := cells(t, page, "chart-funnel-tips-table", "astuces"); !slices.Equal(got, []string{"1", "1", "0", "0", "0"}) {
		t.Errorf("tip funnel in French: %q", got)
	}
	for _, want := range []string{"Entonnoir de participation", ">votants</abbr>", ">en parcours</abbr>", `href="/dashboard/paths">Parcours</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the French Overview lacks %s", want)
		}
	}
}

// pathOrder returns the tip ids of a path's page, in the table's order.
func pathOrder(t *testing.T, page string) []string {
	t.Helper()
	var ids []string
	for _, m := range regexp.MustCompile(`<tr id="path-tip-(t\d+)">`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// pathFixture: alice, bob and carol share t1–t3 in #general, dave t4 in
// #team; path basics holds t1 t4 t2 t3, then #team becomes private (t4
// is restricted: never shown).
func pathFixture(t *testing.T) *fixture {
	f := newFixture(t, "en", false)
	f.handle(&bot.ChannelsUpdated{Channels: []bot.Channel{{ID: "#team", Name: "team", Kind: bot.ChannelPublic}}})
	f.post("#general", "alice", "tip: use git bisect #git")
	f.post("#general", "bob", "tip: pytest -x stops at the first failure #python")
	f.post("#general", "carol", "tip: keep commits small #git")
	f.post("#team", "dave", "tip: the staging password is in the vault")
	f.command("you", "path create basics Basics of the trade")
	if got := f.command("you", "path add basics t1 t4 t2 t3"); !strings.Contains(got, "t3 added") {
		t.Fatalf("path add: %q", got)
	}
	f.handle(&bot.ChannelsUpdated{Channels: []bot.Channel{{ID: "#team", Name: "team", Kind: bot.ChannelPrivate}}})
	return f
}

// TestPathsPage: the Paths page lists the paths; a path's page shows its
// tips in order, authors credited, restricted ones counted and not
// shown; move up and down reorder them through the core, for trainers
// only, with the session's CSRF token.
func TestPathsPage(t *testing.T) {
	f := pathFixture(t)
	c := f.signIn(local, "you", bot.RoleAdmin)
	code, page := f.get(c, "/dashboard/paths")
	if code != http.StatusOK || !strings.Contains(page, `<a href="/dashboard/paths/basics">basics</a></td><td>Basics of the trade</td><td class="n">4</td>`) ||
		!strings.Contains(page, `href="/dashboard/paths" aria-current="page">Paths</a>`) {
		t.Fatalf("paths: %d\n%s", code, page)
	}
	code, page = f.get(c, "/dashboard/paths/basics")
	if code != http.StatusOK {
		t.Fatalf("path: %d\n%s", code, page)
	}
	if got := pathOrder(t, page); !slices.Equal(got, []string{"t1", "t2", "t3"}) {
		t.Errorf("order %q, want t1 t2 t3", got)
	}
	for _, want := range []string{
		`<td><a href="/dashboard/tips/t1">t1</a></td><td>use git bisect #git</td><td>alice</td>`,
		"1 tip of this path is not shown: restricted to its channel",
		`href="/dashboard/paths/basics/download/md"`, `href="/dashboard/paths/basics/download/csv"`,
		`aria-label="Move t1 down"`, `aria-label="Move t3 up"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the path's page lacks %s", want)
		}
	}
	for _, not := range []string{"staging password", "t4", `aria-label="Move t1 up"`, `aria-label="Move t3 down"`} {
		if strings.Contains(page, not) {
			t.Errorf("the path's page shows %s", not)
		}
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if token == nil {
		t.Fatalf("no CSRF token in the forms:\n%s", page)
	}
	order := func() []string {
		t.Helper()
		p, _, err := f.bot.PathTips(context.Background(), local, "basics")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, id := range p.Tips {
			ids = append(ids, id.String())
		}
		return ids
	}

	// Forged forms are refused and change nothing.
	for _, form := range []url.Values{{"tip": {"t1"}, "dir": {"down"}}, {"tip": {"t1"}, "dir": {"down"}, "csrf": {"forged"}}} {
		if code, body := f.post2(c, "/dashboard/paths/basics/move", form); code != http.StatusForbidden || !strings.Contains(body, "security token") {
			t.Errorf("forged move %v: %d\n%s", form, code, body)
		}
	}
	if got := order(); !slices.Equal(got, []string{"t1", "t4", "t2", "t3"}) {
		t.Fatalf("after forged moves: %q", got)
	}

	// t1 down passes over the hidden t4: it now follows t2.
	resp, err := c.PostForm(f.srv.URL+"/dashboard/paths/basics/move", url.Values{"tip": {"t1"}, "dir": {"down"}, "csrf": {token[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/dashboard/paths/basics?moved=t1#path-tip-t1" {
		t.Fatalf("move: %d to %q", resp.StatusCode, loc)
	}
	if got := order(); !slices.Equal(got, []string{"t4", "t2", "t1", "t3"}) {
		t.Errorf("after t1 down: %q, want t4 t2 t1 t3", got)
	}
	_, page = f.get(c, "/dashboard/paths/basics?moved=t1")
	if got := pathOrder(t, page); !slices.Equal(got, []string{"t2", "t1", "t3"}) {
		t.Errorf("page after t1 down: %q, want t2 t1 t3", got)
	}
	if !strings.Contains(page, `id="path-moved">t1 is now tip 2 of the path.</p>`) {
		t.Errorf("no word of the move:\n%s", page)
	}
	// t3 up, then t2 up (already first: nothing moves).
	for _, move := range []struct{ tip, dir string }{{"t3", "up"}, {"t2", "up"}} {
		if code, _ := f.post2(c, "/dashboard/paths/basics/move", url.Values{"tip": {move.tip}, "dir": {move.dir}, "csrf": {token[1]}}); code != http.StatusSeeOther {
			t.Errorf("move %s %s: %d", move.tip, move.dir, code)
		}
	}
	_, page = f.get(c, "/dashboard/paths/basics")
	if got := pathOrder(t, page); !slices.Equal(got, []string{"t2", "t3", "t1"}) {
		t.Errorf("page after t3 up: %q, want t2 t3 t1", got)
	}
	// The restricted tip cannot be moved from the dashboard, nor a tip
	// of no path, nor in an unknown direction.
	for _, form := range []url.Values{{"tip": {"t4"}, "dir": {"up"}}, {"tip": {"t9"}, "dir": {"up"}}, {"tip": {"t1"}, "dir": {"sideways"}}} {
		form.Set("csrf", token[1])
		if code, _ := f.post2(c, "/dashboard/paths/basics/move", form); code != http.StatusNotFound {
			t.Errorf("move %v: %d, want 404", form, code)
		}
	}

	// A session whose person is no longer a trainer for the core is
	// refused, whatever its link said.
	bob := f.signIn(local, "bob", bot.RoleTrainer)
	_, bobPage := f.get(bob, "/dashboard/paths/basics")
	bobToken := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(bobPage)
	if bobToken == nil {
		t.Fatalf("no CSRF token in bob's page:\n%s", bobPage)
	}
	if code, body := f.post2(bob, "/dashboard/paths/basics/move", url.Values{"tip": {"t1"}, "dir": {"up"}, "csrf": {bobToken[1]}}); code != http.StatusForbidden || !strings.Contains(body, "Only trainers") {
		t.Errorf("bob's move: %d\n%s", code, body)
	}
	// A trainer by /tips trainer add may.
	f.command("you", "trainer add bob")
	if code, _ := f.post2(bob, "/dashboard/paths/basics/move", url.Values{"tip": {"t1"}, "dir": {"up"}, "csrf": {bobToken[1]}}); code != http.StatusSeeOther {
		t.Errorf("trainer bob's move: %d", code)
	}
	if got := order(); !slices.Equal(got, []string{"t4", "t2", "t1", "t3"}) {
		t.Errorf("after bob's t1 up: %q, want t4 t2 t1 t3", got)
	}

	if code, _ := f.get(c, "/dashboard/paths/nope"); code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	other := f.signIn(bot.Workspace{Platform: bot.Shell, ID: "other"}, "you", bot.RoleAdmin)
	if code, body := f.get(other, "/dashboard/paths/basics"); code != http.StatusNotFound || strings.Contains(body, "git bisect") {
		t.Errorf("another workspace's session: %d\n%s", code, body)
	}
	if code, _ := f.get(other, "/dashboard/paths/basics/download/md"); code != http.StatusNotFound {
		t.Errorf("another workspace's download: %d", code)
	}
}

// download fetches a handout and returns its headers and content.
func (f *fixture) download(c *http.Client, path string) (http.Header, string) {
	f.t.Helper()
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("%s: %d\n%s", path, resp.StatusCode, b)
	}
	return resp.Header, string(b)
}

// TestPathDownloads: a path's handout downloads as Markdown and CSV, a
// file named after the path, authors credited in the path's order, the
// restricted tip left out.
func TestPathDownloads(t *testing.T) {
	f := pathFixture(t)
	f.command("you", "path move basics t3 up")
	f.command("you", "path move basics t3 up") // t1 t3 t4 t2: shown t1 t3 t2
	c := f.signIn(local, "you", bot.RoleAdmin)

	h, md := f.download(c, "/dashboard/paths/basics/download/md")
	if got := h.Get("Content-Disposition"); got != `attachment; filename=basics.md` {
		t.Errorf("Markdown's Content-Disposition %q", got)
	}
	if got := h.Get("Content-Type"); got != "text/markdown; charset=utf-8" {
		t.Errorf("Markdown's Content-Type %q", got)
	}
	if !inOrder(md, "# Basics of the trade", "3 tips, shared by alice, carol, bob.",
		"## 1. use git bisect", "By alice (t1)", "## 2. keep commits small", "By carol (t3)", "## 3. pytest -x", "By bob (t2)") ||
		strings.Contains(md, "staging") || strings.Contains(md, "dave") {
		t.Errorf("Markdown handout:\n%s", md)
	}

	h, body := f.download(c, "/dashboard/paths/basics/download/csv")
	if got := h.Get("Content-Disposition"); got != `attachment; filename=basics.csv` {
		t.Errorf("CSV's Content-Disposition %q", got)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	if len(records) != 4 {
		t.Fatalf("CSV has %d records, want a header and 3 tips:\n%s", len(records), body)
	}
	col := slices.Index(records[0], "author_name")
	idCol := slices.Index(records[0], "id")
	if col < 0 || idCol < 0 {
		t.Fatalf("CSV header %q", records[0])
	}
	var got []string
	for _, r := range records[1:] {
		got = append(got, r[idCol]+" "+r[col])
	}
	if want := []string{"t1 alice", "t3 carol", "t2 bob"}; !slices.Equal(got, want) {
		t.Errorf("CSV rows %q, want %q", got, want)
	}
	if code, _ := f.get(c, "/dashboard/paths/basics/download/pdf"); code != http.StatusNotFound {
		t.Errorf("unknown format: %d", code)
	}
	if code, _ := f.get(f.browser(), "/dashboard/paths/basics/download/md"); code != http.StatusUnauthorized {
		t.Errorf("download without a session: %d", code)
	}
}

// inOrder reports whether s holds each of parts, in that order.
func inOrder(s string, parts ...string) bool {
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}
