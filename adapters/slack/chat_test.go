package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

func TestPostBlockKit(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{})
	ctx := context.Background()
	src := s.AddMessage(general, alice, "", "tip: use git bisect")
	m := bot.Message{Title: "Top tips of the month", Lines: []bot.Line{
		{Text: "1. use git bisect — Alice (3 votes)", Ref: &bot.MessageRef{Channel: general, MessageID: src}},
		{Text: "R&D <3 tests"},
	}}
	ts, err := a.Post(ctx, team, general, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Post(ctx, team, general, bot.Message{Thread: ts, Lines: m.Lines[:1]}); err != nil {
		t.Fatal(err)
	}
	posts := s.BotMessages(general)
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2", len(posts))
	}
	var blocks []map[string]any
	if err := json.Unmarshal(posts[0].Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	link := "https://acme.slack.com/archives/" + general + "/p" + strings.Replace(src, ".", "", 1)
	if blocks[0]["type"] != "header" || !strings.Contains(string(posts[0].Blocks), "Top tips of the month") {
		t.Errorf("first block = %v", blocks[0])
	}
	section, _ := blocks[1]["text"].(map[string]any)
	if blocks[1]["type"] != "section" || !strings.Contains(section["text"].(string), "<"+link+"|") {
		t.Errorf("blocks = %s, want a section linking %s", posts[0].Blocks, link)
	}
	if !strings.Contains(posts[0].Text, "R&amp;D &lt;3 tests") || !strings.HasPrefix(posts[0].Text, "Top tips of the month\n") {
		t.Errorf("fallback text = %q", posts[0].Text)
	}
	if posts[1].ThreadTS != ts {
		t.Errorf("thread post in %q, want %q", posts[1].ThreadTS, ts)
	}
	if n := len(s.Calls("chat.getPermalink")); n != 1 {
		t.Errorf("chat.getPermalink called %d times, want 1 (cached)", n)
	}
	if _, err := a.Post(ctx, team, "C0NOWHERE", m); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("post to a missing channel: %v", err)
	}
	if _, err := a.Post(ctx, bot.Workspace{Platform: "discord", ID: "1"}, general, m); err == nil {
		t.Error("post to a Discord workspace accepted")
	}
}

