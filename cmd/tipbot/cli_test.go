package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// cli runs tipbot in-process with an empty environment and returns its exit
// code and outputs.
func cli(t *testing.T, ctx context.Context, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, lookup: envOf()}
	code = e.run(ctx, args)
	return code, out.String(), errOut.String()
}

// mustCLI runs tipbot and fails the test unless it exits 0.
func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, context.Background(), stdin, args...)
	if code != 0 {
		t.Fatalf("tipbot %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// script is the scenario of issue 2's "Done when".
const script = `/as alice
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
`

func TestCLIUsage(t *testing.T) {
	t.Parallel()
	code, out, _ := cli(t, context.Background(), "", "help")
	if code != exitOK {
		t.Errorf("help: exit %d", code)
	}
	for _, v := range verbs {
		if !strings.Contains(out, "tipbot "+v.name) {
			t.Errorf("usage does not list %q:\n%s", v.name, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"export", "-nope"}, "flag provided but not defined: -nope"},
		{[]string{"check-config", "extra"}, `unexpected argument "extra"`},
		{[]string{"backup", "-db", "x.db"}, "-o OUT is required"},
		{[]string{"version", "now"}, `unexpected argument "now"`},
	} {
		code, _, errOut := cli(t, context.Background(), "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("tipbot %s: exit %d, stderr:\n%s\nwant exit 2 and %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
	code, _, errOut := cli(t, context.Background(), "", "export", "-h")
	if code != exitOK || !strings.Contains(errOut, "-workspace ID") {
		t.Errorf("export -h: exit %d, stderr:\n%s", code, errOut)
	}
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	out := mustCLI(t, "", "version")
	if !strings.HasPrefix(out, "tipbot ") || !strings.Contains(out, "go1.") || strings.Contains(out, "(devel)") {
		t.Errorf("version = %q", out)
	}
	for _, flag := range []string{"--version", "-version"} {
		if got := mustCLI(t, "", flag); got != out {
			t.Errorf("tipbot %s = %q, want %q", flag, got, out)
		}
	}
}

func TestCLICheckConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, "locale: fr\ntimezone: UTC\nstore: {path: /data/tips.db}\ndiscord: {enabled: true, token: s3cr3t-inline}\n")
	code, out, errOut := cli(t, context.Background(), "", "check-config", "-config", good)
	if code != exitOK || !strings.HasPrefix(out, "OK: "+good+"\n") || errOut != "" {
		t.Errorf("good config: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"adapters: discord", "store:    /data/tips.db", "locale:   fr, time zone UTC"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out)
		}
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "locale: de\nslack:\n  enabled: true\n  bot_token: s3cr3t-inline\n  tokn: s3cr3t-inline\n")
	code, out, errOut = cli(t, context.Background(), "", "check-config", "-config", bad)
	want := "tipbot: " + bad + `:1: locale: "de" is not en or fr` + "\n" +
		"tipbot: " + bad + `:3: slack.app_token: is empty, but slack.enabled is true in socket mode` +
		` (environment variable SLACK_APP_TOKEN is not set)` + "\n" +
		"tipbot: " + bad + `:5: unknown key "slack.tokn" (valid keys: api_url, app_token, bot_token, client_id, client_secret, enabled, mode, signing_secret)` + "\n"
	if code != exitError || out != "" || errOut != want {
		t.Errorf("bad config: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", code, out, errOut, want)
	}
	if strings.Contains(errOut, "s3cr3t") {
		t.Errorf("secret in the errors:\n%s", errOut)
	}

	code, _, errOut = cli(t, context.Background(), "", "check-config", "-config", filepath.Join(dir, "missing.yaml"))
	if code != exitError || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr:\n%s", code, errOut)
	}
}

// TestCLIShellExportBackup runs the "Done when" scenario through the shell
// verb, restarts, exports in both formats and backs up, on a real store
// file.
func TestCLIShellExportBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")
	out := mustCLI(t, script, "shell", "-db", db)
	if !strings.Contains(out, "2 useful votes") {
		t.Errorf("/tips top does not show 2 votes:\n%s", out)
	}
	// A restart keeps everything.
	out = mustCLI(t, "/tips top\n", "shell", "-db", db)
	if !strings.Contains(out, "2 useful votes") {
		t.Errorf("after a restart, /tips top does not show 2 votes:\n%s", out)
	}

	out = mustCLI(t, "", "export", "-db", db, "-format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("export has %d rows, want header and one tip:\n%s", len(rows), out)
	}
	rec := map[string]string{}
	for i, col := range rows[0] {
		rec[col] = rows[1][i]
	}
	for k, want := range map[string]string{"id": "t1", "workspace": "local", "platform": "shell", "channel": "#general",
		"author_id": "alice", "topics": "git", "source": "prefix", "status": "published", "useful_votes": "2"} {
		if rec[k] != want {
			t.Errorf("export %s = %q, want %q (record %q)", k, rec[k], want, rec)
		}
	}
	if _, err := time.Parse(time.RFC3339, rec["created_at"]); err != nil {
		t.Errorf("created_at: %v", err)
	}

	for _, ws := range []string{"", "local", "shell:local"} {
		args := []string{"export", "-db", db}
		if ws != "" {
			args = append(args, "-workspace", ws)
		}
		out = mustCLI(t, "", args...)
		var j map[string]any
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatalf("export %q: %v\n%s", ws, err, out)
		}
		if j["id"] != "t1" || j["useful_votes"] != 2.0 {
			t.Errorf("export %q = %v", ws, j)
		}
	}
	code, _, errOut := cli(t, context.Background(), "", "export", "-db", db, "-workspace", "T999")
	if code != exitError || !strings.Contains(errOut, `no workspace "T999"`) || !strings.Contains(errOut, "local (shell)") {
		t.Errorf("unknown workspace: exit %d, stderr:\n%s", code, errOut)
	}
	code, _, errOut = cli(t, context.Background(), "", "export", "-db", db, "-format", "xml")
	if code != exitError || !strings.Contains(errOut, `unknown format "xml" (want jsonl or csv)`) {
		t.Errorf("bad format: exit %d, stderr:\n%s", code, errOut)
	}

	// The report of the month.
	out = mustCLI(t, "", "report", "-db", db)
	for _, want := range []string{"Tips captured: 1", "1. alice — 1 tip, 2 useful votes", "#git"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if out2 := mustCLI(t, "", "report", "-db", db, "-period", "year", "-workspace", "local"); !strings.Contains(out2, "2 useful votes") {
		t.Errorf("report of the year:\n%s", out2)
	}
	code, _, errOut = cli(t, context.Background(), "", "report", "-db", db, "-period", "decade")
	if code != exitError || !strings.Contains(errOut, `unknown period "decade"`) {
		t.Errorf("bad period: exit %d, stderr:\n%s", code, errOut)
	}

	// Backup to a file, then read the copy.
	copyPath := filepath.Join(dir, "copy.db")
	out = mustCLI(t, "", "backup", "-db", db, "-o", copyPath)
	if !strings.Contains(out, "wrote "+copyPath) {
		t.Errorf("backup said %q", out)
	}
	if got, want := mustCLI(t, "", "export", "-db", copyPath, "-format", "csv"), mustCLI(t, "", "export", "-db", db, "-format", "csv"); got != want {
		t.Errorf("export of the backup:\n%s\nwant:\n%s", got, want)
	}
	// Backup to standard output is a database too.
	raw := mustCLI(t, "", "backup", "-db", db, "-o", "-")
	stdoutCopy := filepath.Join(dir, "stdout.db")
	writeFile(t, stdoutCopy, raw)
	if got := mustCLI(t, "", "export", "-db", stdoutCopy); !strings.Contains(got, `"id":"t1"`) {
		t.Errorf("export of the stdout backup = %q", got)
	}
	code, _, errOut = cli(t, context.Background(), "", "backup", "-db", db, "-o", db, "-force")
	if code != exitError || !strings.Contains(errOut, "is the database itself") {
		t.Errorf("backup onto itself: exit %d, stderr:\n%s", code, errOut)
	}
	// An existing file is kept unless -force (issue 16).
	writeFile(t, copyPath, "precious")
	code, _, errOut = cli(t, context.Background(), "", "backup", "-db", db, "-o", copyPath)
	if code != exitError || !strings.Contains(errOut, copyPath+" already exists (add -force to overwrite it)") {
		t.Errorf("backup over an existing file: exit %d, stderr:\n%s", code, errOut)
	}
	if got, err := os.ReadFile(copyPath); err != nil || string(got) != "precious" {
		t.Errorf("backup overwrote %s without -force: %q, %v", copyPath, got, err)
	}
	mustCLI(t, "", "backup", "-db", db, "-o", copyPath, "-force")
	if got := mustCLI(t, "", "export", "-db", copyPath); !strings.Contains(got, `"id":"t1"`) {
		t.Errorf("export of the forced backup = %q", got)
	}
}

