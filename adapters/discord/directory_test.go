package discord

import (
	"context"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// TestDirectoryFallsBackToREST: what the gateway state and the memory do
// not hold comes from the REST API — long message texts (not kept in
// memory), guilds missing from the state, unknown channels (remembered as
// missing).
func TestDirectoryFallsBackToREST(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	a := run(t, fd, &recorder{})
	ctx := context.Background()
	gets := func(path string) int {
		n := 0
		for _, r := range fd.Requests() {
			if r.Method == "GET" && r.Path == "/api/v9"+path {
				n++
			}
		}
		return n
	}

	short := fd.Say(general, alice, "tip: short")
	long := fd.Say(general, bob, "tip: "+strings.Repeat("long text ", 200))
	for _, m := range []discordtest.Message{short, long} {
		a.dir.remember(m.ID, messageEntry{Location: general, Info: bot.MessageInfo{Author: bot.User{ID: m.AuthorID}, Text: m.Content}})
		info, err := a.dir.message(ctx, general, m.ID)
		if err != nil || info.Text != m.Content || info.Author.ID != m.AuthorID {
			t.Errorf("message %s = %+v, %v", m.ID, info, err)
		}
	}
	if gets("/channels/"+general+"/messages/"+short.ID) != 0 || gets("/channels/"+general+"/messages/"+long.ID) != 1 {
		t.Errorf("fetches: short %d, long %d; want 0 and 1",
			gets("/channels/"+general+"/messages/"+short.ID), gets("/channels/"+general+"/messages/"+long.ID))
	}

	g, err := a.s.State.Guild(guildID)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.s.State.GuildRemove(g); err != nil {
		t.Fatal(err)
	}
	if !a.dir.admin(ctx, guildID, mod, []string{modRole}) || a.dir.admin(ctx, guildID, alice, nil) || !a.dir.admin(ctx, guildID, owner, nil) {
		t.Error("admin flags from the REST guild are wrong")
	}
	if n := gets("/guilds/" + guildID); n != 1 {
		t.Errorf("guild fetched %d times, want once (then cached)", n)
	}

	for range 2 {
		if _, err := a.dir.channel(ctx, "999"); err != errUnknownChannel {
			t.Errorf("unknown channel: %v", err)
		}
	}
	if n := gets("/channels/999"); n != 1 {
		t.Errorf("unknown channel fetched %d times, want once", n)
	}
	if n, err := a.Members(ctx, ws, ""); err != nil || n != 7 {
		t.Errorf("Members = %d, %v; want the guild's 7 (bot included)", n, err)
	}
	if _, err := a.Members(ctx, ws, general); err == nil {
		t.Error("a channel's member count without the members intent")
	}
}
