package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// e2eFail runs tipbot expecting it to fail and returns its standard error.
func e2eFail(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, e2eEnv()
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Run()
	timer.Stop()
	if err == nil {
		t.Fatalf("tipbot %s succeeded; want a failure. stdout:\n%s", strings.Join(args, " "), stdout.String())
	}
	return stderr.String()
}

// TestE2ENewcomer is issue 16's "Done when" through the binary and a shell
// script: /help on separate lines, a long tip kept whole, plurals, clearer
// answers, a reply to a closed session, "N shown of M", bidi controls and
// spreadsheet formulas in the CSV export.
func TestE2ENewcomer(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	long := "tip: " + strings.Repeat("abcdefghi ", 3900) + "#long"
	script := strings.Join([]string{
		"/help",
		"/as alice",
		long,
		"tip: \u202Egnp.exe is a picture #sec",
		"=1+1 is a formula #tip",
		"/tip -rf is dangerous #shell",
		"/as you",
		"/tips trainer add bob",
		"/tips trainer remove @nobody",
		"/tips prompt in 0m Git",
		"/tips prompt in 1h",
		"/tips prompt #Bad!chan Git",
		"/tips close t1",
		"/tips report #nowhere",
		"/tips prompt in 1h Git basics",
		"/as bob",
		"/reply 5 bisect finds the bad commit",
		"/tips close s1",
		"/as carol",
		"/reply 5 late answer",
		"/reply 5 another late answer",
		"/as alice",
		"tip: one #git", "tip: two #git", "tip: three #git", "tip: four #git", "tip: five #git", "tip: six #git",
		"/tips search git",
		"/tips me",
		"/tips forget-me",
		"/as bob",
		"/tips forget-me",
	}, "\n") + "\n"
	out := e2eRun(t, bin, dir, script, "shell", "-db", db)
	if strings.ContainsRune(out, '\uFFFD') && !strings.Contains(out, "[2] #general alice: tip: \uFFFDgnp.exe") {
		t.Errorf("replacement characters outside the bidi control:\n%s", out)
	}
	e2eContains(t, "the shell", out,
		"Shell commands:\n  TEXT                  post TEXT as the current user in the current channel\n  /as NAME              speak as NAME\n",
		"  /help                 this list\n  /quit                 leave\n(you are alice in #general)\n",
		"[2] #general alice: tip: \uFFFDgnp.exe is a picture #sec\n",
		"(private to you) bob is now a trainer.\n",
		"(private to you) @nobody is not a trainer added with /tips trainer add: nothing was removed.\n",
		"(private to you) \"0m\" is not a duration: use a positive one like 45m, 2h, 1h30m or 2d, e.g. /tips prompt in 45m Git basics.\n",
		"(private to you) A session needs a title: /tips prompt [#channel] [in <duration>] <title>, e.g. /tips prompt in 1h Git basics.\n",
		"(private to you) \"#Bad!chan\" is not a channel: write #name with letters, digits, '.', '-' or '_'",
		"(private to you) t1 is a tip id; session ids look like s3 (see /tips sessions).\n",
		"(private to you) 📊 Report — this month, #nowhere\n    No tip or session was ever recorded in #nowhere: check the channel's name, and that tipbot is a member of it.\n",
		"  ↳ [6] #general bob (reply to [5]): bisect finds the bad commit\n[6] tipbot reacted :bulb:\n",
		"(private to bob) Session s1 closed with 1 answer; the recap is posted.\n",
		"  ↳ [9] #general carol (reply to [5]): late answer\n(private to carol) Session s1 «Git basics» is closed: your reply is not one of its answers. To share it as a tip, start a message with tip:.\n  ↳ [10] #general carol (reply to [5]): another late answer\n(you are alice",
		"    5 shown of 6 tips: add words or a #topic to narrow the search.\n",
		"    Rank: 1 of 2 contributors (all time, 0 useful votes).\n",
		"    5 shown of 10 tips, most useful first.\n",
		"(private to alice) This erases your data: your 10 tips will be deleted,",
		"(private to bob) This erases your data: your 1 tip will be deleted,",
	)

	csvOut := e2eRun(t, bin, dir, "", "export", "-format", "csv", "-db", db)
	rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	texts := map[string][]string{}
	for _, r := range rows[1:] {
		texts[r[0]] = r
	}
	for id, want := range map[string]string{
		"t1": strings.TrimPrefix(long, "tip: "), "t2": "gnp.exe is a picture #sec", "t3": "'=1+1 is a formula #tip", "t4": "'-rf is dangerous #shell",
	} {
		if got := texts[id]; len(got) < 9 || got[7] != want {
			t.Errorf("CSV text of %s = %.80q, want %.80q", id, got, want)
		}
	}
	if got := texts["t1"]; len(got) < 9 || got[8] != "long" {
		t.Errorf("CSV topics of the long tip = %q, want long", got)
	}
	if strings.Contains(csvOut, "\u202E") {
		t.Errorf("the CSV export holds a U+202E")
	}
}

// TestE2EReadWhileRunning checks issue 16: while tipbot runs on its file,
// export and report read a snapshot from its /admin/backup when the
// configuration names it, and otherwise say how to get one; backup does
// not overwrite a file without -force.
func TestE2EReadWhileRunning(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	addr := e2eFreeAddr(t)
	live := filepath.Join(dir, "live.db")
	cfg := filepath.Join(dir, "tipbot.yaml")
	yaml := fmt.Sprintf("store: {path: %q}\nhttp: {addr: %q, admin_token: e2e-token-7c1d}\n", live, addr)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	sh := e2eStart(t, bin, dir, e2eEnv(), "shell", "-config", cfg)
	sh.send("/as alice", "tip: read while running #ops")
	sh.expectText(e2eWait, "[1] tipbot reacted :bulb:\n")
	e2eWaitHealthy(t, addr)

	if out := e2eRun(t, bin, dir, "", "export", "-config", cfg, "-format", "csv"); !strings.Contains(out, "read while running #ops") {
		t.Errorf("export while tipbot runs:\n%s", out)
	}
	if out := e2eRun(t, bin, dir, "", "report", "-config", cfg, "-period", "all"); !strings.Contains(out, "Tips captured: 1") {
		t.Errorf("report while tipbot runs:\n%s", out)
	}
	other := t.TempDir() // no configuration there: no snapshot to fetch
	errs := e2eFail(t, bin, other, "export", "-db", live)
	for _, want := range []string{live + " is in use by a running tipbot", "GET /admin/backup", "-db backup.db"} {
		if !strings.Contains(errs, want) {
			t.Errorf("export of a locked file without http.admin_token: stderr lacks %q:\n%s", want, errs)
		}
	}
	copyPath := filepath.Join(dir, "copy.db")
	e2eRun(t, bin, dir, "", "backup", "-config", cfg, "-o", copyPath)
	if errs := e2eFail(t, bin, dir, "backup", "-config", cfg, "-o", copyPath); !strings.Contains(errs, "already exists (add -force to overwrite it)") {
		t.Errorf("backup over an existing file:\n%s", errs)
	}
	sh.stop()
	// Stopped, the file itself is read, read-only.
	if out := e2eRun(t, bin, other, "", "export", "-db", live); !strings.Contains(out, "read while running #ops") {
		t.Errorf("export after tipbot stopped:\n%s", out)
	}
}

var e2eHTTPClient = &http.Client{Timeout: 5 * time.Second}

// e2eWaitHealthy waits until the HTTP server at addr answers /healthz.
func e2eWaitHealthy(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := e2eHTTPClient.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz did not answer 200 within 10s: %v", err)
		}
	}
}
