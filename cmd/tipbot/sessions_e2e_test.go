package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests of this file and of report_e2e_test.go try issues 5 and 6 as a
// new user would: the real tipbot binary, driven through its shell. The
// timed ones keep standard input open, since the shell stops at the end of
// its input and the scheduler (deadlines, recaps) only runs while tipbot
// does, and read the output as it comes.

// e2eShared is one tipbot binary for all the tests that ask for it. Tests
// take it before t.Parallel, so that it is removed once the last of them
// is done.
var e2eShared struct {
	mu    sync.Mutex
	users int
	dir   string
	bin   string
}

// e2eRace reports whether the tests run with the race detector; the
// binary they try is then built with it too.
func e2eRace() bool {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// e2eBuildRace builds tipbot into dir, with the race detector when the
// tests have it, and returns its path.
func e2eBuildRace(t *testing.T, dir string) string {
	t.Helper()
	if !e2eRace() {
		return e2eBuild(t, dir)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build tipbot: %v", err)
	}
	bin := filepath.Join(dir, "tipbot")
	out, err := exec.Command(goTool, "build", "-race", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -race: %v\n%s", err, out)
	}
	return bin
}

// e2eBinary builds tipbot once for the tests of the package that use it
// (with the race detector when the tests have it, so that a data race in
// tipbot fails them: it exits with status 66); call it before t.Parallel.
func e2eBinary(t *testing.T) string {
	t.Helper()
	e2eShared.mu.Lock()
	defer e2eShared.mu.Unlock()
	if e2eShared.bin == "" {
		dir, err := os.MkdirTemp("", "tipbot-e2e-")
		if err != nil {
			t.Fatal(err)
		}
		e2eShared.dir = dir
		t.Cleanup(func() {
			// The build failed: nobody else will remove the folder.
			e2eShared.mu.Lock()
			defer e2eShared.mu.Unlock()
			if e2eShared.bin == "" && e2eShared.dir == dir {
				os.RemoveAll(dir)
				e2eShared.dir = ""
			}
		})
		e2eShared.bin = e2eBuildRace(t, dir)
	}
	e2eShared.users++
	t.Cleanup(func() {
		e2eShared.mu.Lock()
		defer e2eShared.mu.Unlock()
		if e2eShared.users--; e2eShared.users == 0 {
			os.RemoveAll(e2eShared.dir)
			e2eShared.bin, e2eShared.dir = "", ""
		}
	})
	return e2eShared.bin
}

// e2eEnv is the environment of a tipbot run: the test's, without tipbot,
// Slack or Discord settings, plus extra. A race-enabled tipbot exits
// without the race runtime's default one-second pause.
func e2eEnv(extra ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TIPBOT_") || strings.HasPrefix(kv, "SLACK_") || strings.HasPrefix(kv, "DISCORD_")
	})
	if _, set := os.LookupEnv("GORACE"); !set {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, extra...)
}

// e2eExec runs tipbot to its end with stdin and returns its standard
// output; it fails the test when tipbot fails or writes to stderr.
func e2eExec(t *testing.T, bin, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, e2eEnv()
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("tipbot %s: %v", strings.Join(args, " "), err)
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if err != nil {
		t.Fatalf("tipbot %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("tipbot %s wrote to stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String()
}

// e2eBuffer collects a stream and tells waiters when it grows.
type e2eBuffer struct {
	mu      sync.Mutex
	b       []byte
	changed chan struct{} // closed at the next write
}

func newE2EBuffer() *e2eBuffer { return &e2eBuffer{changed: make(chan struct{})} }

func (b *e2eBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(b.b, p...)
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// read returns what was written so far and a channel closed at the next write.
func (b *e2eBuffer) read() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b), b.changed
}

// e2eProc is a tipbot process whose standard input stays open until stop.
type e2eProc struct {
	t      *testing.T
	name   string // for messages: the command line
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *e2eBuffer
	stderr *e2eBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit, once done is closed
	pos    int           // how far expect has consumed stdout
	closed bool          // stdin closed
}

// e2eStart starts tipbot in dir with args and the environment env.
func e2eStart(t *testing.T, bin, dir string, env []string, args ...string) *e2eProc {
	t.Helper()
	p := &e2eProc{
		t:      t,
		name:   "tipbot " + strings.Join(args, " "),
		cmd:    exec.Command(bin, args...),
		stdout: newE2EBuffer(),
		stderr: newE2EBuffer(),
		done:   make(chan struct{}),
	}
	p.cmd.Dir, p.cmd.Env = dir, env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// send writes lines to tipbot's standard input.
func (p *e2eProc) send(lines ...string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, strings.Join(lines, "\n")+"\n"); err != nil {
		p.t.Fatalf("%s: write %q: %v\nstdout:\n%s", p.name, lines, err, p.output())
	}
}

// output is everything tipbot printed so far.
func (p *e2eProc) output() string {
	s, _ := p.stdout.read()
	return s
}

// expect waits up to timeout for the regular expression re to match the
// output not yet consumed, consumes it up to the end of the match and
// returns the match and its groups. It fails the test when the time runs
// out or tipbot exits first.
func (p *e2eProc) expect(timeout time.Duration, re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		out, changed := p.stdout.read()
		if loc := rx.FindStringSubmatchIndex(out[p.pos:]); loc != nil {
			m := make([]string, len(loc)/2)
			for i := range m {
				if loc[2*i] >= 0 {
					m[i] = out[p.pos+loc[2*i] : p.pos+loc[2*i+1]]
				}
			}
			p.pos += loc[1]
			return m
		}
		select {
		case <-changed:
		case <-p.done:
			if out, _ := p.stdout.read(); rx.MatchString(out[p.pos:]) {
				continue
			}
			errs, _ := p.stderr.read()
			p.t.Fatalf("%s exited (%v) before printing /%s/; after what was read, it printed:\n%s\nstderr:\n%s",
				p.name, p.err, re, out[p.pos:], errs)
		case <-deadline.C:
			p.t.Fatalf("%s did not print /%s/ within %v; after what was read, it printed:\n%s", p.name, re, timeout, out[p.pos:])
		}
	}
}

