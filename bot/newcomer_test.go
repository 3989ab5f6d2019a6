package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// TestBidiControlsNotPosted checks issue 16: a right-to-left override in a
// tip or a display name reaches neither the stored tip nor the bot's posts.
func TestBidiControlsNotPosted(t *testing.T) {
	h := newHarness(t, nil)
	evil := user("mallory")
	evil.Name = "Mal\u202Elory"
	h.command(evil, "tip", "abc\u202Efdp.exe #sec\u2066x\u2069")
	h.bot.Wait()
	posts, _, _ := h.chat.snapshot()
	if len(posts) != 1 {
		t.Fatalf("want the /tip post, got %d posts", len(posts))
	}
	got := posts[0].Message.Text()
	if strings.ContainsAny(got, "\u202E\u2066\u2069") || !strings.Contains(got, "Tip from Mallory: abcfdp.exe #secx (t1)") {
		t.Errorf("post = %q, want it without bidi controls", got)
	}
	if out := h.command(user("bob"), "tips", "search abcfdp.exe"); strings.ContainsAny(out, "\u202E\u2066\u2069") || !strings.Contains(out, "abcfdp.exe") {
		t.Errorf("search = %q, want the tip without bidi controls", out)
	}
}

// TestLongTipKeptWhole checks issue 16: a tip up to bot.MaxTipRunes is kept
// whole, with the topics of its whole text; a longer one is refused with a
// reply naming the limit, and an edit past the limit is not applied.
func TestLongTipKeptWhole(t *testing.T) {
	h := newHarness(t, nil)
	long := "tip: " + strings.Repeat("abcdefghi ", 3900) + "#long"
	msg := h.post(alice, long)
	tip := h.tip(msg)
	if got, want := tip.Text, strings.TrimPrefix(long, "tip: "); got != want {
		t.Errorf("tip text has %d runes, want the whole %d", len([]rune(got)), len([]rune(want)))
	}
	if len(tip.Topics) != 1 || tip.Topics[0] != "long" {
		t.Errorf("topics = %v, want [long]", tip.Topics)
	}

	over := strings.Repeat("x", bot.MaxTipRunes+1)
	if out := h.command(bob, "tip", over); !strings.Contains(out, "at most 40000 characters and this one has 40001") {
		t.Errorf("/tip over the limit: %q", out)
	}
	if out := h.command(bob, "tips", "me"); !strings.Contains(out, "You have not shared a tip yet") {
		t.Errorf("the refused /tip was recorded: %q", out)
	}
	r := h.handle(&bot.MessageEdited{EventMeta: h.meta(), Channel: "#general", MessageID: msg, Author: alice, Text: "tip: " + over})
	if r == nil || !strings.Contains(r.Text(), "edit of tip t1 was not applied") {
		t.Errorf("edit over the limit: reply %v", r)
	}
	if got := h.tip(msg).Text; got != tip.Text {
		t.Errorf("an edit over the limit changed the tip (now %d runes)", len([]rune(got)))
	}
	r = h.handle(&bot.SaveAsTip{EventMeta: h.meta(), Channel: "#general", MessageID: "m-long", User: bob,
		Message: bot.MessageInfo{Author: alice, Text: over}})
	if r == nil || !strings.Contains(r.Text(), "at most 40000 characters") {
		t.Errorf("Save as tip over the limit: reply %v", r)
	}
}

// TestReplyToClosedSession checks issue 16: a reply to a closed session's
// prompt is told once per person and session that the session is closed,
// and is otherwise an ordinary message (captured when it says tip:).
func TestReplyToClosedSession(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer"} })
	h.command(trainer, "tips", "prompt in 1h Git basics")
	prompt := h.postsWith("What did you retain")[0].ID
	h.reply(prompt, alice, "bisect")
	if out := h.command(trainer, "tips", "close s1"); !strings.Contains(out, "closed with 1 answer") {
		t.Fatalf("close: %q", out)
	}
	reply := func(u bot.User, text string) (string, bot.Reply) {
		id := h.nextID("m")
		r := h.handle(&bot.MessagePosted{EventMeta: h.meta(), Channel: "#general", MessageID: id, ThreadID: prompt, Author: u, Text: text})
		return id, r
	}
	_, r := reply(bob, "late answer")
	if r == nil || r.Text() != "Session s1 «Git basics» is closed: your reply is not one of its answers. To share it as a tip, start a message with tip:." {
		t.Errorf("first late reply: %v", r)
	}
	if _, r := reply(bob, "another late answer"); r != nil {
		t.Errorf("second late reply told again: %q", r.Text())
	}
	id, r := reply(carol, "tip: late but useful")
	if r == nil || !strings.Contains(r.Text(), "recorded as tip t2, not as an answer") {
		t.Errorf("late tip: %v", r)
	}
	if tip := h.tip(id); tip.Source != bot.SourcePrefix || tip.SessionID != 0 {
		t.Errorf("late tip = %+v, want an ordinary prefix tip", tip)
	}
	if out := h.command(trainer, "tips", "sessions"); !strings.Contains(out, "1 answer,") {
		t.Errorf("sessions: %q", out)
	}
	// forget-me drops the marks with the person.
	h.command(bob, "tips", "forget-me confirm")
	if _, r := reply(bob, "after forget-me"); r == nil {
		t.Errorf("after forget-me, bob was not told again")
	}
}

