package discord

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

func TestPostReactDirect(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	rec := &recorder{}
	a := run(t, fd, rec)
	ctx := context.Background()

	src := fd.Say(general, alice, "tip: small commits")
	waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == src.ID })

	// an embed with a jump link, the title as text fallback
	id, err := a.Post(ctx, ws, general, bot.Message{Title: "💡 Tip t1 by Alice", Lines: []bot.Line{
		{Text: "small commits @everyone"}, {Text: "source", Ref: &bot.MessageRef{Channel: general, MessageID: src.ID}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := fd.Message(id)
	if !ok || got.ChannelID != general || got.Content != "💡 Tip t1 by Alice" || len(got.Embeds) != 1 {
		t.Fatalf("posted %+v", got)
	}
	wantDesc := "small commits @everyone\nsource [↗](https://discord.com/channels/" + guildID + "/" + general + "/" + src.ID + ")"
	if got.Embeds[0].Title != "" || got.Embeds[0].Description != wantDesc {
		t.Errorf("embed = %+v, want description %q", got.Embeds[0], wantDesc)
	}
	for _, r := range fd.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") &&
			(!strings.Contains(string(r.Body), `"allowed_mentions":{"parse":[]`) || !strings.Contains(string(r.Body), `"enforce_nonce":true`)) {
			t.Errorf("message body without allowed_mentions none or nonce: %s", r.Body)
		}
	}

	// a plain one-liner has no embed
	id, err = a.Post(ctx, ws, general, bot.Message{Lines: []bot.Line{{Text: "What did you retain?"}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := fd.Message(id); m.Content != "What did you retain?" || len(m.Embeds) != 0 {
		t.Errorf("one-liner = %+v", m)
	}
	prompt := id

	// Thread set, no thread on the message: a reply
	id, err = a.Post(ctx, ws, general, bot.Message{Thread: prompt, Lines: []bot.Line{{Text: "3 answers so far"}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := fd.Message(id); m.ChannelID != general || m.Reference != prompt {
		t.Errorf("reply = %+v, want a reply to %s in %s", m, prompt, general)
	}
	// a thread started on it: into the thread
	thread := fd.StartThread(prompt, "answers")
	fd.Wait(t, "the thread to reach the state", func() bool {
		ci, err := a.dir.channel(ctx, thread)
		return err == nil && ci.Thread
	})
	id, err = a.Post(ctx, ws, general, bot.Message{Thread: prompt, Lines: []bot.Line{{Text: "recap"}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := fd.Message(id); m.ChannelID != thread || m.Reference != "" {
		t.Errorf("thread post = %+v, want in thread %s", m, thread)
	}

	// the acknowledgement reaction, also on a message in a thread given
	// with its parent channel
	if err := a.React(ctx, ws, general, src.ID, "💡"); err != nil {
		t.Fatal(err)
	}
	inThread := fd.Say(thread, bob, "tip: pair on hard bugs")
	waitFor(t, rec, func(e *bot.MessagePosted) bool { return e.MessageID == inThread.ID })
	if err := a.React(ctx, ws, general, inThread.ID, "💡"); err != nil {
		t.Fatal(err)
	}
	if !fd.HasReaction(src.ID, "💡") || !fd.HasReaction(inThread.ID, "💡") {
		t.Errorf("reactions: %v %v", fd.Reactions(src.ID), fd.Reactions(inThread.ID))
	}

	// a private message with an attachment
	err = a.Direct(ctx, ws, alice, bot.Message{Lines: []bot.Line{{Text: "Your export"}},
		File: &bot.File{Name: "tips.csv", MIMEType: "text/csv", Data: []byte("id,text\n1,small commits\n")}})
	if err != nil {
		t.Fatal(err)
	}
	dms := fd.DirectMessages(alice)
	if len(dms) != 1 || dms[0].Content != "Your export" || len(dms[0].Files) != 1 || string(dms[0].Files[0].Data) != "id,text\n1,small commits\n" {
		t.Errorf("DMs = %+v", dms)
	}

	// another guild's channel is refused: no data crosses workspaces
	before := len(fd.BotMessages(""))
	if _, err := a.Post(ctx, ws, otherChan, bot.Message{Lines: []bot.Line{{Text: "leak"}}}); err == nil {
		t.Error("posting in another guild's channel succeeded")
	}
	if err := a.React(ctx, ws, otherChan, src.ID, "💡"); err == nil {
		t.Error("reacting in another guild's channel succeeded")
	}
	if _, err := a.Post(ctx, bot.Workspace{Platform: "slack", ID: guildID}, general, bot.Message{Lines: []bot.Line{{Text: "x"}}}); err == nil {
		t.Error("posting for a Slack workspace succeeded")
	}
	if after := len(fd.BotMessages("")); after != before {
		t.Errorf("bot messages went from %d to %d", before, after)
	}
	if fd.RateLimited() != 0 {
		t.Errorf("%d requests over a rate limit", fd.RateLimited())
	}
}

// TestRateLimit429IsWaitedOut: a 429 with retry_after is waited out (by
// discordgo, which tells OnRateLimit how long) and the message goes once,
// on the request after the 429.
func TestRateLimit429IsWaitedOut(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	var waits atomic.Int64
	a := run(t, fd, &recorder{}, func(c *Config, _ *Adapter) {
		c.OnRateLimit = func(d time.Duration) {
			if d >= 300*time.Millisecond {
				waits.Add(1)
			}
		}
	})
	fd.Inject429("POST", "/channels/"+general+"/messages", 1, 0.3)
	id, err := a.Post(context.Background(), ws, general, bot.Message{Lines: []bot.Line{{Text: "after the limit"}}})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, r := range fd.Requests() {
		if r.Method == "POST" && r.Path == "/api/v9/channels/"+general+"/messages" {
			statuses = append(statuses, r.Status)
		}
	}
	if want := []int{http.StatusTooManyRequests, http.StatusOK}; !slices.Equal(statuses, want) {
		t.Errorf("posts answered %v, want %v", statuses, want)
	}
	if fd.Injected() != 1 || len(fd.BotMessages(general)) != 1 {
		t.Errorf("injected %d, posted %d", fd.Injected(), len(fd.BotMessages(general)))
	}
	if m, _ := fd.Message(id); m.Content != "after the limit" {
		t.Errorf("message = %+v", m)
	}
	if got := waits.Load(); got != 1 {
		t.Errorf("OnRateLimit told of %d waits of retry_after, want 1", got)
	}
}

// TestFanOut200Channels: 200 posts at once reach 200 channels through the
// fake, none lost, and the times the pacer let the requests go keep under
// the global 50 requests per second. (How long the fan-out takes is
// TestPacerStaysUnderTheGlobalLimit's, under synctest.)
func TestFanOut200Channels(t *testing.T) {
	t.Parallel()
	guilds := testGuilds()
	var channels []string
	for i := range 200 {
		id := fmt.Sprintf("93%016d", i)
		channels = append(channels, id)
		guilds[0].Channels = append(guilds[0].Channels, discordtest.Channel{ID: id, Name: fmt.Sprintf("team-%d", i)})
	}
	fd := discordtest.New(t, discordtest.Options{Guilds: guilds})
	var mu sync.Mutex
	var granted []time.Time
	a := run(t, fd, &recorder{}, func(_ *Config, a *Adapter) {
		a.s.Client.Transport.(*rewriter).pace.granted = func(at time.Time) {
			mu.Lock()
			granted = append(granted, at)
			mu.Unlock()
		}
	})
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(channels))
	for _, c := range channels {
		wg.Go(func() {
			if _, err := a.Post(context.Background(), ws, c, bot.Message{Title: "What did you retain?", Lines: []bot.Line{{Text: "Session s1"}}}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range channels {
		if n := len(fd.BotMessages(c)); n != 1 {
			t.Errorf("channel %s got %d posts", c, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(granted) < len(channels) {
		t.Errorf("the pacer let %d requests go for %d posts", len(granted), len(channels))
	}
	peak := peakPerSecond(granted)
	if peak > globalBurst+globalRate {
		t.Errorf("the pacer let %d requests go in one second, more than %d", peak, globalBurst+globalRate)
	}
	t.Logf("fan-out: 200 posts in %v of wall clock (for information; floor at 40/s after a burst of 5: %v), peak %d requests/s granted, %d 429s from the fake",
		time.Since(began).Round(time.Millisecond), (195 * time.Second / 40).Round(time.Millisecond), peak, fd.RateLimited())
}

// TestChannelBucketIsRespected: six posts in one channel meet the bucket
// of five per five seconds; discordgo waits from the headers, no 429.
func TestChannelBucketIsRespected(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	a := run(t, fd, &recorder{})
	start := time.Now()
	for i := range 6 {
		if _, err := a.Post(context.Background(), ws, random, bot.Message{Lines: []bot.Line{{Text: fmt.Sprint("post ", i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fd.BotMessages(random)); n != 6 || fd.RateLimited() != 0 {
		t.Errorf("posted %d, 429s %d", n, fd.RateLimited())
	}
	t.Logf("6 posts in one channel took %v (bucket: 5 per 5 s)", time.Since(start).Round(time.Millisecond))
}

// peakPerSecond is the most times within any one-second window.
func peakPerSecond(times []time.Time) int {
	ts := slices.SortedFunc(slices.Values(times), time.Time.Compare)
	peak := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) < time.Second; j++ {
			n++
		}
		peak = max(peak, n)
	}
	return peak
}

// TestTransientFailuresAreRetried: a 503 (nothing done) and a 500 whose
// request had gone through are retried with the same nonce: the message
// exists once.
func TestTransientFailuresAreRetried(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	a := run(t, fd, &recorder{})
	fd.InjectError("POST", "/channels/"+general+"/messages", 1, 503, false)
	fd.InjectError("POST", "/channels/"+general+"/messages", 1, 500, true)
	id, err := a.Post(context.Background(), ws, general, bot.Message{Lines: []bot.Line{{Text: "once"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ms := fd.BotMessages(general); len(ms) != 1 || ms[0].ID != id || fd.Injected() != 2 {
		t.Errorf("messages %+v after %d failures, want one with id %s", ms, fd.Injected(), id)
	}
	fd.InjectError("PUT", "/reactions/", 1, 503, false)
	if err := a.React(context.Background(), ws, general, id, "💡"); err != nil || !fd.HasReaction(id, "💡") {
		t.Errorf("react after a 503: %v", err)
	}
	fd.InjectError("POST", "/channels/"+random+"/messages", 10, 400, false)
	if _, err := a.Post(context.Background(), ws, random, bot.Message{Lines: []bot.Line{{Text: "refused"}}}); err == nil || fd.Injected() != 4 {
		t.Errorf("a 400 was retried or not reported: %v, %d failures answered", err, fd.Injected())
	}
}

// TestRepliesToPassiveEventsAreDirect: Discord has no private reply outside
// interactions, so a core reply to a message goes by direct message.
func TestRepliesToPassiveEventsAreDirect(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	run(t, fd, &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		if _, ok := ev.(*bot.MessagePosted); ok {
			return &bot.Message{Lines: []bot.Line{{Text: "Your tip waits for approval."}}}, nil
		}
		return nil, nil
	}})
	fd.Say(general, carol, "tip: hello")
	fd.Wait(t, "the direct message", func() bool { return len(fd.DirectMessages(carol)) == 1 })
	if m := fd.DirectMessages(carol)[0]; m.Content != "Your tip waits for approval." {
		t.Errorf("DM = %+v", m)
	}
}

// TestOversizedFileIsExplained: an export over Discord's upload limit is
// answered with a sentence instead of failing.
func TestOversizedFileIsExplained(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	run(t, fd, &recorder{reply: func(bot.Event) (bot.Reply, error) {
		return &bot.Message{Lines: []bot.Line{{Text: "Here is the export: 1 tip."}},
			File: &bot.File{Name: "tips.csv", Data: make([]byte, maxUpload+1)}}, nil
	}})
	id := fd.Run(discordtest.Command{Guild: guildID, Channel: general, User: mod, Name: "tips-admin", Options: []discordtest.Option{discordtest.Sub("export")}})
	ans := fd.Answer(t, id)
	if len(ans.Files) != 0 || !strings.Contains(ans.Text(), textsEN.tooLarge) || !ans.Ephemeral() {
		t.Errorf("answer = %q with %d files", ans.Text(), len(ans.Files))
	}
}
