package discord

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// Tests of issue 21: Discord as it really behaves.

// TestReactionBurstNeverDelaysCommands: 600 🎉 on a 1.3 KB message while
// someone runs /tips me in another channel. The command is applied before
// the burst queued ahead of it is through (it is answered within Discord's
// 3 s: the log gives the time) and no 🎉 makes tipbot read the message by
// REST.
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
	first := fd.Responses(id)[0]
	t.Logf("first answer (%s type %d) %v after the command, behind 600 🎉", first.Kind, first.Type, first.At.Sub(sent).Round(time.Millisecond))
	// Not a wall-clock bound (CI is a busy 2-core machine): the command
	// must not wait behind the burst, so the core applied it before the
	// last 🎉, which queued ahead of it.
	fd.Wait(t, "every 🎉 handled", func() bool { return w.tap.handled(":" + itoa(last)) })
	commandAt, lastAt := w.tap.order(id), w.tap.order(":"+itoa(last))
	if commandAt < 0 || commandAt > lastAt {
		t.Errorf("the command was applied at %d, after the last 🎉 (%d): it waited behind the burst", commandAt, lastAt)
	}
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
	// Heartbeats every 3 s: often enough to see them acknowledged while
	// the events wait, rarely enough that a loaded CI machine starving the
	// reader for a moment does not look like a dead connection.
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), HeartbeatInterval: 3 * time.Second})
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
	reactions := 0
	for _, ev := range rec.all() {
		if _, ok := ev.(*bot.ReactionAdded); ok {
			reactions++
		}
	}
	if reactions > 1 {
		t.Fatalf("%d reactions handled: they were not held back, the test tests nothing", reactions)
	}
	once.Do(func() { close(release) })
	waitFor(t, rec, func(e *bot.ReactionAdded) bool { return strings.HasSuffix(e.ID, ":"+itoa(last)) })
}

// instance is one run of tipbot over a store file: the core, its
// scheduler and outbox, and the adapter.
type instance struct {
	db   *store.DB
	bot  *bot.Bot
	a    *Adapter
	tap  *tap
	stop func()
}

// start runs tipbot against fd on the store at path until stop is called
// (or the test ends).
func start(t *testing.T, fd *discordtest.Server, path string, tweak ...func(*Config, *Adapter)) *instance {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return time.Now().UTC() },
		Cron: cron.Parse, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{db: db, bot: b, tap: &tap{h: b}}
	a, err := New(Config{Token: discordtest.Token, APIURL: fd.URL, GuildIDs: []string{guildID}, Logger: testLogger(t)}, in.tap)
	if err != nil {
		t.Fatal(err)
	}
	a.retryWait = time.Millisecond
	for _, f := range tweak {
		f(&a.cfg, a)
	}
	in.a = a
	b.Attach(Platform, a)
	ctx, cancel := context.WithCancel(context.Background())
	adapterDone, botDone := make(chan error, 1), make(chan error, 1)
	go func() { adapterDone <- a.Run(ctx) }()
	go func() { botDone <- b.Run(ctx) }()
	var once sync.Once
	in.stop = func() {
		once.Do(func() {
			cancel()
			for _, done := range []chan error{adapterDone, botDone} {
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("Run: %v", err)
					}
				case <-time.After(15 * time.Second):
					t.Error("Run did not return after cancel")
				}
			}
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			b.Shutdown(sctx)
			scancel()
			if err := db.Check(); err != nil {
				t.Errorf("store check: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(in.stop)
	fd.Wait(t, "the adapter to connect", a.Connected)
	return in
}

func (in *instance) tip(t *testing.T, fd *discordtest.Server, channel, messageID string) bot.Tip {
	t.Helper()
	var tip bot.Tip
	fd.Wait(t, "a tip from message "+messageID, func() bool {
		err := in.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
			var err error
			tip, err = tx.TipByMessage(channel, messageID)
			return err
		})
		return err == nil
	})
	return tip
}

