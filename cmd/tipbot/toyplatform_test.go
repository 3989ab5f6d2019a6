package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// The toy platform is what a new platform's adapter looks like to the
// core, in a test file: its own name, emoji ("pin" captures, "spark"
// acknowledges, "spark" and "yes" vote; "yes~3" is a variant of "yes"),
// its own markup for people ({@id}) and channels ({#id}), and commands
// typed as "!tips …". Nothing under bot/ knows of it.
const toyPlatform bot.Platform = "toy"

// toyMarkup reads "{@id}" (sigil '@') or "{#id}" (sigil '#').
func toyMarkup(arg string, sigil byte) (id string, ok, meant bool) {
	if len(arg) < 2 || arg[0] != '{' || arg[1] != sigil {
		return "", false, false
	}
	id, found := strings.CutSuffix(arg[2:], "}")
	return id, found && id != "" && !strings.ContainsAny(id, "{} "), true
}

// toyRefs writes the people and channels of the core's messages in the toy
// platform's own syntax, as its adapter sends them.
var toyRefs = bot.Markup{
	Mention: func(id string) string { return "{@" + id + "}" },
	Channel: func(id string) string { return "{#" + id + "}" },
}

func toySpec() bot.PlatformSpec {
	return bot.PlatformSpec{
		Name:            toyPlatform,
		CaptureReaction: "pin",
		AckReaction:     "spark",
		UsefulReactions: []string{"spark", "yes"},
		FoldEmoji:       func(e string) string { base, _, _ := strings.Cut(e, "~"); return base },
		CommandPrefix:   func(bot.Command) string { return "!tips " },
		ChannelArg:      func(arg string) (string, bool, bool) { return toyMarkup(arg, '#') },
		UserArg: func(arg string) (string, bool) {
			id, ok, _ := toyMarkup(arg, '@')
			return id, ok
		},
	}
}

// toyPost is a message the toy adapter sent out.
type toyPost struct {
	id, channel, text string
	direct            bool
}

// toyAdapter translates the toy platform's traffic into core events and
// implements the core's outbound port (bot.Chat) for it.
type toyAdapter struct {
	t    *testing.T
	core *bot.Bot
	ws   bot.Workspace

	mu     sync.Mutex
	n      int
	msgs   map[string]bot.MessageInfo
	posts  []toyPost
	reacts []string // "message emoji"
}

func (a *toyAdapter) nextID(prefix string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	return fmt.Sprintf("%s%d", prefix, a.n)
}

func (a *toyAdapter) handle(ev bot.Event) bot.Reply {
	a.t.Helper()
	r, err := a.core.Handle(context.Background(), ev)
	if err != nil {
		a.t.Fatalf("%s: %v", bot.EventKind(ev), err)
	}
	a.core.Wait()
	return r
}

func (a *toyAdapter) meta() bot.EventMeta {
	return bot.EventMeta{ID: a.nextID("ev"), Workspace: a.ws}
}

// say posts a message as user in channel (in thread when not "").
func (a *toyAdapter) say(user, channel, thread, text string) string {
	id := a.nextID("m")
	author := bot.User{ID: user, Name: user}
	a.mu.Lock()
	a.msgs[id] = bot.MessageInfo{Author: author, Text: text, ThreadID: thread}
	a.mu.Unlock()
	a.handle(&bot.MessagePosted{EventMeta: a.meta(), Channel: channel, MessageID: id, ThreadID: thread, Author: author, Text: text})
	return id
}

func (a *toyAdapter) react(user, channel, msg, emoji string) {
	a.mu.Lock()
	info := a.msgs[msg]
	a.mu.Unlock()
	a.handle(&bot.ReactionAdded{EventMeta: a.meta(), Channel: channel, MessageID: msg, User: bot.User{ID: user, Name: user}, Emoji: emoji, Message: info})
}

// command runs "!tips text" (or "!tip text" with name "tip") and returns
// the reply's text.
func (a *toyAdapter) command(user, channel, name, text string) string {
	a.t.Helper()
	r := a.handle(&bot.CommandInvoked{EventMeta: a.meta(), Channel: channel, User: bot.User{ID: user, Name: user}, Name: name, Text: text})
	if r == nil {
		a.t.Fatalf("!%s %s: no reply", name, text)
	}
	return r.Render(toyRefs).Text()
}

func (a *toyAdapter) Post(_ context.Context, ws bot.Workspace, channel string, m bot.Message) (string, error) {
	if ws.Platform != toyPlatform {
		return "", fmt.Errorf("toy: post to %s", ws)
	}
	id := a.nextID("b")
	a.mu.Lock()
	defer a.mu.Unlock()
	a.msgs[id] = bot.MessageInfo{Author: bot.User{ID: "tipbot", Bot: true}, Text: m.Render(toyRefs).Text(), ThreadID: m.Thread}
	a.posts = append(a.posts, toyPost{id: id, channel: channel, text: m.Render(toyRefs).Text()})
	return id, nil
}

func (a *toyAdapter) React(_ context.Context, _ bot.Workspace, _, messageID, emoji string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reacts = append(a.reacts, messageID+" "+emoji)
	return nil
}

func (a *toyAdapter) Direct(_ context.Context, _ bot.Workspace, user string, m bot.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.posts = append(a.posts, toyPost{channel: "@" + user, text: m.Render(toyRefs).Text(), direct: true})
	return nil
}