func TestCLINoDatabase(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "typo.db")
	for _, args := range [][]string{{"export", "-db", missing}, {"backup", "-db", missing, "-o", missing + ".bak"}, {"report", "-db", missing}} {
		code, _, errOut := cli(t, context.Background(), "", args...)
		if code != exitError || !strings.Contains(errOut, "no database at "+missing) {
			t.Errorf("tipbot %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errOut)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a reading verb created %s", missing)
	}
}

// TestCLIShutdown cancels the context (as SIGINT does) while the shell
// waits for input: run returns 0 and the store is closed.
func TestCLIShutdown(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "tips.db")
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, errOut syncBuffer
	e := &env{stdin: pr, stdout: &out, stderr: &errOut, lookup: envOf()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- e.run(ctx, []string{"shell", "-db", db}) }()
	if _, err := io.WriteString(pw, "tip: commit early #git\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "tipbot reacted") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d, stderr:\n%s", code, errOut.String())
		}
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("run did not return after the context was canceled")
	}
	// The store was closed: it opens at once, with the tip.
	st, err := store.Open(db, store.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	err = st.View(context.Background(), bot.Workspace{Platform: bot.Shell, ID: "local"}, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(bot.Tip) error { n++; return nil })
	})
	if err != nil || n != 1 {
		t.Errorf("after shutdown: %d tips, %v; want 1", n, err)
	}
}