// TestThreadsKeptAcrossRestart: tips captured in a thread and in a forum
// post, whose acknowledgements could not be sent before tipbot stopped.
// After the restart (memory empty) the acknowledgements land on the thread
// messages and the links name the threads.
func TestThreadsKeptAcrossRestart(t *testing.T) {
	t.Parallel()
	const forum, post = "910000000000000015", "910000000000000016"
	guilds := testGuilds()
	guilds[0].Channels = append(guilds[0].Channels,
		discordtest.Channel{ID: forum, Name: "help", Type: 15},
		discordtest.Channel{ID: post, Name: "how do I rebase?", Type: 11, ParentID: forum})
	fd := discordtest.New(t, discordtest.Options{Guilds: guilds})
	path := filepath.Join(t.TempDir(), "tipbot.db")

	first := start(t, fd, path)
	starter := fd.Say(general, alice, "what do you use for git?")
	thread := fd.StartThread(starter.ID, "git")
	fd.InjectError("PUT", "/reactions/", 1_000_000, 503, false)
	inThread := fd.Say(thread, bob, "tip: git switch - goes back to the previous branch")
	inPost := fd.Say(post, carol, "tip: git rebase --onto moves a branch")
	if tip := first.tip(t, fd, general, inThread.ID); tip.ThreadID != thread {
		t.Fatalf("thread tip = %+v, want ThreadID %s", tip, thread)
	}
	if tip := first.tip(t, fd, forum, inPost.ID); tip.ThreadID != post {
		t.Fatalf("forum tip = %+v, want ThreadID %s", tip, post)
	}
	fd.Wait(t, "the acknowledgements to fail", func() bool { return fd.Injected() >= 2 })
	first.stop()
	if fd.HasReaction(inThread.ID, "💡") || fd.HasReaction(inPost.ID, "💡") {
		t.Fatal("an acknowledgement went through before the restart: the test tests nothing")
	}

	fd.ClearInjections()
	start(t, fd, path)
	fd.Wait(t, "the acknowledgement in the thread", func() bool { return fd.HasReaction(inThread.ID, "💡") })
	fd.Wait(t, "the acknowledgement in the forum post", func() bool { return fd.HasReaction(inPost.ID, "💡") })
	for _, r := range fd.Requests() {
		if r.Method == "PUT" && strings.Contains(r.Path, "/reactions/") && r.Status == 404 {
			t.Errorf("a reaction went to the wrong channel: %s → %d", r.Path, r.Status)
		}
	}
	for _, c := range []struct{ words, link string }{
		{"previous branch", "https://discord.com/channels/" + guildID + "/" + thread + "/" + inThread.ID},
		{"onto", "https://discord.com/channels/" + guildID + "/" + post + "/" + inPost.ID},
	} {
		id := fd.Run(discordtest.Command{Guild: guildID, Channel: random, User: alice, Name: "tips",
			Options: []discordtest.Option{discordtest.Sub("search", discordtest.Str("words", c.words))}})
		if ans := fd.Answer(t, id); !strings.Contains(ans.Text(), c.link) {
			t.Errorf("search %q = %q, want the link %s", c.words, ans.Text(), c.link)
		}
	}
}

