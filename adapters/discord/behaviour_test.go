package discord

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// Tests of issue 21: Discord as it really behaves.

// TestReactionBurstNeverDelaysCommands: 600 🎉 on a 1.3 KB message while
// someone runs /tips me in another channel. The command is answered within
// Discord's 3 s (the fake's clock; in practice it takes milliseconds) and
// no 🎉 makes tipbot read the message by REST.
func TestReactionBurstNeverDelaysCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, nil)
	fd := w.fd
	long := fd.Say(general, alice, strings.Repeat("a long message ", 87))
	if n := len(long.Content); n < 1300 {
		t.Fatalf("message of %d bytes, want 1.3 KB", n)
	}
	var last int64
	for i := range 600 {
		last = fd.React(long.ID, fmt.Sprintf("81000000000000%05d", i), "🎉")
	}
	sent := time.Now()
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: random, User: bob, Name: "tips",
		Options: []discordtest.Option{discordtest.Sub("me")}})
	fd.Answer(t, id)
	if first := fd.Responses(id)[0]; first.At.Sub(sent) > 3*time.Second {
		t.Errorf("first answer %v after the command, past Discord's 3 s", first.At.Sub(sent))
	}
	fd.Wait(t, "every 🎉 handled", func() bool { return w.tap.handled(":" + itoa(last)) })
	for _, r := range fd.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/messages/") {
			t.Errorf("REST read for a reaction: %s %s", r.Method, r.Path)
		}
	}
}

// TestFullQueueNeverBlocksTheReader: with the core stuck on a reaction and
// 600 more waiting behind it in the same channel's queue (more than any
// bounded queue held before), the gateway reader still reads: a command is
// answered and heartbeats are acknowledged while the reactions wait.
func TestFullQueueNeverBlocksTheReader(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), HeartbeatInterval: 500 * time.Millisecond})
	release := make(chan struct{})
	var once sync.Once
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		if _, ok := ev.(*bot.ReactionAdded); ok {
			<-release
		}
		return nil, nil
	}}
	a := run(t, fd, rec)
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	m := fd.Say(general, alice, "hello")
	waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == m.ID })
	var last int64
	for i := range 600 {
		last = fd.React(m.ID, fmt.Sprintf("81000000000000%05d", i), "🎉")
	}
	waitFor(t, rec, func(e *bot.ReactionAdded) bool { return true }) // the worker is stuck now
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: bob, Name: "tips",
		Options: []discordtest.Option{discordtest.Sub("me")}})
	fd.Answer(t, id)
	beats := fd.Heartbeats()
	fd.Wait(t, "more heartbeats", func() bool { return fd.Heartbeats() > beats+1 })
	if !a.Connected() {
		t.Error("the gateway dropped while events waited")
	}
	if n := len(rec.all()); n > 3 {
		t.Fatalf("%d events handled: the reactions were not held back, the test tests nothing", n)
	}
	once.Do(func() { close(release) })
	waitFor(t, rec, func(e *bot.ReactionAdded) bool { return strings.HasSuffix(e.ID, ":"+itoa(last)) })
}