// TestRateLimitedCallsWaitAndRetry: 429s from the fake are retried until
// the call goes, once. How long each wait lasts is TestRetryAfterIsWaitedOut's
// (synctest); here the order of the calls shows it.
func TestRateLimitedCallsWaitAndRetry(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{})
	var waited atomic.Int64
	a.cfg.OnRateLimit = func(d time.Duration) { waited.Add(int64(d)) }
	ctx := context.Background()
	s.FailNext("chat.postMessage", 1, time.Second)
	s.FailNext("reactions.add", 2, time.Second)
	ts, err := a.Post(ctx, team, general, bot.Message{Lines: []bot.Line{{Text: "prompt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.React(ctx, team, general, ts, ":bulb:"); err != nil {
		t.Fatal(err)
	}
	if err := a.React(ctx, team, general, ts, "bulb"); err != nil {
		t.Errorf("second identical reaction: %v", err)
	}
	if got := len(s.BotMessages(general)); got != 1 {
		t.Errorf("%d posts after a 429, want exactly 1", got)
	}
	if got := s.Reactions(general, ts)["bulb"]; len(got) != 1 {
		t.Errorf("bulb reactions = %v", got)
	}
	if got := s.RateLimited(); got != 3 {
		t.Errorf("fake answered %d 429s, want 3", got)
	}
	var statuses []int
	for _, c := range s.Calls("chat.postMessage") {
		statuses = append(statuses, c.Status)
	}
	if want := []int{http.StatusTooManyRequests, http.StatusOK}; !slices.Equal(statuses, want) {
		t.Errorf("chat.postMessage answered %v, want %v", statuses, want)
	}
	if got := time.Duration(waited.Load()); got != 3*time.Second {
		t.Errorf("OnRateLimit told of %v of waits, want 3s", got)
	}
}

// TestPacedPostsReachSlack sends 200 prompts to 200 channels and five
// recaps to one channel, all at once, through the real client and the fake:
// every post arrives once, in order within its channel, and the slots the
// limiter booked keep Slack's pace. Timing is checked on the booked slots,
// not on the wall clock: the exact times are TestBurstOf200Prompts' and
// TestPostsToOneChannelArePaced's, under synctest.
func TestPacedPostsReachSlack(t *testing.T) {
	t.Parallel()
	const n, rate, burst, iv = 200, 100.0, 10, 300 * time.Millisecond
	s := newFake(t, slacktest.Options{PostRate: rate, PostBurst: burst, ChannelInterval: iv})
	for i := range n {
		s.AddChannel(fmt.Sprintf("C%08d", i), fmt.Sprintf("team-%d", i))
	}
	var mu sync.Mutex
	slots := map[string][]time.Time{}
	a := start(t, s, &recorder{}, setup{tweak: func(a *Adapter) {
		a.limits = newLimits(iv, rate, burst)
		a.limits.booked = func(channel string, at time.Time) {
			mu.Lock()
			slots[channel] = append(slots[channel], at)
			mu.Unlock()
		}
	}})
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	for i := range n {
		wg.Go(func() {
			_, err := a.Post(context.Background(), team, fmt.Sprintf("C%08d", i),
				bot.Message{Title: "What did you retain?", Lines: []bot.Line{{Text: "Reply in this thread."}}})
			errs <- err
		})
	}
	wg.Go(func() {
		for i := range 5 {
			if _, err := a.Post(context.Background(), team, general, bot.Message{Lines: []bot.Line{{Text: fmt.Sprint("recap ", i)}}}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d posts in %v (wall clock, for information), 429s answered by the fake: %d", n+5, time.Since(began), s.RateLimited())
	for i := range n {
		if got := len(s.BotMessages(fmt.Sprintf("C%08d", i))); got != 1 {
			t.Errorf("channel %d got %d posts, want 1", i, got)
		}
	}
	var texts []string
	for _, m := range s.BotMessages(general) {
		texts = append(texts, m.Text)
	}
	if got, want := strings.Join(texts, ", "), "recap 0, recap 1, recap 2, recap 3, recap 4"; got != want {
		t.Errorf("posts in #general: %s; want %s", got, want)
	}
	// A 429 books a post again: each channel has at least one slot per post.
	var all []time.Time
	for ch, ts := range slots {
		for i := 1; i < len(ts); i++ {
			if d := ts[i].Sub(ts[i-1]); d < iv {
				t.Errorf("slots %d and %d in %s %v apart, want at least %v", i-1, i, ch, d, iv)
			}
		}
		all = append(all, ts...)
	}
	if len(all) < n+5 {
		t.Errorf("%d slots booked for %d posts", len(all), n+5)
	}
	slices.SortFunc(all, time.Time.Compare)
	for i := range all {
		k := 0
		for j := i; j < len(all) && all[j].Sub(all[i]) < time.Second; j++ {
			k++
		}
		if k > burst+int(rate) {
			t.Fatalf("%d slots within one second from %v, more than %d", k, all[i], burst+int(rate))
		}
	}
}

func TestDirectMessagesAndFiles(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{})
	ctx := context.Background()
	if err := a.Direct(ctx, team, alice, bot.Message{Lines: []bot.Line{{Text: "Your tip reached the hall of fame!"}}}); err != nil {
		t.Fatal(err)
	}
	csv := []byte("id,workspace,platform\nt1,T0TEAM001,slack\n")
	if err := a.Direct(ctx, team, alice, bot.Message{Lines: []bot.Line{{Text: "Your export"}},
		File: &bot.File{Name: "tips.csv", MIMEType: "text/csv", Data: csv}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Direct(ctx, team, alice, bot.Message{File: &bot.File{Name: "tips.jsonl", Data: []byte(`{"id":"t1"}` + "\n")}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Direct(ctx, team, alice, bot.Message{File: &bot.File{Name: "empty.jsonl"}}); err != nil {
		t.Fatal(err)
	}
	dm := s.DMChannel(alice)
	msgs := s.BotMessages(dm)
	if len(msgs) != 2 || msgs[0].Text != "Your tip reached the hall of fame!" || !strings.Contains(msgs[1].Text, "empty.jsonl") {
		t.Errorf("direct messages = %+v", msgs)
	}
	files := s.Files()
	if len(files) != 2 {
		t.Fatalf("%d files, want 2", len(files))
	}
	if f := files[0]; f.Channel != dm || f.Name != "tips.csv" || string(f.Data) != string(csv) || f.ThreadTS != "" ||
		f.InitialComment != "Your export" {
		t.Errorf("file = %+v", f)
	}
	if f := files[1]; f.Name != "tips.jsonl" || f.InitialComment != "" {
		t.Errorf("file = %+v", f)
	}
	// A file posted to a channel goes in the thread of its message.
	ts, err := a.Post(ctx, team, general, bot.Message{Lines: []bot.Line{{Text: "recap attached"}}, File: &bot.File{Name: "recap.txt", Data: []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Files()[2]; f.Channel != general || f.ThreadTS != ts {
		t.Errorf("channel file = %+v", f)
	}
	if n := len(s.Calls("conversations.open")); n != 1 {
		t.Errorf("conversations.open called %d times, want 1 (cached)", n)
	}
	if err := a.Direct(ctx, team, "U0NOBODY", bot.Message{Lines: []bot.Line{{Text: "x"}}}); err == nil {
		t.Error("direct message to an unknown user succeeded")
	}
}

func TestRepliesArePrivate(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	rec := &recorder{reply: func(ev bot.Event) (bot.Reply, error) {
		switch e := ev.(type) {
		case *bot.MessagePosted:
			return &bot.Message{Lines: []bot.Line{{Text: "Thanks " + e.Author.ID + ", tip saved"}}}, nil
		case *bot.CommandInvoked:
			return &bot.Message{Lines: []bot.Line{{Text: "Here is your export."}},
				File: &bot.File{Name: "tips.csv", Data: []byte("id\nt1\n")}}, nil
		}
		return nil, nil
	}}
	start(t, s, rec, setup{})
	s.Say(general, alice, "tip: x")
	waitFor(t, s, "the ephemeral thanks", func() bool { return len(s.Ephemerals()) == 1 })
	if e := s.Ephemerals()[0]; e.User != alice || e.Channel != general || e.Text != "Thanks "+alice+", tip saved" {
		t.Errorf("ephemeral = %+v", e)
	}
	in := s.Command(general, admin, "/tips", "export csv")
	ack, _, ok := in.Ack(5 * time.Second)
	if !ok || ack.Text != "Here is your export." {
		t.Errorf("ack = %+v", ack)
	}
	waitFor(t, s, "the file", func() bool { return len(s.Files()) == 1 })
	if f := s.Files()[0]; f.Channel != s.DMChannel(admin) || string(f.Data) != "id\nt1\n" {
		t.Errorf("file = %+v", f)
	}
	// Outside a channel the bot can post in, the reply goes to a DM.
	s.Say("C0UNKNOWN", bob, "tip: in a channel Slack will refuse")
	waitFor(t, s, "the direct thanks", func() bool { return len(s.BotMessages(s.DMChannel(bob))) == 1 })
}

func TestMembers(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	s.Join(general, alice, bob)
	s.Join(train, bob, carol)
	big := "C0BIG0001"
	s.AddChannel(big, "everyone")
	for i := range 1500 {
		s.Join(big, fmt.Sprintf("U%08d", i))
	}
	a := start(t, s, &recorder{}, setup{})
	ctx := context.Background()
	for ch, want := range map[string]int{general: 2, train: 2, fame: 0, big: 1500, "": 1503} {
		if got, err := a.Members(ctx, team, ch); err != nil || got != want {
			t.Errorf("Members(%q) = %d, %v; want %d", ch, got, err, want)
		}
	}
	calls := len(s.Calls("conversations.members"))
	if _, err := a.Members(ctx, team, ""); err != nil {
		t.Fatal(err)
	}
	if got := len(s.Calls("conversations.members")); got != calls {
		t.Errorf("second Members call asked Slack again (%d calls, then %d)", calls, got)
	}
	if _, err := a.Members(ctx, team, "C0NOWHERE"); err == nil {
		t.Error("Members of a missing channel: no error")
	}
}

// A Chat call for a workspace tipbot is not installed in is refused for
// good: the outbox drops it instead of retrying.
func TestNotInstalledIsRefused(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{})
	ctx := context.Background()
	msg := bot.Message{Lines: []bot.Line{{Text: "hello"}}}
	elsewhere := bot.Workspace{Platform: Platform, ID: "T0ELSEWHERE"}
	if _, err := a.Post(ctx, elsewhere, general, msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post for a workspace tipbot is not installed in: %v, want refused", err)
	}
	if err := a.Direct(ctx, elsewhere, alice, msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("direct message there: %v, want refused", err)
	}
	if n := len(s.Calls("")); n != 2 { // auth.test and apps.connections.open only
		t.Errorf("%d Web API calls, want none for the refused ones: %v", n, s.Calls(""))
	}
	if _, err := a.Post(ctx, team, general, msg); err != nil {
		t.Errorf("post to general: %v", err)
	}
}
