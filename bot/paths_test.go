package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

func newPathHarness(t *testing.T, configure func(*bot.Config)) *harness {
	return newHarness(t, func(c *bot.Config) {
		c.Trainers = []string{"trainer"}
		if configure != nil {
			configure(c)
		}
	})
}

// inPathCounter reads the tip funnel's "in a path" counter of this month.
func (h *harness) inPathCounter() int64 {
	h.t.Helper()
	return h.counter("inpath:" + bot.PeriodKey(bot.Month, h.clock(), h.cfg.Location))
}

// handout writes a path as the whole workspace reads it.
func (h *harness) handout(name, format string) string {
	h.t.Helper()
	p, tips, err := h.bot.PathTips(context.Background(), h.ws, name)
	if err != nil {
		h.t.Fatalf("PathTips(%q): %v", name, err)
	}
	var buf bytes.Buffer
	if err := bot.WritePath(&buf, format, p, tips, bot.Handout{Workspace: h.ws, Locale: h.cfg.Locale}); err != nil {
		h.t.Fatalf("WritePath %s: %v", format, err)
	}
	return buf.String()
}

// inOrder reports whether every one of words is in s, in that order.
func inOrder(s string, words ...string) bool {
	at := 0
	for _, w := range words {
		i := strings.Index(s[at:], w)
		if i < 0 {
			return false
		}
		at += i + len(w)
	}
	return true
}

// The "done when", in the core: a trainer makes a path of three
// tips, a member reads it, the handout credits the three authors in
// order, and a tip deleted at its source leaves the path.
func TestPathDoneWhen(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, nil)
	m1 := h.post(alice, "tip: git switch -c makes and checks out a branch #git")
	m2 := h.post(bob, "tip: git stash -u keeps untracked files too #git")
	m3 := h.post(carol, "tip: git log --oneline --graph draws the history #git")
	h.react(dave, m2, "bulb")
	h.react(dave, m3, "white_check_mark")

	if got := h.command(trainer, "tips", "path create git-basics Git basics"); !strings.Contains(got, "git-basics created") {
		t.Fatalf("create: %q", got)
	}
	got := h.command(trainer, "tips", "path add git-basics t3 t1 t2")
	if !inOrder(got, "t3 added to git-basics (tip 1", "t1 added to git-basics (tip 2", "t2 added to git-basics (tip 3") {
		t.Errorf("add: %q", got)
	}
	for _, m := range []string{m1, m2, m3} {
		if tip := h.tip(m); tip.Status != bot.StatusFeatured {
			t.Errorf("%s added to a path is %s, want featured", tip.ID, tip.Status)
		}
	}
	if got := h.inPathCounter(); got != 3 {
		t.Errorf("in-path counter = %d, want 3", got)
	}

	if got := h.command(dave, "tips", "path list"); !strings.Contains(got, "git-basics — Git basics (3 tips)") {
		t.Errorf("list: %q", got)
	}
	got = h.command(dave, "tips", "path show git-basics")
	if !inOrder(got, "Training path «Git basics» (git-basics)", "1. t3", "Carol", "0 useful votes", "applied by 1 person",
		"2. t1", "Alice", "3. t2", "Bob", "1 useful vote") {
		t.Errorf("show:\n%s", got)
	}
	md := h.handout("git-basics", "md")
	if !inOrder(md, "# Git basics", "3 tips, shared by Carol, Alice, Bob.", "## 1. git log", "By Carol (t3)",
		"## 2. git switch", "By Alice (t1)", "## 3. git stash", "By Bob (t2)", "Useful votes: 1") {
		t.Errorf("markdown handout:\n%s", md)
	}

	h.handle(&bot.MessageDeleted{EventMeta: h.meta(), Channel: "#general", MessageID: m1})
	got = h.command(dave, "tips", "path show git-basics")
	if strings.Contains(got, "t1") || !inOrder(got, "1. t3", "2. t2") {
		t.Errorf("show after t1 was deleted at its source:\n%s", got)
	}
	p, tips, err := h.bot.PathTips(context.Background(), h.ws, "git-basics")
	if err != nil || len(tips) != 2 || len(p.Tips) != 2 || p.Tips[0] != 3 || p.Tips[1] != 2 {
		t.Errorf("PathTips after the delete: %v %v, %v", p.Tips, len(tips), err)
	}
	if got := h.inPathCounter(); got != 2 {
		t.Errorf("in-path counter after the delete = %d, want 2", got)
	}
}