// expectText is expect for a literal text.
func (p *e2eProc) expectText(timeout time.Duration, text string) {
	p.t.Helper()
	p.expect(timeout, regexp.QuoteMeta(text))
}

// closeInput closes tipbot's standard input: the shell ends there.
func (p *e2eProc) closeInput() {
	if !p.closed {
		p.closed = true
		p.stdin.Close()
	}
}

// stop closes standard input, waits for tipbot to exit and returns its
// whole output. It fails the test when tipbot does not exit in time,
// exits with an error, or wrote to stderr.
func (p *e2eProc) stop() string {
	p.t.Helper()
	p.closeInput()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatalf("%s did not exit within 20s of the end of its input; it printed:\n%s", p.name, p.output())
	}
	out := p.output()
	errs, _ := p.stderr.read()
	if p.err != nil {
		p.t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", p.name, p.err, out, errs)
	}
	if errs != "" {
		p.t.Errorf("%s wrote to stderr:\n%s", p.name, errs)
	}
	return out
}

// e2eRecapRE matches the recap of the session titled title posted in the
// channel (not the copy in the thread), with its id and its lines.
func e2eRecapRE(title string) string {
	return `(?m)^\[\d+\] #general tipbot: Recap of «` + regexp.QuoteMeta(title) + `» \((s\d+)\)\n((?: {4}.*\n)+)`
}

// e2eThreadRecapRE matches the recap of title posted in the thread of the
// prompt whose message id is prompt.
func e2eThreadRecapRE(prompt, title string) string {
	return `(?m)^  ↳ \[\d+\] #general tipbot \(reply to \[` + prompt + `\]\): Recap of «` + regexp.QuoteMeta(title) + `» \((s\d+)\)\n`
}

