package main

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// With slack.client_id, the HTTP server serves "Add to Slack": the install
// page links to Slack's authorize page with the configured client id and
// the redirect at http.public_url; a redirect without a good state is
// refused.
func TestAddToSlackRoutes(t *testing.T) {
	t.Parallel()
	ops, b, _ := newOps(t)
	cfg, err := LoadConfig("c.yaml", []byte("slack:\n  enabled: true\n  app_token: xapp-1\n  client_id: \"111.222\"\n"+
		"http:\n  addr: \":8080\"\n  public_url: https://tipbot.example.com\n"), envOf("SLACK_CLIENT_SECRET", "s3cr3t-client"))
	if err != nil {
		t.Fatal(err)
	}
	ops.adapters = map[string]connector{}
	if _, err := startAdapters(&env{}, cfg, b, ops.db, slog.New(slog.DiscardHandler), false, ops, nil); err != nil {
		t.Fatal(err)
	}
	h := ops.handler()
	w := get(t, h, "/slack/install", "")
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "https://slack.com/oauth/v2/authorize?client_id=111.222") ||
		!strings.Contains(body, "redirect_uri=https%3A%2F%2Ftipbot.example.com%2Fslack%2Foauth_redirect") {
		t.Errorf("/slack/install: %d\n%s", w.Code, body)
	}
	if strings.Contains(body, "s3cr3t") {
		t.Errorf("the install page shows the client secret")
	}
	if w := get(t, h, "/slack/oauth_redirect?code=x&state=forged", ""); w.Code != http.StatusForbidden {
		t.Errorf("/slack/oauth_redirect with a forged state: %d", w.Code)
	}

	// Without client_id there is no install page.
	ops2, b2, _ := newOps(t)
	cfg.Slack.ClientID, cfg.Slack.BotToken = "", "xoxb-1"
	if _, err := startAdapters(&env{}, cfg, b2, ops2.db, slog.New(slog.DiscardHandler), false, ops2, nil); err != nil {
		t.Fatal(err)
	}
	if w := get(t, ops2.handler(), "/slack/install", ""); w.Code != http.StatusNotFound {
		t.Errorf("/slack/install without client_id: %d", w.Code)
	}
}
