package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/discord"
	"github.com/tipbot/tipbot/adapters/discord/discordtest"
)

// TestHealthzSaysMessageContentIsMissing: Discord refuses the Message
// Content intent; /healthz stays 200 (tipbot works without it) and says
// what is missing.
func TestHealthzSaysMessageContentIsMissing(t *testing.T) {
	fd := discordtest.New(t, discordtest.Options{RefuseMessageContent: true,
		Guilds: []discordtest.Guild{{ID: "900000000000000001", Name: "Acme", Channels: []discordtest.Channel{{ID: "910000000000000001", Name: "general"}}}}})
	ops, b, _ := newOps(t)
	a, err := discord.New(discord.Config{Token: discordtest.Token, APIURL: fd.URL}, b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return")
		}
	})
	ops.adapters = map[string]connector{"discord": a}
	fd.Wait(t, "the gateway", a.Connected)
	w := get(t, ops.handler(), "/healthz", "")
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "discord: connected") ||
		!strings.Contains(body, "discord: message content intent missing") {
		t.Errorf("/healthz = %d %q", w.Code, body)
	}
}