// TestReactionVariantsEachHoldTheVote: Discord keeps 👍, 👍🏽 and a super
// 👍 apart; a person's vote stays while any of them remains.
func TestReactionVariantsEachHoldTheVote(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, nil)
	fd := w.fd
	m := fd.Say(general, alice, "tip: git add -p stages hunks")
	fd.Wait(t, "the ack", func() bool { return fd.HasReaction(m.ID, "💡") })
	votes := func(after int64) int {
		fd.Wait(t, "the reactions to be handled", func() bool { return w.tap.handled(":" + itoa(after)) })
		tip, err := w.tip(general, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return tip.UsefulVotes
	}
	fd.React(m.ID, bob, "👍")
	seq := fd.React(m.ID, bob, "👍🏽")
	if v := votes(seq); v != 1 {
		t.Fatalf("votes after 👍 and 👍🏽 from bob = %d, want 1", v)
	}
	if v := votes(fd.Unreact(m.ID, bob, "👍🏽")); v != 1 {
		t.Errorf("votes after bob took 👍🏽 off, 👍 still there = %d, want 1", v)
	}
	fd.SuperReact(m.ID, carol, "👍")
	fd.React(m.ID, carol, "👍")
	if v := votes(fd.Unreact(m.ID, carol, "👍")); v != 2 {
		t.Errorf("votes after carol took her 👍 off, her super 👍 still there = %d, want 2", v)
	}
	if v := votes(fd.SuperUnreact(m.ID, carol, "👍")); v != 1 {
		t.Errorf("votes after carol took her super 👍 off = %d, want 1", v)
	}
	if v := votes(fd.Unreact(m.ID, bob, "👍")); v != 0 {
		t.Errorf("votes after bob took 👍 off = %d, want 0", v)
	}
}

// TestMessageContentMissingIsTold: without the intent, /tips help tells
// admins (not members), and the first admin to run a /tips command that
// day is told once.
func TestMessageContentMissingIsTold(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{RefuseMessageContent: true}, nil)
	if !strings.Contains(w.a.HealthNote(), "message content intent missing") {
		t.Errorf("HealthNote() = %q", w.a.HealthNote())
	}
	told := func(ans discordtest.Response) bool { return strings.Contains(ans.Text(), "Message Content intent") }
	if ans := w.ask(alice, "tips", discordtest.Sub("help")); told(ans) {
		t.Errorf("a member's help carries the admin notice: %q", ans.Text())
	}
	if ans := w.ask(mod, "tips", discordtest.Sub("me")); !told(ans) {
		t.Errorf("the day's first admin command is not told: %q", ans.Text())
	}
	if ans := w.ask(owner, "tips", discordtest.Sub("me")); told(ans) {
		t.Errorf("the notice is repeated the same day: %q", ans.Text())
	}
	if ans := w.ask(owner, "tips", discordtest.Sub("help")); !told(ans) || !strings.Contains(ans.Text(), "/tips top") {
		t.Errorf("an admin's help = %q, want the commands and the notice", ans.Text())
	}
}

// startRaw runs an adapter without waiting for anything; it returns the
// adapter, its cancel and the channel Run's result arrives on.
func startRaw(t *testing.T, fd *discordtest.Server) (*Adapter, context.CancelFunc, chan error) {
	t.Helper()
	a, err := New(Config{Token: discordtest.Token, APIURL: fd.URL, GuildIDs: []string{guildID}, Logger: testLogger(t)}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	a.retryWait = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return a, cancel, done
}

// putCommands counts the registration requests.
func putCommands(fd *discordtest.Server) int {
	n := 0
	for _, r := range fd.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") {
			n++
		}
	}
	return n
}

// TestRegistrationOffTheCriticalPath: registration meets an 8 s 429. A
// gateway drop meanwhile is reconnected before registration is retried,
// and the commands are registered once the 429 has been waited out.
func TestRegistrationOffTheCriticalPath(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	fd.Inject429("PUT", "/commands", 1, 8)
	a, _, _ := startRaw(t, fd)
	fd.Wait(t, "the 429 on registration", func() bool { return fd.Injected() == 1 })
	fd.Wait(t, "the gateway", a.Connected)
	dropped := time.Now()
	fd.Drop()
	fd.Wait(t, "the resume after the drop", func() bool { return fd.Resumes() == 1 && a.Connected() })
	back := time.Since(dropped)
	if fd.Commands(guildID) != nil || putCommands(fd) != 1 {
		t.Fatal("registration was retried before the reconnect: the test tests nothing")
	}
	t.Logf("reconnected %v after the drop", back.Round(time.Millisecond))
	if back > 6*time.Second { // failure guard only: it takes milliseconds
		t.Errorf("reconnected %v after the drop, waiting on registration's 429", back)
	}
	deadline := time.Now().Add(20 * time.Second)
	for fd.Commands(guildID) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if fd.Commands(guildID) == nil {
		t.Error("the commands were never registered after the 429")
	}
}

