package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellPrivateChannel is issue 20's shell "Done when", on the real
// binary: /private #hr, a tip there, /tips search from #general does not
// show it, from #hr it does, also after a restart; the export keeps it with
// visibility channel.
func TestShellPrivateChannel(t *testing.T) {
	dir := t.TempDir()
	bin := e2eBuild(t, dir)
	db := filepath.Join(dir, "tips.db")

	out := e2eRun(t, bin, dir, `/private #hr
/in #hr
tip: the reorg memo is in the hr drive
/in #general
tip: the reorg checklist is in the wiki
/tips search reorg
/in #hr
/tips search reorg
/help
`, "shell", "-db", db)
	e2eContains(t, "/private", out, "#hr is now private", "/private #CHANNEL")
	general := out[strings.Index(out, "[2] #general"):strings.Index(out, "(you are you in #hr)\n(private")]
	e2eContains(t, "search in #general", general, "reorg checklist")
	if strings.Contains(general, "hr drive") {
		t.Errorf("search in #general shows the #hr tip:\n%s", general)
	}
	hr := out[strings.LastIndex(out, "(you are you in #hr)"):]
	e2eContains(t, "search in #hr", hr, "hr drive", "reorg checklist")

	// A restart keeps #hr private (the shell's default does not undo it).
	again := e2eRun(t, bin, dir, "/tips search reorg\n", "shell", "-db", db)
	if strings.Contains(again, "hr drive") || !strings.Contains(again, "reorg checklist") {
		t.Errorf("search in #general after a restart:\n%s", again)
	}

	export := e2eRun(t, bin, dir, "", "export", "-db", db)
	seen := map[string]string{}
	for line := range strings.Lines(export) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		seen[rec["channel"].(string)] = rec["visibility"].(string)
	}
	if seen["#hr"] != "channel" || seen["#general"] != "workspace" {
		t.Errorf("export visibilities = %v, want #hr channel and #general workspace", seen)
	}
}
