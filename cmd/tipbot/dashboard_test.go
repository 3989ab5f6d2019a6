package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/adapters/dashboard"
)

// TestDashboardLinkCLI: tipbot dashboard-link needs http.addr and a
// workspace, signs with the key file beside the database (creating it,
// mode 0600, once) and prints one link on the configured base.
func TestDashboardLinkCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, yaml string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	db := filepath.Join(dir, "tips.db")
	noHTTP := write("nohttp.yaml", "store: {path: "+db+"}\n")
	local := write("local.yaml", "store: {path: "+db+"}\nhttp: {addr: \"127.0.0.1:8089\"}\n")
	public := write("public.yaml", "store: {path: "+db+"}\nhttp: {addr: \":8089\", public_url: \"https://tipbot.example.com\"}\n")

	for _, tc := range []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"dashboard-link", "-config", noHTTP, "-workspace", "local"}, exitError, "http.addr, which is not set"},
		{[]string{"dashboard-link", "-config", local}, exitUsage, "-workspace is required"},
		{[]string{"dashboard-link", "-config", local, "-workspace", "T0123"}, exitError, "name its platform, e.g. slack:T0123"},
		{[]string{"dashboard-link", "-config", local, "-workspace", "nowhere:T0123"}, exitError, "platform:id"},
	} {
		code, out, errOut := cli(t, context.Background(), "", tc.args...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("tipbot %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(dashboard.KeyPath(db)); !os.IsNotExist(err) {
		t.Errorf("a refused command made the key file (%v)", err)
	}

	out := mustCLI(t, "", "dashboard-link", "-config", local, "-workspace", "local")
	if !strings.HasPrefix(out, "http://localhost:8089/dashboard/login?t=") || strings.Count(out, "\n") != 1 {
		t.Errorf("link: %q", out)
	}
	info, err := os.Stat(dashboard.KeyPath(db))
	if err != nil || info.Mode().Perm() != 0o600 || info.Size() != dashboard.KeySize {
		t.Fatalf("key file: %v %v", info, err)
	}
	key, err := dashboard.LoadKey(dashboard.KeyPath(db))
	if err != nil {
		t.Fatal(err)
	}
	out2 := mustCLI(t, "", "dashboard-link", "-config", public, "-workspace", "slack:T0123")
	if !strings.HasPrefix(out2, "https://tipbot.example.com/dashboard/login?t=") || out2 == out {
		t.Errorf("second link: %q", out2)
	}
	again, err := dashboard.LoadKey(dashboard.KeyPath(db))
	if err != nil || string(again) != string(key) {
		t.Errorf("the key changed between two links (%v)", err)
	}
	// One platform enabled: a bare id is that platform's.
	slack := write("slack.yaml", "store: {path: "+db+"}\nhttp: {addr: \":8089\"}\nslack: {enabled: true, bot_token: xoxb-1-2-abc, app_token: xapp-1-A1-2-abc}\n")
	cfg, err := LoadConfigFile(slack, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"T0123": "slack:T0123", "local": "shell:local", "discord:42": "discord:42"} {
		if ws, err := dashboardWorkspace(cfg, id); err != nil || ws.Key() != want {
			t.Errorf("-workspace %s with Slack enabled: %v %v, want %s", id, ws, err, want)
		}
	}
}
