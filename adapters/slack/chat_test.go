package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	if _, err := a.Post(ctx, bot.Workspace{Platform: bot.Discord, ID: "1"}, general, m); err == nil {
		t.Error("post to a Discord workspace accepted")
	}
}

func TestRateLimitedCallsWaitAndRetry(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{})
	var waited atomic.Int64
	a.cfg.OnRateLimit = func(d time.Duration) { waited.Add(int64(d)) }
	ctx := context.Background()
	s.FailNext("chat.postMessage", 1, time.Second)
	s.FailNext("reactions.add", 2, time.Second)
	began := time.Now()
	ts, err := a.Post(ctx, team, general, bot.Message{Lines: []bot.Line{{Text: "prompt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d < time.Second {
		t.Errorf("post retried after %v, before Retry-After", d)
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
	if got := time.Duration(waited.Load()); got != 3*time.Second {
		t.Errorf("OnRateLimit told of %v of waits, want 3s", got)
	}
}

// TestBurstOf200Prompts posts to 200 channels at once against a fake that
// enforces one post per second per channel and 100 posts per second
// (bursts of 10) across the workspace: the burst must take about the
// minimum those limits allow, without a single 429.
func TestBurstOf200Prompts(t *testing.T) {
	t.Parallel()
	const n, rate, burst = 200, 100.0, 10
	s := newFake(t, slacktest.Options{PostRate: rate, PostBurst: burst})
	for i := range n {
		s.AddChannel(fmt.Sprintf("C%08d", i), fmt.Sprintf("team-%d", i))
	}
	a := start(t, s, &recorder{}, setup{tweak: func(a *Adapter) { a.limits = newLimits(time.Second, rate, burst) }})
	minimum := time.Duration(float64(n-burst) / rate * float64(time.Second))
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := a.Post(context.Background(), team, fmt.Sprintf("C%08d", i),
				bot.Message{Title: "What did you retain?", Lines: []bot.Line{{Text: "Reply in this thread."}}})
			errs <- err
		})
	}
	wg.Wait()
	took := time.Since(began)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("200 prompts to 200 channels: %v (minimum the limits allow: %v), 429s: %d", took, minimum, s.RateLimited())
	if got := s.RateLimited(); got != 0 {
		t.Errorf("fake answered %d 429s, want none", got)
	}
	if got := len(s.Calls("chat.postMessage")); got != n {
		t.Errorf("%d posts, want %d", got, n)
	}
	if took < minimum-100*time.Millisecond || took > minimum+time.Second {
		t.Errorf("burst took %v, want about %v", took, minimum)
	}
}

func TestPostsToOneChannelArePaced(t *testing.T) {
	t.Parallel()
	const iv = 300 * time.Millisecond
	s := newFake(t, slacktest.Options{ChannelInterval: iv, ChannelTolerance: 50 * time.Millisecond})
	a := start(t, s, &recorder{}, setup{tweak: func(a *Adapter) { a.limits = newLimits(iv, 100, 10) }})
	began := time.Now()
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			if _, err := a.Post(context.Background(), team, general, bot.Message{Lines: []bot.Line{{Text: fmt.Sprint("recap ", i)}}}); err != nil {
				t.Error(err)
			}
		})
	}
	// Another channel is not held up by the first one's pace.
	if _, err := a.Post(context.Background(), team, train, bot.Message{Lines: []bot.Line{{Text: "elsewhere"}}}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	var generalAt []time.Time
	var trainAt time.Time
	for _, c := range s.Calls("chat.postMessage") {
		if c.Params.Get("channel") == train {
			trainAt = c.At
		} else {
			generalAt = append(generalAt, c.At)
		}
	}
	if len(generalAt) != 5 || !trainAt.Before(generalAt[2]) {
		t.Errorf("post to another channel at %v waited for the first channel's posts at %v", trainAt, generalAt)
	}
	for i := 1; i < len(generalAt); i++ {
		if d := generalAt[i].Sub(generalAt[i-1]); d < iv-50*time.Millisecond {
			t.Errorf("posts %d and %d to one channel %v apart, want %v", i-1, i, d, iv)
		}
	}
	if d := time.Since(began); d < 4*iv-20*time.Millisecond {
		t.Errorf("5 posts to one channel took %v, faster than one per %v", d, iv)
	}
	if got := s.RateLimited(); got != 0 {
		t.Errorf("fake answered %d 429s", got)
	}
	if got := len(s.BotMessages(general)); got != 5 {
		t.Errorf("%d posts, want 5", got)
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
			return &bot.Message{Lines: []bot.Line{{Text: "Thanks " + e.Author.Name + ", tip saved"}}}, nil
		case *bot.CommandInvoked:
			return &bot.Message{Lines: []bot.Line{{Text: "Here is your export."}},
				File: &bot.File{Name: "tips.csv", Data: []byte("id\nt1\n")}}, nil
		}
		return nil, nil
	}}
	start(t, s, rec, setup{})
	s.Say(general, alice, "tip: x")
	waitFor(t, s, "the ephemeral thanks", func() bool { return len(s.Ephemerals()) == 1 })
	if e := s.Ephemerals()[0]; e.User != alice || e.Channel != general || e.Text != "Thanks Alice, tip saved" {
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

// What Slack refuses for good (a channel without the bot, a person who
// does not exist) is marked refused, so the core drops it instead of
// retrying forever; rate limits and network errors are not.
func TestRefusedPosts(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{})
	ctx := context.Background()
	msg := bot.Message{Lines: []bot.Line{{Text: "hello"}}}
	if _, err := a.Post(ctx, team, "C0NOWHERE", msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post to a missing channel: %v, want refused", err)
	}
	if err := a.Direct(ctx, team, "U0NOBODY1", msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("direct message to nobody: %v, want refused", err)
	}
	if err := a.React(ctx, team, general, "1.000001", "bulb"); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("reaction on a missing message: %v, want refused", err)
	}
	if _, err := a.Post(ctx, bot.Workspace{Platform: bot.Slack, ID: "T0ELSEWHERE"}, general, msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post for a workspace tipbot is not installed in: %v, want refused", err)
	}
	if _, err := a.Post(ctx, team, general, msg); err != nil {
		t.Errorf("post to general: %v", err)
	}
	if errors.Is(refused(errors.New("connection reset")), bot.ErrRefused) {
		t.Error("a network error is marked refused")
	}
}