// TestShutdownDoesNotWaitForRegistration: cancelling Run while
// registration waits out an 8 s 429 returns at once (discordgo's close
// takes one second); the 429 is not waited out.
func TestShutdownDoesNotWaitForRegistration(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	fd.Inject429("PUT", "/commands", 1, 8)
	a, cancel, done := startRaw(t, fd)
	fd.Wait(t, "the 429 on registration", func() bool { return fd.Injected() == 1 })
	fd.Wait(t, "the gateway", a.Connected)
	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- nil // for the cleanup
	case <-time.After(6 * time.Second): // failure guard, under the 8 s 429
		t.Fatal("Run did not return while registration waited out its 429")
	}
	t.Logf("Run returned %v after cancel", time.Since(stopped).Round(time.Millisecond))
	if n := putCommands(fd); n != 1 {
		t.Errorf("%d registration requests, want 1 (no retry after shutdown)", n)
	}
}

// TestResumeAtResumeGatewayURL: after a drop, the client resumes at READY's
// resume_gateway_url, not at the URL it identified on.
func TestResumeAtResumeGatewayURL(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	a := run(t, fd, &recorder{})
	fd.Drop()
	fd.Wait(t, "the resume", func() bool { return fd.Resumes() == 1 && a.Connected() })
	fd.Reconnect() // op 7: resume again
	fd.Wait(t, "the second resume", func() bool { return fd.Resumes() == 2 && a.Connected() })
	ids := fd.Identifies()
	if len(ids) != 1 || !strings.HasPrefix(ids[0].Path, "/gateway") {
		t.Errorf("identifies = %+v, want one at /gateway", ids)
	}
	for i, r := range fd.ResumeLog() {
		if !strings.HasPrefix(r.Path, "/resume-gateway") {
			t.Errorf("resume %d at %s, want READY's resume_gateway_url (/resume-gateway)", i, r.Path)
		}
	}
}

// TestZombieConnectionResumes: heartbeats stop being acknowledged; the
// client closes with a code that keeps the session (not 1000 or 1001) and
// resumes it, nothing lost.
func TestZombieConnectionResumes(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), HeartbeatInterval: time.Second})
	rec := &recorder{}
	a := run(t, fd, rec)
	beats := fd.Heartbeats()
	fd.Wait(t, "a few heartbeats", func() bool { return fd.Heartbeats() >= beats+3 })
	fd.MuteHeartbeats(true)
	fd.Wait(t, "the client to close", func() bool { return len(fd.CloseCodes()) > 0 })
	fd.MuteHeartbeats(false)
	m := fd.Say(general, alice, "said while the connection was a zombie")
	fd.Wait(t, "the resume", func() bool { return fd.Resumes() >= 1 && a.Connected() })
	waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == m.ID })
	for _, code := range fd.CloseCodes() {
		if code == 1000 || code == 1001 {
			t.Errorf("closed with %d, which ends the session", code)
		}
	}
	if n := len(fd.Identifies()); n != 1 {
		t.Errorf("%d identifies, want 1: the session was resumed", n)
	}
}

// TestInvalidSessionWaitsBeforeIdentifying: after op 9 the client waits
// 1–5 s before identifying, as Discord asks.
func TestInvalidSessionWaitsBeforeIdentifying(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	run(t, fd, &recorder{})
	fd.InvalidSession()
	fd.Wait(t, "the identify after op 9", func() bool { return len(fd.Identifies()) == 2 })
	waited := fd.Identifies()[1].At.Sub(fd.InvalidatedAt())
	t.Logf("identified %v after op 9", waited.Round(time.Millisecond))
	if waited < time.Second || waited > 10*time.Second { // upper: failure guard for the 5 s
		t.Errorf("identified %v after op 9, want 1–5 s", waited)
	}
}

