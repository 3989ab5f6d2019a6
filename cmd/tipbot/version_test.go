package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestDescribeBuild checks issue 16: the version names the module version,
// the commit and its date from the build's version control data, and says
// so when there is none instead of printing "(devel)".
func TestDescribeBuild(t *testing.T) {
	goPart := ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name, ldflags string
		info          *debug.BuildInfo
		want          string
	}{
		{"release", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"},
			Settings: vcs("vcs.revision", "8ca8106abcdef0123456789", "vcs.time", "2026-12-07T00:11:16Z", "vcs.modified", "false")},
			"tipbot v1.2.3, commit 8ca8106abcde (2026-12-07T00:11:16Z)" + goPart},
		{"pseudo-version with local changes", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207001116-8ca8106abcde+dirty"},
			Settings: vcs("vcs.revision", "8ca8106abcdef0123456789", "vcs.time", "2026-12-07T00:11:16Z", "vcs.modified", "true")},
			"tipbot v0.0.0-20261207001116-8ca8106abcde+dirty, commit 8ca8106abcde (2026-12-07T00:11:16Z) with local changes" + goPart},
		{"ldflags", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "tipbot v9.9.9, no commit recorded (built without version control data)" + goPart},
		{"go run", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "tipbot devel, no commit recorded (built without version control data)" + goPart},
		{"no build info", "", nil, "tipbot devel, no commit recorded (built without version control data)" + goPart},
	} {
		if got := describeBuild(tc.ldflags, tc.info); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