// TestE2ESessionRecap is issue 5's "Done when", first part: a trainer
// prompts "in 1m", three people reply in the thread, two of the replies get
// votes, and about a minute later the recap, in the thread and in the
// channel, names the participants and shows the most useful answer first.
// It is posted once.
func TestE2ESessionRecap(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	sh := e2eStart(t, bin, dir, e2eEnv(), "shell", "-db", filepath.Join(dir, "tips.db"))
	const wait = 5 * time.Second

	sent := time.Now()
	sh.send("/tips prompt in 1m Git basics")
	m := sh.expect(wait, `(?m)^\[(\d+)\] #general tipbot: 📝 What did you retain from «Git basics»\? Reply in this thread with one tip each\.\n\s+Session (s\d+) — open until `)
	prompt, session := m[1], m[2]
	sh.expectText(wait, "(private to you) Session "+session+" «Git basics» is open until")

	answers := []struct{ who, text string }{
		{"alice", "git bisect finds the commit that broke the build"},
		{"bob", "git stash keeps unfinished work aside"},
		{"carol", "git log -p shows what each commit changed"},
	}
	ids := map[string]string{} // who → message id of their answer
	for _, a := range answers {
		sh.send("/as "+a.who, "/reply "+prompt+" "+a.text)
		m := sh.expect(wait, `(?m)^  ↳ \[(\d+)\] #general `+a.who+` \(reply to \[`+prompt+`\]\): `+regexp.QuoteMeta(a.text)+"\n")
		ids[a.who] = m[1]
		sh.expectText(wait, "["+m[1]+"] tipbot reacted :bulb:")
	}
	// bob's answer gets two votes, carol's one, alice's none: the recap
	// lists bob's first although alice answered first.
	for _, v := range []struct{ who, answer, emoji string }{
		{"dave", "bob", "bulb"}, {"alice", "bob", "+1"}, {"erin", "carol", "star"},
	} {
		sh.send("/as "+v.who, "/react "+ids[v.answer]+" "+v.emoji)
		sh.expectText(wait, "["+ids[v.answer]+"] "+v.who+" reacted :"+v.emoji+":")
	}
	sh.send("/as you", "/tips sessions")
	sh.expect(wait, `(?m)^    `+session+` «Git basics» in #general — 3 answers, open until .* \[`+prompt+`\]\n`)
	if out := sh.output(); strings.Contains(out, "Recap of") {
		t.Fatalf("a recap before the deadline:\n%s", out)
	}

	sh.expect(90*time.Second, e2eThreadRecapRE(prompt, "Git basics"))
	m = sh.expect(wait, e2eRecapRE("Git basics"))
	elapsed := time.Since(sent)
	t.Logf("recap printed %v after the prompt was sent", elapsed.Round(time.Millisecond))
	// (A second of slack: the deadline is wall-clock time, elapsed is not.)
	if elapsed < 59*time.Second || elapsed > 75*time.Second {
		t.Errorf("the recap came %v after the prompt; want about a minute (the prompt said in 1m)", elapsed)
	}
	if m[1] != session {
		t.Errorf("the recap is of session %s, want %s", m[1], session)
	}
	recap := m[2]
	e2eContains(t, "the recap", recap, "3 answers", "3 participants", "alice", "bob", "carol")
	lines := strings.Split(strings.TrimRight(recap, "\n"), "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "1. ") })
	if first < 0 || first+2 >= len(lines) {
		t.Fatalf("the recap does not list the answers 1., 2., 3.:\n%s", recap)
	}
	for i, want := range []struct{ who, text, votes string }{
		{"bob", answers[1].text, "2 useful votes"},
		{"carol", answers[2].text, "1 useful vote"},
		{"alice", answers[0].text, "0 useful votes"},
	} {
		e2eContains(t, fmt.Sprintf("answer %d of the recap", i+1), lines[first+i],
			fmt.Sprintf("%d. ", i+1), want.text, want.who, want.votes, "["+ids[want.who]+"]")
	}

	// A session closes once: no second recap, neither from the scheduler
	// nor from /tips close.
	time.Sleep(3 * time.Second)
	sh.send("/tips close " + session)
	sh.expectText(wait, "(private to you) Session "+session+" is already closed.")
	sh.send("/tips sessions")
	sh.expect(wait, `(?m)^    `+session+` «Git basics» in #general — 3 answers, closed `)
	out := sh.stop()
	if n := strings.Count(out, "Recap of «Git basics»"); n != 2 {
		t.Errorf("the recap was printed %d times, want twice (once in the thread, once in the channel):\n%s", n, out)
	}
}

// e2eNextFriday17 returns the next 17:00 on a Friday in Paris after now.
func e2eNextFriday17(t *testing.T, now time.Time) time.Time {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	d := now.In(paris)
	for i := 0; ; i++ {
		day := time.Date(d.Year(), d.Month(), d.Day()+i, 17, 0, 0, 0, paris)
		if day.Weekday() == time.Friday && day.After(now) {
			return day
		}
	}
}

// TestE2EScheduleParisTime is issue 5's "Done when", second part: a
// schedule added with CRON_TZ=Europe/Paris lists its next run at 17:00
// Paris time, with the zone, and keeps it across a restart. A bad
// expression is refused with an example of a good one.
func TestE2EScheduleParisTime(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")

	before := e2eNextFriday17(t, time.Now())
	out := e2eExec(t, bin, dir, `/tips schedule add "CRON_TZ=Europe/Paris 0 17 * * FRI" Weekly retro
/tips schedule add "0 17 * * FRIDAY-ish" Broken
/tips schedule list
`, "shell", "-db", db)
	after := e2eNextFriday17(t, time.Now())
	var wants []string
	for _, next := range []time.Time{before, after} {
		w := next.Format("2006-01-02 15:04 MST") + " (Europe/Paris)"
		if !slices.Contains(wants, w) {
			wants = append(wants, w)
		}
	}
	for _, w := range wants {
		if !strings.Contains(w, " 17:00 CET ") && !strings.Contains(w, " 17:00 CEST ") {
			t.Fatalf("the expected next run %q is not 17:00 Paris time", w)
		}
	}
	m := regexp.MustCompile(`\(private to you\) Schedule (c\d+) added: «Weekly retro» in #general, next run (.*)\.\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("/tips schedule add did not confirm the schedule with its next run:\n%s", out)
	}
	id := m[1]
	if !slices.Contains(wants, m[2]) {
		t.Errorf("/tips schedule add: next run %q, want %s", m[2], strings.Join(wants, " or "))
	}
	e2eContains(t, "the refusal of a bad cron expression", out,
		`"0 17 * * FRIDAY-ish" is not a valid cron expression`, `e.g. /tips schedule add "CRON_TZ=Europe/Paris 0 17 * * FRI"`)
	if strings.Contains(out, "«Broken»") {
		t.Errorf("a bad cron expression was accepted:\n%s", out)
	}
	listRE := regexp.MustCompile(`(?m)^    ` + id + ` «Weekly retro» in #general — CRON_TZ=Europe/Paris 0 17 \* \* FRI — next: (.*)\n`)
	check := func(what, out string) {
		t.Helper()
		m := listRE.FindStringSubmatch(out)
		switch {
		case m == nil:
			t.Errorf("%s does not list %s with its next run:\n%s", what, id, out)
		case !slices.Contains(wants, m[1]):
			t.Errorf("%s: next run %q, want %s", what, m[1], strings.Join(wants, " or "))
		}
		if n := strings.Count(out, "«Weekly retro» in #general — "); n != 1 {
			t.Errorf("%s lists «Weekly retro» %d times, want once:\n%s", what, n, out)
		}
	}
	check("/tips schedule list", out[strings.Index(out, "Scheduled prompts"):])

	// Schedules live in the database: a restart lists the same.
	again := e2eExec(t, bin, dir, "/tips schedule list\n", "shell", "-db", db)
	check("/tips schedule list after a restart", again)
}

// TestE2EMissedRecapAfterRestart is issue 5's "Done when", last part: a
// trainer prompts "in 1m" and quits at once; the deadline passes while
// tipbot is down; the next start posts the missed recap, once; the start
// after that posts nothing.
func TestE2EMissedRecapAfterRestart(t *testing.T) {
	bin := e2eBinary(t)
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "tips.db")
	const wait = 5 * time.Second

	sh := e2eStart(t, bin, dir, e2eEnv(), "shell", "-db", db)
	sh.send("/tips prompt in 1m Release checklist")
	m := sh.expect(wait, `(?m)^\[(\d+)\] #general tipbot: 📝 What did you retain from «Release checklist»\?`)
	prompted := time.Now() // the deadline is at most a minute after this
	prompt := m[1]
	sh.send("/as alice", "/reply "+prompt+" tag the release before deploying", "/as bob")
	m = sh.expect(wait, `(?m)^  ↳ \[(\d+)\] #general alice \(reply to \[`+prompt+`\]\): tag the release before deploying\n`)
	sh.send("/react " + m[1] + " bulb")
	sh.expectText(wait, "["+m[1]+"] bob reacted :bulb:")
	out := sh.stop()
	if strings.Contains(out, "Recap of") {
		t.Fatalf("a recap before the deadline:\n%s", out)
	}

	// tipbot is down when the deadline passes.
	time.Sleep(time.Until(prompted.Add(time.Minute + 500*time.Millisecond)))

	sh = e2eStart(t, bin, dir, e2eEnv(), "shell", "-db", db)
	sh.expect(15*time.Second, e2eThreadRecapRE(prompt, "Release checklist"))
	m = sh.expect(wait, e2eRecapRE("Release checklist"))
	e2eContains(t, "the missed recap", m[2], "1 answer", "alice", "tag the release before deploying", "1 useful vote")
	// Give a second recap every chance to show up.
	time.Sleep(3 * time.Second)
	sh.send("/tips sessions")
	sh.expect(wait, `(?m)^    s\d+ «Release checklist» in #general — 1 answer, closed `)
	out = sh.stop()
	if n := strings.Count(out, "Recap of «Release checklist»"); n != 2 {
		t.Errorf("after the restart the recap was printed %d times, want twice (thread and channel):\n%s", n, out)
	}

	sh = e2eStart(t, bin, dir, e2eEnv(), "shell", "-db", db)
	time.Sleep(2 * time.Second)
	sh.send("/tips sessions")
	sh.expect(wait, `(?m)^    s\d+ «Release checklist» in #general — 1 answer, closed `)
	if out := sh.stop(); strings.Contains(out, "Recap of") {
		t.Errorf("the third start printed the recap again:\n%s", out)
	}
}