// TestSessionStartLimitIsRespected: /gateway/bot says no identify is left
// for 1.5 s; the client identifies only after Discord's reset.
func TestSessionStartLimitIsRespected(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds(), SessionsExhaustedFor: 1500 * time.Millisecond})
	started := time.Now()
	a, _, _ := startRaw(t, fd)
	fd.Wait(t, "the gateway", a.Connected)
	if ids := fd.Identifies(); len(ids) != 1 || ids[0].At.Sub(started) < 1400*time.Millisecond {
		t.Errorf("identified %v after start, before session_start_limit's reset (1.5 s)", ids[0].At.Sub(started))
	}
}

// PauseWorkspace hands a guild's removal to the core when it can.
func (t *tap) PauseWorkspace(ctx context.Context, ws bot.Workspace, paused bool) error {
	if p, ok := t.h.(Pauser); ok {
		return p.PauseWorkspace(ctx, ws, paused)
	}
	return nil
}

// TestRemovalPausesTheServer: tipbot is removed from a server while an
// acknowledgement is still owed there. The server is paused: what was owed
// is dropped and counted, nothing more is asked of the server, a 403 is
// remembered like a 404; invited back, it is resumed.
func TestRemovalPausesTheServer(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	in := start(t, fd, filepath.Join(t.TempDir(), "tipbot.db"))
	ctx := context.Background()
	counter := func(name string) int64 {
		var n int64
		if err := in.db.View(ctx, ws, func(tx bot.ReadTx) error {
			var err error
			n, err = tx.Counter(name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	paused := func() bool {
		err := in.db.View(ctx, ws, func(tx bot.ReadTx) error {
			_, err := tx.Record("paused", "workspace")
			return err
		})
		return err == nil
	}
	fd.InjectError("PUT", "/reactions/", 1_000_000, 503, false)
	m := fd.Say(general, alice, "tip: owed an acknowledgement")
	in.tip(t, fd, general, m.ID)
	fd.Wait(t, "the acknowledgement to fail", func() bool { return fd.Injected() >= 1 })

	fd.RemoveBot(guildID)
	fd.Wait(t, "the server to be paused", paused)
	if p, d := counter(bot.CounterOutboxPending), counter(bot.CounterOutboxDropped); p != 0 || d != 1 {
		t.Errorf("outbox after the removal: pending %d, dropped %d; want 0 and 1", p, d)
	}
	// An attempt already under way when the server was removed may end;
	// nothing may start after it.
	fd.ClearInjections()
	in.bot.Wait()
	seen := len(fd.Requests())
	time.Sleep(3 * time.Second) // the failed acknowledgement's retry falls due (1 s, then 2 s)
	for _, r := range fd.Requests()[seen:] {
		if strings.Contains(r.Path, "/channels/"+general) || strings.Contains(r.Path, "/guilds/"+guildID) {
			t.Errorf("request to the server tipbot was removed from: %s %s → %d at %v", r.Method, r.Path, r.Status, r.At.Format("15:04:05.000"))
		}
	}
	if fd.HasReaction(m.ID, "💡") {
		t.Error("the acknowledgement owed was sent after the removal")
	}

	const late = "910000000000000099" // created after the removal: not in the gateway state
	fd.AddChannel(guildID, late, "late")
	for range 2 {
		if _, err := in.a.dir.channel(ctx, late); err != errUnknownChannel {
			t.Errorf("a channel answered 403: %v", err)
		}
	}
	gets := 0
	for _, r := range fd.Requests() {
		if r.Method == "GET" && r.Path == "/api/v9/channels/"+late {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("a 403 channel fetched %d times, want once (then remembered)", gets)
	}

	fd.InviteBack(guildID)
	fd.Wait(t, "the server to be resumed", func() bool { return !paused() })
}
