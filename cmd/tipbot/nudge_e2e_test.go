package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nudgesIn returns, per person, how many nudges the shell printed.
func nudgesIn(out string) map[string]int {
	n := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		if who, ok := strings.CutPrefix(line, "(private to "); ok {
			if name, rest, ok := strings.Cut(who, ") "); ok && strings.HasPrefix(rest, "Your turn to share?") {
				n[name]++
			}
		}
	}
	return n
}

// TestShellNudgesEndToEnd is issue 13's "Done when" in the shell, on the
// real binary with nudges on and a movable clock: people with 3 useful
// votes and no tip get one invitation each, naming a tip they found
// useful; a second day and a restart bring none; a person who shared gets
// none; the report shows nudged → shared once a nudged person posts a
// tip; /tips quiet stops the next one after nudges.every while another
// person gets theirs.
func TestShellNudgesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	db := filepath.Join(dir, "tips.db")
	if err := os.WriteFile(filepath.Join(dir, "tipbot.yaml"), []byte("nudges: {enabled: true, after_votes: 3, every: 30d}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := e2eRunAt(t, bin, dir, "2026-11-27T09:00:00Z", `/as alice
tip: use git bisect to find the bad commit
tip: make small commits
tip: read the logs first
/as carol
/react 1 bulb
/react 2 bulb
/react 3 star
/as frank
/react 1 bulb
/react 2 bulb
/react 3 bulb
/as gina
/react 1 +1
/react 2 +1
/react 3 +1
/as dave
/react 1 bulb
/react 2 bulb
/react 3 bulb
tip: dave shares too
/advance 2h
/advance 1d
/as frank
/tips quiet
/as carol
tip: carol's first tip
/as you
/tips report
`, "shell", "-db", db)
	e2eContains(t, "the first days", out,
		"(private to carol) Your turn to share?\n    You found «read the logs first» (t3) useful.",
		"Share a tip: /tip <your tip>, or start a message with tip:, or react with :bookmark: to a message of yours.",
		"/tips quiet stops these messages.",
		"No more follow-ups or nudges for you.",
		"Participation funnel: seen 5 → voters 4 → contributors 3",
		"Nudges: sent 3 → shared a tip within 7 days 1",
		"Tip funnel: captured 5 → published 5 → featured 0 → in a path 0 → applied 0",
	)
	if got := nudgesIn(out); got["carol"] != 1 || got["frank"] != 1 || got["gina"] != 1 || len(got) != 3 {
		t.Errorf("nudges in the first days: %v, want one each to carol, frank and gina", got)
	}

	// A restart; frank and gina vote again; 30 days after the first
	// nudges only gina, not quiet, hears from tipbot again.
	out = e2eRunAt(t, bin, dir, "2026-12-20T11:00:00Z", `/advance 1m
/as alice
tip: one more
tip: and another
tip: and a last one
/as frank
/react 6 bulb
/react 7 bulb
/react 8 bulb
/as gina
/react 6 bulb
/react 7 bulb
/react 8 bulb
/advance 8d
`, "shell", "-db", db)
	// What /advance 8d sends is printed after gina's last vote.
	first := out[:strings.Index(out, "[8] gina reacted")]
	if got := nudgesIn(first); len(got) != 0 {
		t.Errorf("nudges before nudges.every: %v", got)
	}
	if got := nudgesIn(out); got["gina"] != 1 || len(got) != 1 {
		t.Errorf("nudges after nudges.every: %v, want one to gina only (frank asked for quiet, carol shared)", got)
	}
}
