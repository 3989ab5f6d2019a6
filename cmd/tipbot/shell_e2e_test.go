package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// e2eBuild builds the tipbot binary into dir and returns its path.
func e2eBuild(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build tipbot: %v", err)
	}
	bin := filepath.Join(dir, "tipbot")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// e2eRun runs the binary in dir with stdin and returns its standard output;
// it fails the test when tipbot exits with an error or writes to stderr.
func e2eRun(t *testing.T, bin, dir, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	// A token or setting from the environment must not change the run.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TIPBOT_") || strings.HasPrefix(kv, "SLACK_") || strings.HasPrefix(kv, "DISCORD_")
	})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tipbot %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("tipbot %s wrote to stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String()
}

// e2eContains fails the test for each wanted text missing from out.
func e2eContains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q; it is:\n%s", what, w, out)
		}
	}
}

// TestShellEndToEnd is issue 2's "Done when", on the real binary: votes in
// the shell, the leaderboard, a restart on the same file, and the export.
func TestShellEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	db := filepath.Join(dir, "tips.db")

	out := e2eRun(t, bin, dir, `/as alice
tip: use git bisect to find regressions #git
/as bob
/react 1 bulb
/as alice
/react 1 bulb
/as carol
/react 1 +1
/react 1 bulb
/unreact 1 +1
/tips top
`, "shell", "-db", db)
	e2eContains(t, "the first shell", out,
		"(you are alice in #general)\n[1] #general alice: tip: use git bisect to find regressions #git\n[1] tipbot reacted :bulb:\n",
		"(you are bob in #general)\n[1] bob reacted :bulb:\n",
		"(you are alice in #general)\n[1] alice reacted :bulb:\n",
		"(you are carol in #general)\n[1] carol reacted :+1:\n[1] carol reacted :bulb:\n[1] carol removed :+1:\n(private to carol) ",
	)
	top := out[strings.Index(out, "(private to carol) "):]
	e2eContains(t, "/tips top", top, "alice", "use git bisect to find regressions #git", "2 useful votes", "[1]")

	// A restart keeps the votes and goes on with the message ids.
	again := e2eRun(t, bin, dir, "/tips top\n/as bob\n/react 1 bulb\nhello\n", "shell", "-db", db)
	// The same leaderboard, read by "you" instead of carol.
	if got := again[:strings.Index(again, "(you are bob")]; got != strings.Replace(top, "carol", "you", 1) {
		t.Errorf("/tips top after a restart:\n%s\nbefore:\n%s", got, top)
	}
	e2eContains(t, "the second shell", again, "bob already reacted :bulb: to [1]\n[2] #general bob: hello\n")

	out = e2eRun(t, bin, dir, "", "export", "-format", "csv", "-db", db)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, out)
	}
	header := []string{"id", "workspace", "platform", "channel", "message_id", "author_id", "author_name", "text",
		"topics", "source", "session_id", "status", "useful_votes", "created_at", "applied", "paths", "visibility"}
	if len(rows) != 2 || !slices.Equal(rows[0], header) {
		t.Fatalf("export: want the header and one tip, got:\n%s", out)
	}
	tip := map[string]string{}
	for i, col := range header {
		tip[col] = rows[1][i]
	}
	for col, want := range map[string]string{
		"platform": "shell", "channel": "#general", "message_id": "1", "author_id": "alice", "author_name": "alice",
		"text": "use git bisect to find regressions #git", "topics": "git", "source": "prefix", "session_id": "",
		"status": "published", "useful_votes": "2", "applied": "0", "paths": "", "visibility": "workspace",
	} {
		if tip[col] != want {
			t.Errorf("export: %s = %q, want %q", col, tip[col], want)
		}
	}
	if !strings.Contains(tip["workspace"], "local") {
		t.Errorf("export: workspace = %q, want the shell's local workspace", tip["workspace"])
	}
	if _, err := time.Parse(time.RFC3339, tip["created_at"]); err != nil {
		t.Errorf("export: created_at %q is not RFC 3339: %v", tip["created_at"], err)
	}

	out = e2eRun(t, bin, dir, "", "export", "-db", db)
	var rec struct {
		ID          string   `json:"id"`
		Topics      []string `json:"topics"`
		UsefulVotes int      `json:"useful_votes"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("JSON Lines export: %v\n%s", err, out)
	}
	if rec.ID != tip["id"] || rec.UsefulVotes != 2 || !slices.Equal(rec.Topics, []string{"git"}) {
		t.Errorf("JSON Lines export = %+v, want the same tip as the CSV with 2 votes on git", rec)
	}
}

// TestNoArgumentsOpensShell checks that tipbot with no arguments and no
// configuration opens the shell, keeping its data in ./tipbot.db.
func TestNoArgumentsOpensShell(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	out := e2eRun(t, bin, work, "hello\n/react 1 star\n/quit\nnot read\n")
	if want := "[1] #general you: hello\n[1] you reacted :star:\n"; out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if _, err := os.Stat(filepath.Join(work, "tipbot.db")); err != nil {
		t.Errorf("no tipbot.db in the working directory: %v", err)
	}
	out = e2eRun(t, bin, work, "/react 1 star\n")
	if want := "you already reacted :star: to [1]\n"; out != want {
		t.Errorf("after a restart:\n%s\nwant:\n%s", out, want)
	}
}
