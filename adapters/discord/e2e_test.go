package discord

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// world is tipbot as a new user runs it: the real core on a real bbolt
// file, the adapter, and a fake Discord standing in for discord.com.
type world struct {
	t   *testing.T
	tap *tap
	fd  *discordtest.Server
	db  *store.DB
	bot *bot.Bot
	a   *Adapter
	// shift moves the core's clock ahead of the system's (follow-ups).
	shift *atomic.Int64
}

func newWorld(t *testing.T, opts discordtest.Options, configure func(*bot.Config)) *world {
	t.Helper()
	opts.Guilds = testGuilds()
	fd := discordtest.New(t, opts)
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.DefaultConfig()
	if configure != nil {
		configure(&cfg)
	}
	shift := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())).UTC() }
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: cfg, Store: db, Now: now, Cron: cron.Parse, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, fd: fd, db: db, bot: b, tap: &tap{h: b}, shift: shift}
	// Cleanups run last-in first-out: the adapter stops, then deliveries
	// finish, then the store is checked and closed.
	t.Cleanup(func() {
		b.Wait()
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	w.a = run(t, fd, w.tap, func(_ *Config, a *Adapter) { b.Attach(Platform, a) })
	return w
}

// tap records the ids of the events the core applied.
type tap struct {
	h   Handler
	mu  sync.Mutex
	ids []string
	// channelUpdates counts the directory updates of channels applied.
	channelUpdates int
}

func (t *tap) Handle(ctx context.Context, ev bot.Event) (bot.Reply, error) {
	r, err := t.h.Handle(ctx, ev)
	if err == nil {
		t.mu.Lock()
		t.ids = append(t.ids, bot.MetaOf(ev).ID)
		if _, ok := ev.(*bot.ChannelsUpdated); ok {
			t.channelUpdates++
		}
		t.mu.Unlock()
	}
	return r, err
}

// channelsUpdated returns how many directory updates of channels were
// applied.
func (t *tap) channelsUpdated() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.channelUpdates
}

// handled reports whether an event whose id ends with suffix was applied.
func (t *tap) handled(suffix string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range t.ids {
		if strings.HasSuffix(id, suffix) {
			return true
		}
	}
	return false
}

// order returns the position, among the events applied so far, of the
// first one whose id ends with suffix, or -1.
func (t *tap) order(suffix string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, id := range t.ids {
		if strings.HasSuffix(id, suffix) {
			return i
		}
	}
	return -1
}

// tip returns the tip captured from a message.
func (w *world) tip(channel, messageID string) (bot.Tip, error) {
	var tip bot.Tip
	err := w.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
		var err error
		tip, err = tx.TipByMessage(channel, messageID)
		return err
	})
	return tip, err
}

func (w *world) mustTip(channel, messageID string) bot.Tip {
	w.t.Helper()
	var tip bot.Tip
	w.fd.Wait(w.t, "a tip from message "+messageID, func() bool {
		var err error
		tip, err = w.tip(channel, messageID)
		return err == nil
	})
	return tip
}

func (w *world) tips() []bot.Tip {
	var all []bot.Tip
	err := w.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(t bot.Tip) error { all = append(all, t); return nil })
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return all
}