func TestPathCommandsCheckTheirInput(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, nil)
	h.post(alice, "tip: make -j4 builds in parallel")
	h.command(trainer, "tips", "path create build Build tools")
	for _, c := range []struct{ text, want string }{
		{"path", "Usage: /tips path list | show <name>"},
		{"path frob", "manage training paths"},
		{"path create", "Usage: /tips path create <name> <title>"},
		{"path create Bad/Name Title", `"Bad/Name" cannot be a path name`},
		{"path create -x Title", `"-x" cannot be a path name`},
		{"path create " + strings.Repeat("a", 33) + " Title", "cannot be a path name"},
		{"path create build Again", `already a training path "build"`},
		{"path create solo", "Usage:"},
		{"path add build", "Usage:"},
		{"path add nope t1", `no training path "nope"`},
		{"path add build x1", `no tip "x1"`},
		{"path add build t9", `no tip "t9"`},
		{"path show", "Usage: /tips path list | show <name>"},
		{"path show nope", `no training path "nope"`},
		{"path remove build t1", "t1 is not in training path build"},
		{"path move build t1 sideways", "Usage:"},
		{"path move build t1 up", "t1 is not in training path build"},
		{"path delete nope", `no training path "nope"`},
		{"path list extra", "Usage:"},
	} {
		if got := h.command(trainer, "tips", c.text); !strings.Contains(got, c.want) {
			t.Errorf("/tips %s = %q, want %q in it", c.text, got, c.want)
		}
	}
	// Names are read case-insensitively: BUILD is build.
	if got := h.command(trainer, "tips", "path add BUILD t1"); !strings.Contains(got, "t1 added to build") {
		t.Errorf("add to BUILD: %q", got)
	}
	if got := h.command(trainer, "tips", "path add build t1"); !strings.Contains(got, "t1 is already in build (tip 1): not added twice") {
		t.Errorf("adding twice: %q", got)
	}
	if p, _, _ := h.bot.PathTips(context.Background(), h.ws, "build"); len(p.Tips) != 1 {
		t.Errorf("path after adding twice: %v", p.Tips)
	}
}

func TestPathCommandsInFrench(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, func(c *bot.Config) { c.Locale = "fr" })
	h.post(alice, "astuce: ctrl+maj+v colle sans mise en forme")
	for _, c := range []struct{ text, want string }{
		{"path create Mauvais! Titre", "ne peut pas être un nom de parcours"},
		{"path create bureautique Bureautique", "Parcours de formation bureautique créé"},
		{"path add bureautique t1", "t1 ajoutée à bureautique (astuce 1 du parcours)"},
		{"path show bureautique", "Parcours de formation « Bureautique » (bureautique)"},
		{"path list", "bureautique — Bureautique (1 astuce)"},
	} {
		if got := h.command(trainer, "tips", c.text); !strings.Contains(got, c.want) {
			t.Errorf("/tips %s = %q, want %q in it", c.text, got, c.want)
		}
	}
	md := h.handout("bureautique", "md")
	if !inOrder(md, "# Bureautique", "1 astuce, partagées par Alice.", "Par Alice (t1)", "Votes utiles : 0", "Mise en pratique par : 0") {
		t.Errorf("French handout:\n%s", md)
	}
}

