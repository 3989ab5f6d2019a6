package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadVerbsOnReadOnlyFile is issue 23's read-only "Done when": export,
// report and check open the database read-only (bbolt's ReadOnly flag),
// never change it (same checksum after each), and work where it cannot be
// written: a read-only folder and file, and, when the test may mount (root
// in a mount namespace of its own, unshare -m), a read-only bind mount,
// which binds root too since permissions do not.
func TestReadVerbsOnReadOnlyFile(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "tips.db")
	mustCLI(t, script, "shell", "-db", db)
	sum := fileSum(t, db)

	r, err := (&env{lookup: envOf()}).openForReading(context.Background(), Config{}, db)
	if err != nil {
		t.Fatal(err)
	}
	if !r.ReadOnly() {
		t.Errorf("openForReading did not open the file with bbolt's ReadOnly")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Chmod(db, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(data, 0o700) })
	verbs := [][]string{{"export", "-db", db}, {"report", "-db", db}, {"check", "-db", db}}
	for _, args := range verbs {
		code, out, errOut := runBin(t, bin, dir, "", args...)
		if code != 0 || out == "" {
			t.Errorf("tipbot %s on a read-only folder and file: exit %d\n%s%s", args[0], code, out, errOut)
		}
		if fileSum(t, db) != sum {
			t.Fatalf("tipbot %s changed the file", args[0])
		}
	}
	if !strings.Contains(mustCLI(t, "", "export", "-db", db), "git bisect") {
		t.Errorf("export lacks the tip")
	}

	if os.Geteuid() != 0 {
		t.Logf("not root: the read-only folder and file above bind this user; no mount needed")
		return
	}
	// Root ignores permissions: a read-only bind mount in a private mount
	// namespace binds it.
	unshare, err := exec.LookPath("unshare")
	probe := exec.Command(unshare, "-m", "sh", "-c", `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && ! touch "$1/probe" 2>/dev/null`, "sh", data)
	if err != nil || probe.Run() != nil {
		t.Logf("root without the right to mount: checked with the checksum and bbolt's ReadOnly flag only")
		return
	}
	for _, args := range verbs {
		sh := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"`
		cmd := exec.Command(unshare, append([]string{"-m", "sh", "-c", sh, "sh", data, bin}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) == 0 {
			t.Errorf("tipbot %s on a read-only mount: %v\n%s", args[0], err, out)
		}
	}
	if fileSum(t, db) != sum {
		t.Errorf("the file changed")
	}
}
