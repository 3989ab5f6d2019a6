package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// e2eRunAt runs the shell of the binary with its clock started at start
// (TIPBOT_FAKE_NOW) and returns its standard output.
func e2eRunAt(t *testing.T, bin, dir, start, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TIPBOT_") || strings.HasPrefix(kv, "SLACK_") || strings.HasPrefix(kv, "DISCORD_")
	}), fakeNowEnv+"="+start)
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

// followUpsIn returns, per person, how many follow-ups the shell printed.
func followUpsIn(out string) map[string]int {
	n := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		if who, ok := strings.CutPrefix(line, "(private to "); ok {
			if name, rest, ok := strings.Cut(who, ") "); ok && strings.HasPrefix(rest, "Did you put it into practice?") {
				n[name]++
			}
		}
	}
	return n
}

// TestShellFollowUpsEndToEnd is issue 12's "Done when" in the shell, on
// the real binary with a movable clock: a session with three answers is
// closed; 7 days later each answerer gets one follow-up naming their own
// answer; one answers applied, one not yet, one nothing; a restart sends
// nothing twice; 30 days after the close the second follow-up goes to all
// three; the report shows the applied marks and the answers.
func TestShellFollowUpsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	db := filepath.Join(dir, "tips.db")

	out := e2eRunAt(t, bin, dir, "2026-11-27T16:00:00Z", `/tips prompt in 1h Git basics
/as alice
/reply 1 git bisect finds the bad commit
/as bob
/reply 1 rebase -i squashes commits
/as carol
/reply 1 worktrees keep two branches checked out
/advance 2h
/advance 7d
/as alice
/tips applied t1
/as bob
/tips not-yet t2
/as you
/tips report
`, "shell", "-db", db)
	e2eContains(t, "the first week", out,
		"Recap of «Git basics»",
		"(private to alice) Did you put it into practice?\n    7 days ago in «Git basics» you retained:\n    • «git bisect finds the bad commit» (t1)",
		"(private to bob) Did you put it into practice?\n    7 days ago in «Git basics» you retained:\n    • «rebase -i squashes commits» (t2)",
		"(private to carol) Did you put it into practice?\n    7 days ago in «Git basics» you retained:\n    • «worktrees keep two branches checked out» (t3)",
		"Noted: you applied t1 (applied by 1 person).", "Noted: not yet for t2.",
		"Applied marks: 1",
		"Follow-up of s1 «Git basics» after 7 days: 3 sent — applied 1 · not yet 1 · not for me 0 · no answer 1",
	)
	if got := followUpsIn(out); got["alice"] != 1 || got["bob"] != 1 || got["carol"] != 1 || len(got) != 3 {
		t.Errorf("follow-ups in the first week: %v, want one each to alice, bob and carol", got)
	}

	// A restart a day later sends nothing twice; 30 days after the close
	// the second follow-up goes to all three.
	out = e2eRunAt(t, bin, dir, "2026-12-05T18:00:00Z", `/advance 1m
/advance 22d
/as bob
/tips applied t2
/as you
/tips report
/tips show t2
`, "shell", "-db", db)
	e2eContains(t, "after the restart", out,
		"(private to alice) Did you put it into practice?\n    30 days ago in «Git basics» you retained:\n    • «git bisect finds the bad commit» (t1)",
		"(private to bob) Did you put it into practice?\n    30 days ago in «Git basics» you retained:",
		"(private to carol) Did you put it into practice?\n    30 days ago in «Git basics» you retained:",
		"Noted: you applied t2 (applied by 1 person).",
		"Applied marks: 2",
		"Follow-up of s1 «Git basics» after 7 days: 3 sent — applied 1 · not yet 1 · not for me 0 · no answer 1",
		"Follow-up of s1 «Git basics» after 30 days: 3 sent — applied 1 · not yet 0 · not for me 0 · no answer 2",
		"0 useful votes · applied by 1 person",
	)
	first := out[:strings.Index(out, "(the clock is now 2026-12-05")]
	if got := followUpsIn(first); len(got) != 0 {
		t.Errorf("follow-ups sent again after the restart: %v", got)
	}
	if got := followUpsIn(out); got["alice"] != 1 || got["bob"] != 1 || got["carol"] != 1 || len(got) != 3 {
		t.Errorf("follow-ups after 30 days: %v, want one each", got)
	}
}