// postIn returns the bot's posts in channel whose text contains s.
func (a *toyAdapter) postIn(channel, s string) []toyPost {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []toyPost
	for _, p := range a.posts {
		if p.channel == channel && strings.Contains(p.text, s) {
			out = append(out, p)
		}
	}
	return out
}

// TestToyPlatform adds a platform in a test file, wired as cmd/tipbot
// wires the real ones (its spec among platforms(), its Chat attached),
// and runs capture, votes, /tips top, a session and a report through it:
// the core serves a platform it was never changed for.
func TestToyPlatform(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	var clock sync.Mutex
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	cfg := bot.DefaultConfig()
	cfg.Trainers = []string{"tina"}
	cfg.Admins = []string{"ada"}
	core, err := bot.New(bot.Options{Config: cfg, Store: db, Cron: cron.Parse,
		Now:       func() time.Time { clock.Lock(); defer clock.Unlock(); return now },
		Platforms: append(platforms(), toySpec())})
	if err != nil {
		t.Fatal(err)
	}
	toy := &toyAdapter{t: t, core: core, ws: bot.Workspace{Platform: toyPlatform, ID: "acme"}, msgs: map[string]bot.MessageInfo{}}
	core.Attach(toyPlatform, toy)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		core.Shutdown(ctx)
	})

	// Capture, by prefix and by the toy's capture emoji; the toy's
	// acknowledgement emoji is added to each tip.
	bisect := toy.say("alice", "room1", "", "tip: use git bisect to find the bad commit #git")
	plain := toy.say("dave", "room1", "", "pair on the flaky tests first")
	toy.react("erin", "room1", plain, "pin")
	if !slices.Contains(toy.reacts, bisect+" spark") || !slices.Contains(toy.reacts, plain+" spark") {
		t.Fatalf("acknowledgements = %v, want spark on %s and %s", toy.reacts, bisect, plain)
	}

	// Votes: the toy's useful emoji, a variant folded by its FoldEmoji;
	// the author's own and an unknown emoji do not count.
	toy.react("bob", "room1", bisect, "spark")
	toy.react("carol", "room1", bisect, "yes~3")
	toy.react("alice", "room1", bisect, "spark")
	toy.react("dave", "room1", bisect, "thumbsup")
	top := toy.command("bob", "room1", "tips", "top month")
	if !strings.Contains(top, "1. alice — 1 tip, 2 useful votes") || !strings.Contains(top, "use git bisect") {
		t.Errorf("!tips top:\n%s", top)
	}

	// Help names the toy's commands and emoji.
	help := toy.command("bob", "room1", "tips", "help")
	if !strings.Contains(help, "!tips top") || strings.Contains(help, "/tips top") || !strings.Contains(help, ":pin:") || !strings.Contains(help, "spark yes") {
		t.Errorf("!tips help:\n%s", help)
	}
	if got := toy.command("bob", "room1", "tips", "export"); !strings.Contains(got, "Only admins may run !tips export") {
		t.Errorf("!tips export by a member: %q", got)
	}

	// A person named in the toy's markup.
	if got := toy.command("ada", "room1", "tips", "trainer add {@frank}"); got != "{@frank} is now a trainer." {
		t.Errorf("!tips trainer add: %q", got)
	}

	// A session in a channel named in the toy's markup: its prompt, an
	// answer in the prompt's thread, the recap.
	opened := toy.command("tina", "room1", "tips", "prompt {#room2} in 1h Git basics")
	if !strings.Contains(opened, "Session s1 «Git basics» is open") {
		t.Fatalf("!tips prompt: %q", opened)
	}
	prompts := toy.postIn("room2", "What did you retain from «Git basics»?")
	if len(prompts) != 1 {
		t.Fatalf("prompts in room2: %+v", toy.posts)
	}
	toy.say("bob", "room2", prompts[0].id, "rebase -i squashes the fixups")
	if got := toy.command("tina", "room1", "tips", "close s1"); !strings.Contains(got, "Session s1 closed with 1 answer") {
		t.Errorf("!tips close: %q", got)
	}
	if recap := toy.postIn("room2", "rebase -i squashes the fixups"); len(recap) == 0 {
		t.Errorf("no recap in room2: %+v", toy.posts)
	}
	if got := toy.command("tina", "room1", "tips", "sessions"); !strings.Contains(got, "{#room2}") {
		t.Errorf("!tips sessions does not link the channel the toy's way:\n%s", got)
	}

	// Moderation, then the report: the channel and the moderator are
	// written in the toy's markup.
	if got := toy.command("tina", "room1", "tips", "feature t1"); !strings.Contains(got, "t1") {
		t.Errorf("!tips feature: %q", got)
	}
	report := toy.command("tina", "room1", "tips", "report month {#room1}")
	for _, want := range []string{"Report — this month, {#room1}", "Tips captured: 2", "{@tina}"} {
		if !strings.Contains(report, want) {
			t.Errorf("!tips report lacks %q:\n%s", want, report)
		}
	}
	if got := toy.command("tina", "room1", "tips", "report month {#}"); !strings.Contains(got, "is not a channel") {
		t.Errorf("!tips report {#}: %q", got)
	}
}