// botMessage waits for the bot's message containing text in channel ("":
// any) and returns it; what names it in a failure.
func (w *world) botMessage(what, channel, text string) discordtest.Message {
	w.t.Helper()
	var found discordtest.Message
	w.fd.Wait(w.t, what, func() bool {
		for _, m := range w.fd.BotMessages(channel) {
			if strings.Contains(m.Text(), text) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// ask runs a /tips sub-command and returns its answer, checking it is
// private and understood.
func (w *world) ask(user, command string, opts ...discordtest.Option) discordtest.Response {
	w.t.Helper()
	id := w.fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: user, Name: command, Options: opts})
	ans := w.fd.Answer(w.t, id)
	if !ans.Ephemeral() {
		w.t.Errorf("%s %+v: answer is public: %+v", command, opts, ans)
	}
	if txt := ans.Text(); strings.TrimSpace(txt) == "" || strings.Contains(txt, "Unknown") || strings.Contains(txt, textsEN.failed) {
		w.t.Errorf("%s %+v: answer %q", command, opts, txt)
	}
	return ans
}

// TestEndToEnd is the "done when", tried as a new user would: the
// commands are registered, tips are captured from every source and
// acknowledged, votes are tallied exactly, every /tips sub-command is
// answered privately, and all of it keeps working across gateway
// reconnects that replay events.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{ReplayOverlap: 50}, func(c *bot.Config) {
		c.Threshold = 2
		c.HallOfFame[Platform] = random
	})
	fd := w.fd
	ack := func(what, messageID string) {
		t.Helper()
		fd.Wait(t, "the 💡 acknowledgement on "+what, func() bool { return fd.HasReaction(messageID, "💡") })
	}

	// 1. a prefix message
	bisect := fd.Say(general, alice, "tip: use git bisect to find regressions #git")
	ack("the prefix tip", bisect.ID)
	if tip := w.mustTip(general, bisect.ID); tip.AuthorID != alice || tip.Source != bot.SourcePrefix || tip.Text != "use git bisect to find regressions #git" {
		t.Errorf("prefix tip = %+v", tip)
	}
	// 2. the capture reaction on someone else's message
	small := fd.Say(general, carol, "keep pull requests small")
	fd.React(small.ID, bob, "🔖")
	ack("the reaction tip", small.ID)
	if tip := w.mustTip(general, small.ID); tip.AuthorID != carol || tip.Source != bot.SourceReaction || tip.CapturedBy != bob {
		t.Errorf("reaction tip = %+v", tip)
	}
	// 3. /tip: answered privately, posted in the channel, acknowledged
	w.ask(bob, "tip", discordtest.Str("text", "rebase often #git"))
	post := w.botMessage("the /tip post", general, "rebase often")
	ack("the /tip post", post.ID)
	if tip := w.mustTip(general, post.ID); tip.AuthorID != bob || tip.Source != bot.SourceCommand {
		t.Errorf("/tip tip = %+v", tip)
	}
	// a vote on the bot's post counts for bob's tip
	seq := fd.React(post.ID, carol, "💡")
	fd.Wait(t, "the vote on the /tip post", func() bool { return w.tap.handled(":" + itoa(seq)) })
	if tip, _ := w.tip(general, post.ID); tip.UsefulVotes != 1 {
		t.Errorf("votes on the /tip post = %d, want 1", tip.UsefulVotes)
	}
	// 4. Save as tip, in a thread
	other := fd.Say(random, alice, "name branches after tickets")
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: random, User: mod, Name: "Save as tip", Target: other.ID})
	if ans := fd.Answer(t, id); !ans.Ephemeral() || !strings.Contains(ans.Text(), "t4") {
		t.Errorf("Save as tip answer = %+v", ans)
	}
	ack("the saved tip", other.ID)
	if tip := w.mustTip(random, other.ID); tip.AuthorID != alice || tip.Source != bot.SourceShortcut {
		t.Errorf("saved tip = %+v", tip)
	}
	// 5. a session: replies to the prompt and messages in its thread
	w.ask(mod, "tips", discordtest.Sub("prompt", discordtest.Str("title", "Git basics"), discordtest.Str("duration", "2h")))
	prompt := w.botMessage("the prompt", general, "Git basics")
	// The core records the prompt's message once Discord has answered the
	// post; people reply later than that, so wait for it.
	w.bot.Wait()
	reply := fd.Say(general, carol, "stash before switching branches", discordtest.ReplyTo(prompt.ID))
	ack("the reply to the prompt", reply.ID)
	thread := fd.StartThread(prompt.ID, "answers")
	inThread := fd.Say(thread, bob, "commit early, commit often")
	ack("the thread answer", inThread.ID)
	for _, m := range []discordtest.Message{reply, inThread} {
		if tip := w.mustTip(general, m.ID); tip.Source != bot.SourceSession || tip.SessionID != 1 {
			t.Errorf("session answer = %+v", tip)
		}
	}
	// /tip run inside a thread is posted in that thread
	ix := fd.Run(discordtest.Command{Guild: guildID, Channel: thread, User: carol, Name: "tip",
		Options: []discordtest.Option{discordtest.Str("text", "git log -S finds when a line changed #git")}})
	if ans := fd.Answer(t, ix); !ans.Ephemeral() {
		t.Errorf("/tip in a thread: answer is public: %+v", ans)
	}
	threadPost := w.botMessage("the /tip post in the thread", thread, "git log -S")
	if tip := w.mustTip(general, threadPost.ID); tip.ThreadID != thread || tip.AuthorID != carol {
		t.Errorf("/tip in a thread = %+v, want in thread %s", tip, thread)
	}

	// votes: one per person whatever the emojis, skin tones folded,
	// removals undone, self and bot votes ignored
	fd.React(bisect.ID, bob, "💡")
	fd.React(bisect.ID, bob, "👍")
	fd.React(bisect.ID, carol, "⭐")
	fd.Unreact(bisect.ID, carol, "⭐")
	fd.React(bisect.ID, carol, "👍🏽")
	fd.React(bisect.ID, alice, "💡")
	fd.React(bisect.ID, otherBot, "💡")
	fd.React(bisect.ID, mod, "⭐")
	last := fd.Unreact(bisect.ID, mod, "⭐")
	votes := func() int {
		tip, _ := w.tip(general, bisect.ID)
		return tip.UsefulVotes
	}
	fd.Wait(t, "the hall of fame post, at 2 votes", func() bool { return len(fd.BotMessages(random)) > 0 })
	// the last events are mod's ⭐ and its removal: once handled, the
	// tally is final
	fd.Wait(t, "every vote", func() bool { return w.tap.handled(":" + itoa(last)) })
	if v := votes(); v != 2 {
		t.Errorf("votes on the bisect tip = %d, want 2 (bob and carol)", v)
	}
	// votes on a message before it is captured count once it is
	late := fd.Say(general, bob, "use git worktree for hotfixes")
	fd.React(late.ID, alice, "👍")
	fd.React(late.ID, carol, "💡")
	fd.React(late.ID, bob, "🔖") // the author saves his own message
	ack("the late tip", late.ID)
	fd.Wait(t, "the pending votes to count", func() bool {
		tip, err := w.tip(general, late.ID)
		return err == nil && tip.UsefulVotes == 2
	})
	// a moderator clears reactions: every 💡 (MESSAGE_REACTION_REMOVE_EMOJI,
	// which discordgo does not decode), then all (MESSAGE_REACTION_REMOVE_ALL)
	clearedVotes := func(want int) func() bool {
		return func() bool {
			tip, err := w.tip(general, late.ID)
			return err == nil && tip.UsefulVotes == want
		}
	}
	fd.ClearReactions(late.ID, "💡")
	fd.Wait(t, "carol's 💡 vote cleared, alice's 👍 kept", clearedVotes(1))
	fd.ClearReactions(late.ID, "")
	fd.Wait(t, "every vote cleared", clearedVotes(0))
	fd.React(late.ID, carol, "💡")
	fd.Wait(t, "carol voting again", clearedVotes(1))

	// a reconnect (op 7 → resume, with already-seen dispatches replayed)
	// and a dropped connection change nothing
	w.bot.Wait()
	before := w.tips()
	hof := len(fd.BotMessages(random))
	fd.Reconnect()
	fd.Wait(t, "the resume", func() bool { return fd.Resumes() == 1 && w.a.Connected() })
	fd.Drop()
	fd.Wait(t, "the second resume", func() bool { return fd.Resumes() == 2 && w.a.Connected() })
	after := fd.Say(general, carol, "astuce : git commit --fixup puis rebase --autosquash #git")
	ack("a tip after the reconnects", after.ID)
	w.bot.Wait()
	if got := w.tips(); len(got) != len(before)+1 {
		t.Errorf("tips went from %d to %d after replays and one new tip", len(before), len(got))
	}
	if v := votes(); v != 2 {
		t.Errorf("votes on the bisect tip = %d after replays, want 2", v)
	}
	// the hall of fame: once for each tip that reached 2 votes
	if n := len(fd.BotMessages(random)); n != hof || hof != 2 {
		t.Errorf("hall of fame posts: %d then %d, want 2", hof, n)
	}
	for i, want := range []string{"git bisect", "git worktree"} {
		if m := fd.BotMessages(random); len(m) > i && !strings.Contains(m[i].Text(), want) {
			t.Errorf("hall of fame post %d = %q, want %q", i, m[i].Text(), want)
		}
	}
	if dms := fd.DirectMessages(alice); len(dms) != 1 || !strings.Contains(dms[0].Text(), "hall of fame") {
		t.Errorf("alice's thanks = %+v", dms)
	}

	// every /tips sub-command, answered privately
	if ans := w.ask(alice, "tips", discordtest.Sub("help")); !strings.Contains(ans.Text(), "/tips top") {
		t.Errorf("help = %q", ans.Text())
	}
	if ans := w.ask(alice, "tips", discordtest.Sub("top", discordtest.Str("period", "week"))); !strings.Contains(ans.Text(), "git bisect") {
		t.Errorf("top = %q", ans.Text())
	}
	if ans := w.ask(alice, "tips", discordtest.Sub("search", discordtest.Str("words", "bisect"))); !strings.Contains(ans.Text(), "git bisect") ||
		!strings.Contains(ans.Text(), "https://discord.com/channels/"+guildID+"/"+general+"/"+bisect.ID) {
		t.Errorf("search = %q", ans.Text())
	}
	if ans := w.ask(alice, "tips", discordtest.Sub("me")); !strings.Contains(ans.Text(), "Your tips") {
		t.Errorf("me = %q", ans.Text())
	}
	if ans := w.ask(alice, "tips", discordtest.Sub("experts", discordtest.Str("topic", "git"))); !strings.Contains(ans.Text(), "1. alice — 2 useful votes") {
		t.Errorf("experts = %q", ans.Text())
	}
	w.ask(mod, "tips", discordtest.Sub("sessions"))
	w.ask(mod, "tips", discordtest.Sub("close", discordtest.Str("session", "s1")))
	w.botMessage("the recap", "", "Recap of «Git basics»")
	ans := w.ask(mod, "tips", discordtest.Group("schedule", discordtest.Sub("add", discordtest.Str("cron", "CRON_TZ=Europe/Paris 0 17 * * FRI"),
		discordtest.ChannelOpt("channel", random), discordtest.Str("title", "Weekly retro"))))
	sched := strings.Fields(strings.TrimPrefix(ans.Text(), "Schedule "))[0]
	if ans := w.ask(mod, "tips", discordtest.Group("schedule", discordtest.Sub("list"))); !strings.Contains(ans.Text(), "Weekly retro") {
		t.Errorf("schedule list = %q", ans.Text())
	}
	if ans := w.ask(mod, "tips", discordtest.Group("schedule", discordtest.Sub("remove", discordtest.Str("id", sched)))); !strings.Contains(ans.Text(), "removed") {
		t.Errorf("schedule remove %s = %q", sched, ans.Text())
	}
	if ans := w.ask(mod, "tips", discordtest.Sub("report", discordtest.Str("period", "month"))); !strings.Contains(ans.Text(), "Tips captured: 9") ||
		!strings.Contains(ans.Text(), "Participation") {
		t.Errorf("report = %q", ans.Text())
	}
	w.ask(mod, "tips", discordtest.Sub("report", discordtest.ChannelOpt("channel", random)))
	w.ask(mod, "tips", discordtest.Sub("pending"))
	w.ask(mod, "tips", discordtest.Sub("feature", discordtest.Str("tip", "t1")))
	w.ask(mod, "tips", discordtest.Sub("approve", discordtest.Str("tip", "t2")))
	w.ask(mod, "tips", discordtest.Sub("reject", discordtest.Str("tip", "t3")))
	ans = w.ask(mod, "tips-admin", discordtest.Sub("export", discordtest.Str("format", "csv")))
	if len(ans.Files) != 1 || !strings.Contains(string(ans.Files[0].Data), "use git bisect to find regressions") {
		t.Errorf("export = %+v", ans)
	}
	w.ask(mod, "tips-admin", discordtest.Group("trainer", discordtest.Sub("add", discordtest.UserOpt("user", carol))))
	// carol, now a trainer, may open sessions; bob may not
	w.ask(carol, "tips", discordtest.Sub("sessions"))
	w.ask(mod, "tips-admin", discordtest.Group("trainer", discordtest.Sub("remove", discordtest.UserOpt("user", carol))))
	if ans := w.ask(bob, "tips-admin", discordtest.Sub("export")); len(ans.Files) != 0 || !strings.Contains(ans.Text(), "Only admins") {
		t.Errorf("a member's export = %+v", ans)
	}
	// The member objects of payloads fill the directory of people.
	member := func(id string) (bot.Member, error) {
		var m bot.Member
		err := w.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
			var err error
			m, err = tx.Member(id)
			return err
		})
		return m, err
	}
	if m, err := member(mod); err != nil || m.Name == "" || !m.Admin || m.Bot {
		t.Errorf("directory entry of the moderator = %+v, %v", m, err)
	}
	if m, err := member(alice); err != nil || m.Name == "" || m.Admin {
		t.Errorf("directory entry of alice = %+v, %v", m, err)
	}
	if ans := w.ask(alice, "tips", discordtest.Sub("forget-me")); !strings.Contains(ans.Text(), "forget-me confirm") {
		t.Errorf("forget-me = %q", ans.Text())
	}
	w.ask(alice, "tips", discordtest.Sub("forget-me", discordtest.Bool("confirm", true)))
	if _, err := w.tip(general, bisect.ID); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("alice's tip after forget-me: %v", err)
	}
	if _, err := member(alice); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("alice in the directory after forget-me: %v", err)
	}
	if fd.RateLimited() != 0 {
		t.Errorf("%d requests over a rate limit", fd.RateLimited())
	}
}

// TestEndToEndEditsAndDeletes: editing the source message updates the tip,
// deleting it deletes the tip, a /tip post deleted by a moderator too.
func TestEndToEndEditsAndDeletes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, nil)
	fd := w.fd
	m := fd.Say(general, alice, "tip: use ripgrep")
	fd.Wait(t, "the ack", func() bool { return fd.HasReaction(m.ID, "💡") })
	fd.Edit(m.ID, "tip: use ripgrep, it respects .gitignore")
	fd.Wait(t, "the edit", func() bool {
		tip, err := w.tip(general, m.ID)
		return err == nil && tip.Text == "use ripgrep, it respects .gitignore"
	})
	fd.Delete(m.ID)
	fd.Wait(t, "the deletion", func() bool {
		_, err := w.tip(general, m.ID)
		return errors.Is(err, bot.ErrNotFound)
	})
}