func TestPathRoles(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, nil)
	h.post(alice, "tip: htop sorts processes by memory with M")
	h.command(trainer, "tips", "path create ops Operations")
	h.command(trainer, "tips", "path add ops t1")
	for _, text := range []string{"path create mine Mine", "path add ops t1", "path remove ops t1", "path move ops t1 down", "path delete ops"} {
		if got := h.command(bob, "tips", text); !strings.Contains(got, "trainer") || strings.Contains(got, "added") || strings.Contains(got, "deleted") {
			t.Errorf("member's /tips %s = %q, want a refusal", text, got)
		}
	}
	if got := h.command(bob, "tips", "path show ops"); !strings.Contains(got, "1. t1") {
		t.Errorf("member's show: %q", got)
	}
	// A member asking for help sees the path commands he may use only.
	if got := h.command(bob, "tips", "help"); !strings.Contains(got, "/tips path list | show") || strings.Contains(got, "path create") {
		t.Errorf("member's help:\n%s", got)
	}
	if got := h.command(trainer, "tips", "help"); !strings.Contains(got, "/tips path create") {
		t.Errorf("trainer's help:\n%s", got)
	}
	ctx := context.Background()
	if err := h.bot.MovePathTip(ctx, h.ws, bot.User{ID: "bob"}, "ops", 1, 1); !errors.Is(err, bot.ErrForbidden) {
		t.Errorf("MovePathTip by a member: %v, want ErrForbidden", err)
	}
	if err := h.bot.MovePathTip(ctx, h.ws, bot.User{ID: "trainer"}, "nope", 1, 1); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("MovePathTip of an unknown path: %v, want ErrNotFound", err)
	}
	// An admin by what the platform or a dashboard session says may move.
	if err := h.bot.MovePathTip(ctx, h.ws, bot.User{ID: "operator", Admin: true}, "ops", 1, 1); err != nil {
		t.Errorf("MovePathTip by an admin: %v", err)
	}
}

func TestPathMoveRemoveDelete(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, nil)
	for _, text := range []string{"tip: one #a", "tip: two", "tip: three"} {
		h.post(alice, text)
	}
	h.command(trainer, "tips", "path create p1 First")
	h.command(trainer, "tips", "path create p2 Second")
	h.command(trainer, "tips", "path add p1 t1 t2 t3")
	h.command(trainer, "tips", "path add p2 t1")
	order := func(name string) []bot.TipID {
		p, _, err := h.bot.PathTips(context.Background(), h.ws, name)
		if err != nil {
			t.Fatal(err)
		}
		return p.Tips
	}
	if got := h.command(trainer, "tips", "path move p1 t3 up"); !strings.Contains(got, "t3 is now tip 2 of p1") {
		t.Errorf("move up: %q", got)
	}
	if got := h.command(trainer, "tips", "path move p1 t1 up"); !strings.Contains(got, "t1 is now tip 1 of p1") {
		t.Errorf("move the first up: %q", got)
	}
	if err := h.bot.MovePathTip(context.Background(), h.ws, bot.User{ID: "trainer"}, "p1", 1, 5); err != nil {
		t.Fatal(err)
	}
	if got := order("p1"); len(got) != 3 || got[0] != 3 || got[1] != 2 || got[2] != 1 {
		t.Errorf("p1 after the moves: %v, want [3 2 1]", got)
	}
	// t1 is in two paths: shown, exported, counted once.
	if got := h.command(bob, "tips", "show t1"); !strings.Contains(got, "Training paths: p1, p2") {
		t.Errorf("show t1:\n%s", got)
	}
	if got := h.inPathCounter(); got != 3 {
		t.Errorf("in-path counter = %d, want 3", got)
	}
	var buf bytes.Buffer
	if err := bot.Export(context.Background(), h.db, []bot.Workspace{h.ws}, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for _, want := range [][2]string{{"t1", "p1 p2"}, {"t2", "p1"}, {"t3", "p1"}} {
		for _, r := range rows[1:] {
			if r[col["id"]] == want[0] && r[col["paths"]] != want[1] {
				t.Errorf("export paths of %s = %q, want %q", want[0], r[col["paths"]], want[1])
			}
		}
	}

	if got := h.command(trainer, "tips", "path remove p1 t1"); !strings.Contains(got, "t1 removed from p1") {
		t.Errorf("remove: %q", got)
	}
	if got := h.inPathCounter(); got != 3 {
		t.Errorf("in-path counter with t1 still in p2 = %d, want 3", got)
	}
	if got := h.command(trainer, "tips", "path delete p2"); !strings.Contains(got, "p2 deleted") {
		t.Errorf("delete: %q", got)
	}
	if got := h.inPathCounter(); got != 2 {
		t.Errorf("in-path counter after p2 was deleted = %d, want 2", got)
	}
	got := h.command(bob, "tips", "show t1")
	if !strings.Contains(got, "Training paths: none") ||
		!inOrder(got, "added to path p1 by trainer", "added to path p2 by trainer", "removed from path p1 by trainer", "removed from path p2 by trainer") {
		t.Errorf("t1's history:\n%s", got)
	}
	if paths, _ := h.bot.Paths(context.Background(), h.ws); len(paths) != 1 || paths[0].Name != "p1" || paths[0].Title != "First" || paths[0].CreatedBy != "trainer" {
		t.Errorf("Paths = %+v", paths)
	}
}