// TestCLIDefaultRun runs tipbot with no arguments in a folder holding a
// tipbot.yaml with no platform: it opens the shell on the configured store.
func TestCLIDefaultRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "tipbot.yaml", "store: {path: from-config.db}\nlocale: fr\n")
	out := mustCLI(t, "tip: astuce du jour #cli\n/tips top\n")
	if !strings.Contains(out, "astuce du jour") {
		t.Errorf("shell output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "from-config.db")); err != nil {
		t.Errorf("store.path of tipbot.yaml not used: %v", err)
	}
	// export finds the database through tipbot.yaml as well.
	if got := mustCLI(t, "", "export"); !strings.Contains(got, "astuce du jour") {
		t.Errorf("export = %q", got)
	}
	code, _, errOut := cli(t, context.Background(), "", "check-config")
	if code != exitOK {
		t.Errorf("check-config of tipbot.yaml: exit %d, %s", code, errOut)
	}
	if err := os.Remove("tipbot.yaml"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = cli(t, context.Background(), "", "check-config")
	if code != exitError || !strings.Contains(errOut, "no tipbot.yaml here") {
		t.Errorf("check-config without a file: exit %d, %s", code, errOut)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestSignals sends SIGINT and SIGTERM to the built binary while its shell
// waits for input: it exits 0 and leaves the store closed, tip included.
func TestSignals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "tipbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			db := filepath.Join(dir, strings.ReplaceAll(sig.String(), " ", "-")+".db")
			cmd := exec.Command(bin, "shell", "-db", db)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var out, errOut syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			if _, err := io.WriteString(stdin, "tip: sign your commits #git\n"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(out.String(), "tipbot reacted") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
				}
			case <-time.After(shutdownTimeout + 5*time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("tipbot did not stop on %v", sig)
			}
			if errOut.String() != "" {
				t.Errorf("stderr:\n%s", errOut.String())
			}
			if got := mustCLI(t, "", "export", "-db", db, "-format", "csv"); !strings.Contains(got, "sign your commits") {
				t.Errorf("export after %v = %q", sig, got)
			}
		})
	}
}