// audienceChat is a recordingChat whose platform tells channel members.
type audienceChat struct {
	*recordingChat
	members map[string]int
}

func (c audienceChat) Members(_ context.Context, _ bot.Workspace, channel string) (int, error) {
	if n, ok := c.members[channel]; ok {
		return n, nil
	}
	return 0, errors.New("unknown channel")
}

// TestSessionFigures checks issue 16: reports give answers per session and,
// where the platform tells a channel's members, answers per member; a
// session past its deadline and not closed yet shows as closing; a report
// on a channel where nothing was ever recorded says so.
func TestSessionFigures(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer"} })
	h.bot.Attach(bot.Shell, audienceChat{h.chat, map[string]int{"#general": 8, "": 20}})
	h.command(trainer, "tips", "prompt in 1h Git basics")
	h.command(trainer, "tips", "prompt in 1h Docker")
	git := h.postsWith("Git basics")[0].ID
	h.reply(git, alice, "bisect")
	h.reply(git, alice, "rebase -i")
	h.reply(git, bob, "worktrees")
	h.advance(2 * time.Hour)
	out := h.command(trainer, "tips", "sessions")
	if !strings.Contains(out, "s1 «Git basics» in #general — 3 answers, closing: its deadline 2026-11-27 11:00 UTC has passed and the recap follows") {
		t.Errorf("sessions past their deadline:\n%s", out)
	}
	out = h.command(trainer, "tips", "report")
	for _, want := range []string{
		"Sessions: 2 (▲ 2) — 3 answers, 1.5 per session",
		"  s1 «Git basics»: 3 answers from 2 participants; answers per member of #general: 0.38 (8 channel members)",
		"  s2 «Docker»: 0 answers from 0 participants; answers per member of #general: 0.00 (8 channel members)",
		"Participation: 10% (2 contributors of 20 channel members)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "answer rate") {
		t.Errorf("report still gives the share of sessions answered:\n%s", out)
	}
	if out := h.command(trainer, "tips", "report #genral"); !strings.Contains(out, "No tip or session was ever recorded in #genral") {
		t.Errorf("report on an unknown channel:\n%s", out)
	}
	if out := h.command(trainer, "tips", "report week #general"); strings.Contains(out, "No tip or session was ever") {
		t.Errorf("report on a known channel says it is unknown:\n%s", out)
	}
}

// TestAnswersSayWhatIsWrong checks issue 16's clearer answers.
func TestAnswersSayWhatIsWrong(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer"}; c.Trainers = []string{"carol"} })
	for _, tc := range []struct{ text, want string }{
		{"trainer remove @nobody", "@nobody is not a trainer added with /tips trainer add: nothing was removed."},
		{"trainer remove @carol", "@carol is a trainer through roles.trainers in the configuration"},
		{"trainer add bob", "bob is now a trainer."},
		{"trainer add @bob", "@bob is already a trainer."},
		{"trainer remove bob", "bob is no longer a trainer"},
		{"trainer add bob!", `"bob!" does not name a person: mention them, e.g. /tips trainer add @alice.`},
		{"prompt in 0m X", `"0m" is not a duration: use a positive one like 45m, 2h, 1h30m or 2d`},
		{"prompt in 1h", "A session needs a title: /tips prompt [#channel] [in <duration>] <title>"},
		{"prompt #Bad!chan Git", `"#Bad!chan" is not a channel: write #name with letters, digits`},
		{"schedule add \"0 17 * * FRI\" #a?b Weekly", `"#a?b" is not a channel`},
		{"report #x/y", `"#x/y" is not a channel`},
		{"close t1", "t1 is a tip id; session ids look like s3 (see /tips sessions)."},
		{"close yesterday", `"yesterday" is not a session id; session ids look like s3`},
	} {
		if out := h.command(trainer, "tips", tc.text); !strings.Contains(out, tc.want) {
			t.Errorf("/tips %s = %q, want %q", tc.text, out, tc.want)
		}
	}
	// A "#Name" the shell accepts is the channel, lower-cased as /in does.
	if out := h.command(trainer, "tips", "prompt #Training Git"); !strings.Contains(out, "Session s1 «Git» is open") {
		t.Fatalf("prompt in #Training: %q", out)
	}
	if p := h.postsWith("What did you retain"); len(p) != 1 || p[0].Channel != "#training" {
		t.Errorf("prompt posted in %+v, want #training", p)
	}
}

// TestListsSayHowManyMore checks that search and /tips me say how many
// tips they do not show.
func TestListsSayHowManyMore(t *testing.T) {
	h := newHarness(t, nil)
	for _, w := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"} {
		h.post(alice, "tip: git trick "+w+" #git")
	}
	out := h.command(bob, "tips", "search git")
	if got := strings.Count(out, "\n• "); got != 5 || !strings.HasSuffix(out, "\n5 shown of 7 tips: add words or a #topic to narrow the search.") {
		t.Errorf("search shows %d tips:\n%s", got, out)
	}
	out = h.command(alice, "tips", "me")
	if got := strings.Count(out, "\n• "); got != 5 || !strings.HasSuffix(out, "\n5 shown of 7 tips, most useful first.") {
		t.Errorf("/tips me shows %d tips:\n%s", got, out)
	}
	if out := h.command(bob, "tips", "search bravo"); strings.Contains(out, "shown of") || !strings.Contains(out, "bravo") {
		t.Errorf("a short search says more are hidden:\n%s", out)
	}
}
