package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// e2eInOrder fails the test unless every one of wants is in out, in order.
func e2eInOrder(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	at := 0
	for _, w := range wants {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Errorf("%s lacks %q after position %d; it is:\n%s", what, w, at, out)
			return
		}
		at += i + len(w)
	}
}

// TestE2ETrainingPath is issue 13's "Done when" on the real binary: in the
// shell a trainer creates a path and adds three tips in order, a member
// lists and shows it, the Markdown handout credits the three authors in
// that order, and a tip deleted at its source leaves the path with two.
func TestE2ETrainingPath(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")

	// "you", the first shell user, is admin: trainers' commands are his.
	out := e2eRun(t, bin, dir, `/as alice
tip: git switch -c makes and checks out a branch #git
/as bob
tip: git stash -u keeps untracked files too #git
/as carol
tip: git log --oneline --graph draws the history #git
/as you
/tips path create git-basics Git basics
/tips path add git-basics t3 t1 t2
/as dave
/react 2 bulb
/tips path list
/tips path show git-basics
`, "shell", "-db", db)
	e2eInOrder(t, "the shell", out,
		"(private to you) ", "git-basics created",
		"t3 added to git-basics (tip 1 of the path)", "t1 added to git-basics (tip 2 of the path)", "t2 added to git-basics (tip 3 of the path)",
		"(private to dave) ", "git-basics — Git basics (3 tips)",
		"(private to dave) ", "Training path «Git basics» (git-basics)",
		"1. t3", "carol", "2. t1", "alice", "3. t2", "bob", "1 useful vote",
	)

	md := e2eRun(t, bin, dir, "", "export", "-db", db, "-path", "git-basics")
	e2eInOrder(t, "the Markdown handout", md,
		"# Git basics\n", "3 tips, shared by carol, alice, bob.",
		"## 1. git log --oneline --graph draws the history #git", "By carol (t3)",
		"## 2. git switch -c makes and checks out a branch #git", "By alice (t1)",
		"## 3. git stash -u keeps untracked files too #git", "By bob (t2)", "Useful votes: 1",
	)

	// Alice deletes her message: her tip leaves the path.
	out = e2eRun(t, bin, dir, "/as alice\n/delete 1\n/as dave\n/tips path show git-basics\n/tips show t2\n", "shell", "-db", db)
	show := out[strings.Index(out, "Training path «Git basics»"):]
	e2eInOrder(t, "/tips path show after the delete", show, "1. t3", "2. t2", "Tip t2", "Training paths: git-basics", "added to path git-basics by you")
	if strings.Contains(show[:strings.Index(show, "Tip t2")], "t1") {
		t.Errorf("the deleted tip is still shown in the path:\n%s", show)
	}
	md = e2eRun(t, bin, dir, "", "export", "-db", db, "-path", "git-basics")
	e2eInOrder(t, "the handout after the delete", md, "2 tips, shared by carol, bob.", "By carol (t3)", "By bob (t2)")
	if strings.Contains(md, "alice") {
		t.Errorf("the handout still credits alice:\n%s", md)
	}

	csvOut := e2eRun(t, bin, dir, "", "export", "-db", db, "-path", "git-basics", "-format", "csv", "-workspace", "local")
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][0] != "t3" || rows[2][0] != "t2" || rows[1][15] != "git-basics" {
		t.Errorf("csv handout: %v\n%s", err, csvOut)
	}
	jsonl := e2eRun(t, bin, dir, "", "export", "-db", db, "-path", "git-basics", "-format", "jsonl")
	var rec struct {
		ID    string   `json:"id"`
		Paths []string `json:"paths"`
	}
	if err := json.Unmarshal([]byte(strings.SplitN(jsonl, "\n", 2)[0]), &rec); err != nil || rec.ID != "t3" || len(rec.Paths) != 1 {
		t.Errorf("jsonl handout: %+v, %v\n%s", rec, err, jsonl)
	}
	all := e2eRun(t, bin, dir, "", "export", "-db", db, "-format", "csv")
	if !strings.Contains(all, ",git-basics,workspace") {
		t.Errorf("the export lacks the paths column:\n%s", all)
	}

	if errs := e2eFail(t, bin, dir, "export", "-db", db, "-path", "nope"); !strings.Contains(errs, `no training path "nope"`) || !strings.Contains(errs, "paths: git-basics") {
		t.Errorf("unknown path: %q", errs)
	}
	if errs := e2eFail(t, bin, dir, "export", "-db", db, "-path", "git-basics", "-format", "pdf"); !strings.Contains(errs, `unknown format "pdf"`) {
		t.Errorf("unknown format: %q", errs)
	}
}
