package discord

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// The test server: a guild with two channels, an owner, a moderator (Manage
// Server through a role), three members and a bot.
const (
	guildID   = "900000000000000001"
	general   = "910000000000000001"
	random    = "910000000000000002"
	otherG    = "900000000000000002"
	otherChan = "920000000000000001"
	modRole   = "700000000000000001"
	owner     = "800000000000000001"
	alice     = "800000000000000002"
	bob       = "800000000000000003"
	carol     = "800000000000000004"
	mod       = "800000000000000005"
	otherBot  = "800000000000000009"
)

func testGuilds() []discordtest.Guild {
	return []discordtest.Guild{{
		ID: guildID, Name: "Acme", OwnerID: owner,
		Roles:    []discordtest.Role{{ID: guildID, Name: "@everyone", Permissions: 1 << 10}, {ID: modRole, Name: "mods", Permissions: discordtest.PermManageGuild}},
		Channels: []discordtest.Channel{{ID: general, Name: "general"}, {ID: random, Name: "random"}},
		Members: []discordtest.Member{
			{ID: owner, Name: "olga"}, {ID: alice, Name: "alice", Nick: "Alice B."}, {ID: bob, Name: "bob"},
			{ID: carol, Name: "carol"}, {ID: mod, Name: "max", Roles: []string{modRole}}, {ID: otherBot, Name: "otherbot", Bot: true},
		},
	}, {
		ID: otherG, Name: "Other", OwnerID: owner,
		Channels: []discordtest.Channel{{ID: otherChan, Name: "elsewhere"}},
		Members:  []discordtest.Member{{ID: owner, Name: "olga"}, {ID: bob, Name: "bob"}},
	}}
}

var ws = bot.Workspace{Platform: Platform, ID: guildID}

// recorder is a Handler that records events and answers with reply.
type recorder struct {
	mu     sync.Mutex
	events []bot.Event
	reply  func(bot.Event) (bot.Reply, error)
}

func (r *recorder) Handle(_ context.Context, ev bot.Event) (bot.Reply, error) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	f := r.reply
	r.mu.Unlock()
	if f != nil {
		return f(ev)
	}
	return nil, nil
}

func (r *recorder) all() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

// waitFor waits until an event satisfying match was handled and returns it.
func waitFor[E bot.Event](t *testing.T, r *recorder, match func(E) bool) E {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, ev := range r.all() {
			if e, ok := ev.(E); ok && match(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			var zero E
			t.Fatalf("no %T event matched; got %d events", zero, len(r.all()))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// run starts an adapter against the fake and waits for the gateway. The
// adapter stops when the test ends (its Close takes one second).
func run(t *testing.T, fd *discordtest.Server, h Handler, tweak ...func(*Config, *Adapter)) *Adapter {
	t.Helper()
	cfg := Config{Token: discordtest.Token, APIURL: fd.URL, GuildIDs: []string{guildID}, Logger: testLogger(t)}
	a, err := New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tweak {
		f(&a.cfg, a)
	}
	a.retryWait = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	fd.Wait(t, "the adapter to connect", a.Connected)
	where := ""
	if len(a.cfg.GuildIDs) > 0 {
		where = a.cfg.GuildIDs[0]
	}
	fd.Wait(t, "the commands to be registered", func() bool { return fd.Commands(where) != nil })
	return a
}