// Adding a pending tip features it, which publishes it (as /tips feature
// does); a rejected tip is refused, and rejecting a tip takes it out of
// its paths.
func TestPathAddPendingAndRejected(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, func(c *bot.Config) { c.RequireApproval = true })
	m1 := h.post(alice, "tip: pending one")
	m2 := h.post(bob, "tip: to be rejected")
	h.command(trainer, "tips", "reject t2")
	h.command(trainer, "tips", "path create p Path")
	got := h.command(trainer, "tips", "path add p t1 t2")
	if !strings.Contains(got, "t1 added to p") || !strings.Contains(got, "t2 was rejected: it cannot go into a training path") {
		t.Errorf("add pending and rejected: %q", got)
	}
	if tip := h.tip(m1); tip.Status != bot.StatusFeatured {
		t.Errorf("the pending tip added is %s, want featured", tip.Status)
	}
	if got := h.counter("pending"); got != 0 {
		t.Errorf("pending counter = %d, want 0", got)
	}
	_ = m2
	h.command(trainer, "tips", "reject t1")
	if got := h.command(bob, "tips", "path show p"); strings.Contains(got, "t1") || !strings.Contains(got, "No tip in this path yet") {
		t.Errorf("show after t1 was rejected:\n%s", got)
	}
	if got := h.command(alice, "tips", "show t1"); !inOrder(got, "added to path p by trainer", "rejected by trainer", "removed from path p by trainer") {
		t.Errorf("t1's history:\n%s", got)
	}
	if got := h.inPathCounter(); got != 0 {
		t.Errorf("in-path counter = %d, want 0", got)
	}
}

// A restricted tip never goes into a path; a tip whose channel became
// private after it was added is shown only in its channel, and left out
// of handouts.
func TestPathConfidentiality(t *testing.T) {
	t.Parallel()
	h := newPathHarness(t, nil)
	h.announce(bot.Channel{ID: "#hr", Name: "hr", Kind: bot.ChannelPrivate})
	h.postIn("#hr", "", alice, "tip: the payroll cut-off is the 20th")
	h.postIn("#team", "", bob, "tip: the team budget is in the sheet")
	h.post(carol, "tip: everyone may read this")
	h.command(trainer, "tips", "path create onboarding Onboarding")
	if got := h.command(trainer, "tips", "path add onboarding t1 t2 t3"); !strings.Contains(got, "t1 was shared in a channel not everyone can read") {
		t.Errorf("adding a restricted tip: %q", got)
	}
	h.announce(bot.Channel{ID: "#team", Name: "team", Kind: bot.ChannelPrivate})
	got := h.command(dave, "tips", "path show onboarding")
	if strings.Contains(got, "budget") || strings.Contains(got, "payroll") || !strings.Contains(got, "1. t3") || !strings.Contains(got, "Not shown here: 1") {
		t.Errorf("show in #general:\n%s", got)
	}
	if got := h.command(dave, "tips", "path list"); !strings.Contains(got, "(1 tip)") {
		t.Errorf("list in #general: %q", got)
	}
	if got := h.commandIn("#team", dave, "tips", "path show onboarding"); !inOrder(got, "1. t2", "budget", "2. t3") {
		t.Errorf("show in #team:\n%s", got)
	}
	if md := h.handout("onboarding", "md"); strings.Contains(md, "budget") || !strings.Contains(md, "everyone may read") {
		t.Errorf("handout:\n%s", md)
	}
}

