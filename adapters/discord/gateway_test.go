package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

func TestHandshakeHeartbeatsAndIntents(t *testing.T) {
	t.Parallel()
	// discordgo gives up after five intervals without an ACK, closing with
	// 1000 (which ends the session): keep them longer than a busy
	// machine's pauses.
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), HeartbeatInterval: time.Second})
	a := run(t, fd, &recorder{})
	ids := fd.Identifies()
	if len(ids) != 1 {
		t.Fatalf("identifies = %d, want 1", len(ids))
	}
	if got, want := ids[0].Intents, int(intents); got != want {
		t.Errorf("intents = %b, want %b", got, want)
	}
	if !strings.HasSuffix(ids[0].Token, discordtest.Token) {
		t.Errorf("identify token = %q", ids[0].Token)
	}
	fd.Wait(t, "heartbeats", func() bool { return fd.Heartbeats() >= 4 })
	if !a.Connected() || !a.MessageContent() {
		t.Errorf("Connected = %v, MessageContent = %v", a.Connected(), a.MessageContent())
	}
}

func TestBadTokenStopsRun(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	a, err := New(Config{Token: "bm90LXRoZS10b2tlbg.x.y", APIURL: fd.URL}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "DISCORD_BOT_TOKEN") {
		t.Fatalf("Run = %v, want a token error", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{}, {Token: "Bot  "}, {Token: "x", APIURL: "ftp://example.com"}, {Token: "x", APIURL: "://"}} {
		if _, err := New(cfg, &recorder{}); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	if _, err := New(Config{Token: "x"}, nil); err == nil {
		t.Error("New without handler succeeded")
	}
}

// TestCommandRegistration checks the bulk-overwrite payload: /tip with a
// required text, /tips with SPEC's sub-commands and typed options,
// /tips-admin hidden behind Manage Server, and "Save as tip".
func TestCommandRegistration(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	run(t, fd, &recorder{})

	type option struct {
		Type         int               `json:"type"`
		Name         string            `json:"name"`
		Description  string            `json:"description"`
		DescFR       map[string]string `json:"description_localizations"`
		Required     bool              `json:"required"`
		ChannelTypes []int             `json:"channel_types"`
		Choices      []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"choices"`
		Options []option `json:"options"`
	}
	var cmds []struct {
		Type                     int               `json:"type"`
		Name                     string            `json:"name"`
		NameFR                   map[string]string `json:"name_localizations"`
		Description              string            `json:"description"`
		DefaultMemberPermissions *string           `json:"default_member_permissions"`
		Contexts                 []int             `json:"contexts"`
		Options                  []option          `json:"options"`
	}
	if err := json.Unmarshal(fd.Commands(guildID), &cmds); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, c := range cmds {
		byName[c.Name] = i
		if !slices.Equal(c.Contexts, []int{0}) {
			t.Errorf("%s: contexts = %v, want guild only", c.Name, c.Contexts)
		}
	}
	if len(cmds) != 4 {
		t.Fatalf("registered %d commands, want 4", len(cmds))
	}
	tip := cmds[byName["tip"]]
	if tip.Type != 1 || len(tip.Options) != 1 || tip.Options[0].Name != "text" || !tip.Options[0].Required || tip.Options[0].Type != 3 {
		t.Errorf("/tip = %+v", tip)
	}
	save := cmds[byName["Save as tip"]]
	if save.Type != 3 || save.NameFR["fr"] != "Enregistrer comme astuce" || save.Description != "" {
		t.Errorf("Save as tip = %+v", save)
	}
	admin := cmds[byName["tips-admin"]]
	if admin.DefaultMemberPermissions == nil || *admin.DefaultMemberPermissions != "32" {
		t.Errorf("/tips-admin default_member_permissions = %v, want \"32\" (Manage Server)", admin.DefaultMemberPermissions)
	}
	tips := cmds[byName["tips"]]
	if tips.DefaultMemberPermissions != nil {
		t.Errorf("/tips is hidden: %v", *tips.DefaultMemberPermissions)
	}
	var names []string
	subs := map[string]option{}
	for _, o := range tips.Options {
		if o.Type == 2 {
			for _, s := range o.Options {
				names = append(names, o.Name+" "+s.Name)
				subs[o.Name+" "+s.Name] = s
			}
			continue
		}
		if o.Type != 1 {
			t.Errorf("/tips option %s has type %d", o.Name, o.Type)
		}
		if o.DescFR["fr"] == "" {
			t.Errorf("/tips %s has no French description", o.Name)
		}
		names = append(names, o.Name)
		subs[o.Name] = o
	}
	want := []string{"help", "top", "search", "me", "experts", "forget-me", "applied", "show", "not-yet", "not-for-me", "quiet", "prompt", "close", "sessions",
		"schedule add", "schedule list", "schedule remove", "report", "pending", "approve", "feature", "reject"}
	if !slices.Equal(names, want) {
		t.Errorf("/tips sub-commands = %v\nwant %v", names, want)
	}
	top := subs["top"].Options
	if len(top) != 1 || top[0].Name != "period" || top[0].Required || len(top[0].Choices) != 5 || top[0].Choices[4].Value != "all" {
		t.Errorf("/tips top options = %+v", top)
	}
	prompt := subs["prompt"].Options
	if len(prompt) != 3 || prompt[0].Name != "title" || !prompt[0].Required || prompt[1].Type != 7 ||
		!slices.Equal(prompt[1].ChannelTypes, []int{0, 5}) || prompt[2].Name != "duration" {
		t.Errorf("/tips prompt options (required first) = %+v", prompt)
	}
	var adminNames []string
	for _, o := range admin.Options {
		if o.Type == 2 {
			for _, s := range o.Options {
				adminNames = append(adminNames, o.Name+" "+s.Name)
				if s.Options[0].Type != 6 {
					t.Errorf("trainer %s takes a %d, want a user (6)", s.Name, s.Options[0].Type)
				}
			}
			continue
		}
		adminNames = append(adminNames, o.Name)
	}
	if !slices.Equal(adminNames, []string{"export", "trainer add", "trainer remove"}) {
		t.Errorf("/tips-admin sub-commands = %v", adminNames)
	}
}

// TestGlobalRegistration: without guild_ids the commands are global; a
// later start with guild_ids registers them there and removes the global
// ones, so they do not show twice.
func TestGlobalRegistration(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	first, err := New(Config{Token: discordtest.Token, APIURL: fd.URL, Logger: testLogger(t)}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	fd.Wait(t, "global commands", func() bool { return fd.Commands("") != nil })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var global []json.RawMessage
	if err := json.Unmarshal(fd.Commands(""), &global); err != nil || len(global) != 4 || fd.Commands(guildID) != nil {
		t.Fatalf("global registration: %d global commands, guild %s", len(global), fd.Commands(guildID))
	}

	run(t, fd, &recorder{})
	fd.Wait(t, "the global commands to go", func() bool { return string(fd.Commands("")) == "[]" })
	if err := json.Unmarshal(fd.Commands(guildID), &global); err != nil || len(global) != 4 {
		t.Errorf("guild registration: %d commands", len(global))
	}
}

// TestCaptureSources feeds every capture source through the real gateway
// and checks the core events the adapter hands over.
func TestCaptureSources(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	rec := &recorder{}
	run(t, fd, rec)

	// 2. a prefix message
	m := fd.Say(general, alice, "tip: use git bisect #git")
	posted := waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == m.ID })
	want := bot.MessagePosted{
		EventMeta: bot.EventMeta{ID: "create:" + m.ID, Workspace: ws, At: m.Created.UTC().Truncate(time.Nanosecond)},
		Channel:   general, MessageID: m.ID, Author: bot.User{ID: alice, Name: "Alice B."}, Text: "tip: use git bisect #git",
	}
	if !posted.At.Equal(want.At) {
		t.Errorf("At = %v, want %v", posted.At, want.At)
	}
	posted.At, want.At = time.Time{}, time.Time{}
	if *posted != want {
		t.Errorf("MessagePosted = %+v\nwant %+v", *posted, want)
	}

	// 3. a reaction on someone else's message: the author comes along
	seq := fd.React(m.ID, bob, "🔖")
	ra := waitFor(t, rec, func(e *bot.ReactionAdded) bool { return e.MessageID == m.ID && e.User.ID == bob })
	if ra.Emoji != "🔖" || ra.Channel != general || ra.Message.Author.ID != alice || ra.Message.Text != m.Content || ra.User.Name != "bob" {
		t.Errorf("ReactionAdded = %+v", ra)
	}
	if !strings.HasPrefix(ra.ID, "react+:"+m.ID+":"+bob+":🔖:") || !strings.HasSuffix(ra.ID, ":"+itoa(seq)) {
		t.Errorf("reaction id = %q", ra.ID)
	}

	// 1. /tip
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: carol, Name: "tip", Options: []discordtest.Option{discordtest.Str("text", "rebase -i squashes")}})
	ci := waitFor(t, rec, func(e *bot.CommandInvoked) bool { return e.ID == "ix:"+id })
	if ci.Name != "tip" || ci.Text != "rebase -i squashes" || ci.Channel != general || ci.User.ID != carol || ci.User.Admin {
		t.Errorf("CommandInvoked = %+v", ci)
	}
	if ans := fd.Answer(t, id); !ans.Ephemeral() || ans.Type != 4 || ans.Content != "Done." {
		t.Errorf("answer = %+v", ans)
	}

	// 4. Save as tip, by a moderator, on bob's message
	bm := fd.Say(random, bob, "keep PRs small")
	id = fd.Run(discordtest.Command{Guild: guildID, Channel: random, User: mod, Name: "Save as tip", Target: bm.ID})
	sv := waitFor(t, rec, func(e *bot.SaveAsTip) bool { return e.ID == "ix:"+id })
	if sv.Channel != random || sv.MessageID != bm.ID || sv.User.ID != mod || !sv.User.Admin ||
		sv.Message.Author.ID != bob || sv.Message.Text != "keep PRs small" {
		t.Errorf("SaveAsTip = %+v", sv)
	}
	fd.Answer(t, id)

	// 5. replies to a prompt: a Discord reply, then a message in a thread
	// started on the prompt
	prompt := fd.Say(general, mod, "What did you retain?")
	reply := fd.Say(general, carol, "reviews catch bugs", discordtest.ReplyTo(prompt.ID))
	rp := waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == reply.ID })
	if rp.Channel != general || rp.ThreadID != prompt.ID {
		t.Errorf("reply: channel %s thread %s, want %s %s", rp.Channel, rp.ThreadID, general, prompt.ID)
	}
	thread := fd.StartThread(prompt.ID, "answers")
	inThread := fd.Say(thread, bob, "pairing helps")
	tp := waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == inThread.ID })
	if tp.Channel != general || tp.ThreadID != prompt.ID {
		t.Errorf("thread message: channel %s thread %s, want %s %s", tp.Channel, tp.ThreadID, general, prompt.ID)
	}
	// a reaction in the thread maps to the parent channel too
	fd.React(inThread.ID, alice, "👍🏽")
	tr := waitFor(t, rec, func(e *bot.ReactionAdded) bool { return e.MessageID == inThread.ID })
	if tr.Channel != general || tr.Emoji != "👍🏽" || tr.Message.Author.ID != bob || tr.Message.ThreadID != prompt.ID {
		t.Errorf("thread reaction = %+v", tr)
	}

	// edits, removals and deletions
	fd.Edit(m.ID, "tip: use git bisect run #git")
	ed := waitFor(t, rec, func(e *bot.MessageEdited) bool { return e.MessageID == m.ID })
	if ed.Text != "tip: use git bisect run #git" || ed.Channel != general || ed.Author.ID != alice || !strings.HasPrefix(ed.ID, "edit:"+m.ID+":") {
		t.Errorf("MessageEdited = %+v", ed)
	}
	fd.Unreact(m.ID, bob, "🔖")
	rr := waitFor(t, rec, func(e *bot.ReactionRemoved) bool { return e.MessageID == m.ID })
	if rr.User.ID != bob || rr.Emoji != "🔖" || !strings.HasPrefix(rr.ID, "react-:") {
		t.Errorf("ReactionRemoved = %+v", rr)
	}
	fd.Delete(inThread.ID)
	del := waitFor(t, rec, func(e *bot.MessageDeleted) bool { return e.MessageID == inThread.ID })
	if del.Channel != general || del.ID != "delete:"+inThread.ID {
		t.Errorf("MessageDeleted = %+v", del)
	}

	// bots are marked; the adapter's own reactions are not events
	bb := fd.Say(general, otherBot, "tip: I am a bot")
	bp := waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == bb.ID })
	if !bp.Author.Bot {
		t.Errorf("bot message author = %+v", bp.Author)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestInteractionDeferredWhenSlow: a core slower than deferAfter gets a
// deferred ephemeral answer at once, then the edit with its reply.
func TestInteractionDeferredWhenSlow(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		time.Sleep(400 * time.Millisecond)
		return &bot.Message{Title: "Top tips", Lines: []bot.Line{{Text: "1. git bisect", Ref: &bot.MessageRef{Channel: general, MessageID: "123"}}}}, nil
	}}
	run(t, fd, rec, func(_ *Config, a *Adapter) { a.deferAfter = 50 * time.Millisecond })
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: alice, Name: "tips",
		Options: []discordtest.Option{discordtest.Sub("top", discordtest.Str("period", "week"))}})
	ans := fd.Answer(t, id)
	rs := fd.Responses(id)
	if len(rs) != 2 || rs[0].Kind != "callback" || rs[0].Type != 5 || !rs[0].Ephemeral() || rs[1].Kind != "edit" {
		t.Fatalf("responses = %+v, want a deferral then an edit", rs)
	}
	if !ans.Ephemeral() || ans.Content != "Top tips" || len(ans.Embeds) != 1 || ans.Embeds[0].Title != "" ||
		ans.Embeds[0].Description != "1. git bisect [↗](https://discord.com/channels/"+guildID+"/"+general+"/123)" {
		t.Errorf("answer = %+v", ans)
	}
	ci := waitFor(t, rec, func(e *bot.CommandInvoked) bool { return true })
	if ci.Name != "tips" || ci.Text != "top week" {
		t.Errorf("CommandInvoked = %+v", ci)
	}
}

// TestInteractionErrorsAreAnswered: a failing core, an unknown command and
// a command in a DM all get an ephemeral answer, in the user's language.
func TestInteractionErrorsAreAnswered(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	calls := 0
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		switch ev.(type) {
		case *bot.PeopleUpdated, *bot.ChannelsUpdated: // the directories'
		default:
			calls++
		}
		return nil, errors.New("disk full")
	}}
	run(t, fd, rec)
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: alice, Name: "tips", Locale: "fr",
		Options: []discordtest.Option{discordtest.Sub("me")}})
	if ans := fd.Answer(t, id); !ans.Ephemeral() || ans.Content != textsFR.failed {
		t.Errorf("answer to a failing core = %+v", ans)
	}
	rec.mu.Lock()
	if calls != handleAttempts {
		t.Errorf("Handle called %d times, want %d", calls, handleAttempts)
	}
	rec.mu.Unlock()
	id = fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: alice, Name: "tips",
		Options: []discordtest.Option{discordtest.Sub("dance")}})
	if ans := fd.Answer(t, id); !ans.Ephemeral() || ans.Content != textsEN.unknown {
		t.Errorf("answer to an unknown sub-command = %+v", ans)
	}
	id = fd.Run(discordtest.Command{Channel: "0", User: alice, Name: "tips", Options: []discordtest.Option{discordtest.Sub("me")}})
	if ans := fd.Answer(t, id); !ans.Ephemeral() || ans.Content != textsEN.guildOnly {
		t.Errorf("answer in a DM = %+v", ans)
	}
}

// TestResumeReplaysChangeNothing: op 7 makes discordgo resume; what was
// dispatched while it was away arrives, and dispatches replayed although
// already seen carry the same event ids, so the core ignores them.
func TestResumeReplaysChangeNothing(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), ReplayOverlap: 3})
	rec := &recorder{}
	a := run(t, fd, rec)
	m := fd.Say(general, alice, "tip: one")
	fd.React(m.ID, bob, "💡")
	fd.React(m.ID, carol, "💡")
	waitFor(t, rec, func(e *bot.ReactionAdded) bool { return e.User.ID == carol })

	fd.Reconnect()
	fd.Wait(t, "the adapter to notice", func() bool { return !fd.Connected() })
	late := fd.Say(general, bob, "tip: two") // while away
	fd.Wait(t, "the resume", func() bool { return fd.Resumes() == 1 && a.Connected() })
	waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == late.ID })
	fd.React(late.ID, alice, "⭐")
	waitFor(t, rec, func(e *bot.ReactionAdded) bool { return e.MessageID == late.ID })

	if n := len(fd.Identifies()); n != 1 {
		t.Errorf("identifies = %d, want 1 (a resume, not a new session)", n)
	}
	seen := map[string]int{}
	for _, ev := range rec.all() {
		switch ev.(type) {
		case *bot.PeopleUpdated, *bot.ChannelsUpdated:
			continue // the directories', not a dispatch
		}
		seen[bot.MetaOf(ev).ID]++
	}
	dups := 0
	for id, n := range seen {
		if n > 1 {
			dups++
			if !strings.HasPrefix(id, "react+:") && !strings.HasPrefix(id, "create:") {
				t.Errorf("duplicate delivery of %s", id)
			}
		}
	}
	if dups == 0 {
		t.Error("no replayed dispatch reached the handler: the test does not test replays")
	}
	if got := len(seen); got != 5 {
		t.Errorf("distinct events = %d, want 5 (2 messages, 3 reactions): %v", got, seen)
	}
}

// TestMessageContentRefused: Discord closes with 4014; tipbot logs it once,
// identifies again without the intent and keeps commands and reactions.
func TestMessageContentRefused(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), RefuseMessageContent: true})
	rec := &recorder{}
	a := run(t, fd, rec)
	ids := fd.Identifies()
	if len(ids) != 2 || ids[0].Intents&int(discordgo.IntentsMessageContent) == 0 || ids[1].Intents != int(intents&^discordgo.IntentsMessageContent) {
		t.Fatalf("identifies = %+v", ids)
	}
	if a.MessageContent() {
		t.Error("MessageContent() = true after 4014")
	}
	m := fd.Say(general, alice, "tip: unreadable without the intent")
	fd.React(m.ID, bob, "💡")
	ra := waitFor(t, rec, func(e *bot.ReactionAdded) bool { return e.MessageID == m.ID })
	if ra.Message.Author.ID != alice {
		t.Errorf("reaction author = %+v", ra.Message.Author)
	}
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: alice, Name: "tip", Options: []discordtest.Option{discordtest.Str("text", "still works")}})
	fd.Answer(t, id)
	for _, ev := range rec.all() {
		if p, ok := ev.(*bot.MessagePosted); ok && p.MessageID == m.ID {
			t.Errorf("an empty message became an event: %+v", p)
		}
	}
}

// TestInvalidSessionReidentifies: op 9 makes discordgo identify again; the
// new session's events flow, with ids that cannot collide with the old ones.
func TestInvalidSessionReidentifies(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	rec := &recorder{}
	a := run(t, fd, rec)
	m := fd.Say(general, alice, "tip: before")
	fd.React(m.ID, bob, "💡")
	first := waitFor(t, rec, func(e *bot.ReactionAdded) bool { return e.MessageID == m.ID })
	fd.InvalidSession()
	fd.Wait(t, "a new identify", func() bool { return len(fd.Identifies()) == 2 })
	fd.Wait(t, "the new session", func() bool { return a.Connected() && a.session() != "" && !strings.Contains(first.ID, a.session()) })
	fd.Unreact(m.ID, bob, "💡")
	fd.React(m.ID, bob, "💡")
	var again []string
	fd.Wait(t, "the reactions of the new session", func() bool {
		again = again[:0]
		for _, ev := range rec.all() {
			if r, ok := ev.(*bot.ReactionAdded); ok && r.MessageID == m.ID {
				again = append(again, r.ID)
			}
		}
		return len(again) == 2
	})
	if again[0] == again[1] {
		t.Errorf("the same reaction in two sessions has one id: %s", again[0])
	}
}

// TestLongAnswersFollowUp: an answer too long for one Discord message
// continues in ephemeral follow-ups.
func TestLongAnswersFollowUp(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	var lines []bot.Line
	for i := range 300 {
		lines = append(lines, bot.Line{Text: fmt.Sprintf("%03d %s", i, strings.Repeat("report line ", 8))})
	}
	run(t, fd, &recorder{reply: func(bot.Event) (bot.Reply, error) {
		return &bot.Message{Title: "📊 Report", Lines: lines}, nil
	}})
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: mod, Name: "tips", Options: []discordtest.Option{discordtest.Sub("report")}})
	fd.Answer(t, id)
	var text strings.Builder
	fd.Wait(t, "the follow-ups", func() bool {
		text.Reset()
		rs := fd.Responses(id)
		for _, r := range rs {
			text.WriteString(r.Text())
		}
		return strings.Contains(text.String(), "299 report")
	})
	rs := fd.Responses(id)
	if len(rs) < 2 || rs[0].Type != 4 {
		t.Fatalf("responses = %d", len(rs))
	}
	for i, r := range rs {
		if !r.Ephemeral() {
			t.Errorf("response %d (%s) is public", i, r.Kind)
		}
		if i > 0 && r.Kind != "followup" {
			t.Errorf("response %d is a %s", i, r.Kind)
		}
	}
	for i := range 300 {
		if !strings.Contains(text.String(), fmt.Sprintf("%03d report", i)) {
			t.Fatalf("line %d missing", i)
		}
	}
}