// Forget-me deletes the person's tips, which leave their paths, and
// unlinks the paths they created.
func TestPathForgetMe(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.Trainers = []string{"trainer", "alice"} })
	h.post(alice, "tip: alice's tip")
	h.post(bob, "tip: bob's tip")
	h.command(alice, "tips", "path create mine Alice's path")
	h.command(alice, "tips", "path add mine t1 t2")
	h.command(alice, "tips", "forget-me confirm")
	paths, err := h.bot.Paths(context.Background(), h.ws)
	if err != nil || len(paths) != 1 || paths[0].CreatedBy != "" || len(paths[0].Tips) != 1 || paths[0].Tips[0] != 2 {
		t.Fatalf("paths after forget-me: %+v, %v", paths, err)
	}
	if got := h.command(bob, "tips", "show t2"); strings.Contains(got, "alice") || !strings.Contains(got, "Training paths: mine") {
		t.Errorf("show t2:\n%s", got)
	}
	if got := h.inPathCounter(); got != 1 {
		t.Errorf("in-path counter = %d, want 1", got)
	}
}

func TestWritePathFormats(t *testing.T) {
	t.Parallel()
	ws := bot.Workspace{Platform: bot.Shell, ID: "local"}
	p := bot.Path{Name: "git", Title: "Git *basics*", Tips: []bot.TipID{2, 1}}
	tips := []bot.Tip{
		{ID: 2, Channel: "#general", MessageID: "5", AuthorID: "bob", AuthorName: "Bob", Text: "use `git add -p`\nhunk by hunk #git", Topics: []string{"git"}, Status: bot.StatusFeatured, UsefulVotes: 2, Applied: 1},
		{ID: 1, Channel: "#general", MessageID: "3", AuthorID: "alice", AuthorName: "Alice", Text: "git bisect", Status: bot.StatusFeatured},
	}
	link := func(t bot.Tip) string { return "https://chat.example/" + t.MessageID }
	var md bytes.Buffer
	if err := bot.WritePath(&md, "md", p, tips, bot.Handout{Workspace: ws, Link: link}); err != nil {
		t.Fatal(err)
	}
	if !inOrder(md.String(), "# Git \\*basics\\*", "## 1. use \\`git add -p\\` hunk by hunk #git", "> use `git add -p`\n> hunk by hunk #git",
		"- By Bob (t2)", "Useful votes: 2 · Put into practice by: 1", "Topics: #git", "[Source message](<https://chat.example/5>)", "## 2. git bisect", "By Alice (t1)") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var js bytes.Buffer
	if err := bot.WritePath(&js, "jsonl", p, tips, bot.Handout{Workspace: ws, Paths: map[bot.TipID][]string{2: {"git", "review"}}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("jsonl: %q", js.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["id"] != "t2" || first["workspace"] != "local" || first["author_name"] != "Bob" || len(first["paths"].([]any)) != 2 || second["id"] != "t1" || second["paths"].([]any)[0] != "git" {
		t.Errorf("jsonl records: %v / %v", first, second)
	}
	for k := range first {
		found := false
		for _, c := range bot.ExportColumns {
			found = found || c == k
		}
		if !found {
			t.Errorf("jsonl key %q is not an export column", k)
		}
	}
	var cs bytes.Buffer
	if err := bot.WritePath(&cs, "csv", p, tips, bot.Handout{Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(bot.ExportColumns, ",") || rows[1][0] != "t2" || rows[2][0] != "t1" {
		t.Errorf("csv: %q, %v", rows, err)
	}
	if err := bot.WritePath(&cs, "pdf", p, tips); err == nil {
		t.Error("WritePath pdf: no error")
	}
	var empty bytes.Buffer
	if err := bot.WritePath(&empty, "md", bot.Path{Name: "e", Title: "Empty"}, nil); err != nil || !strings.Contains(empty.String(), "no tips yet") {
		t.Errorf("empty path: %q, %v", empty.String(), err)
	}
}

func TestPathName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"git-basics": "git-basics", "Git_2": "git_2", "a": "a", " x ": "x"} {
		if got, ok := bot.PathName(in); !ok || got != want {
			t.Errorf("PathName(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-a", "_a", "a b", "é", "a/b", "#git", strings.Repeat("a", 33)} {
		if got, ok := bot.PathName(in); ok {
			t.Errorf("PathName(%q) = %q, ok", in, got)
		}
	}
}
