package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

var local = bot.Workspace{Platform: bot.Shell, ID: "local"}

// session runs a script through a new Adapter on st with a recording bot and
// returns what it printed and the events the bot got.
func session(t *testing.T, st bot.Store, o Options, script string) (string, []bot.Event) {
	t.Helper()
	rec := &recorder{}
	var out bytes.Buffer
	o.Bot, o.Store, o.In, o.Out = rec, st, strings.NewReader(script), &out
	a := New(o)
	rec.chat = a
	if err := a.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rec.errs) > 0 {
		t.Fatalf("background deliveries failed: %v", rec.errs)
	}
	return out.String(), rec.taken()
}

func meta(n int) bot.EventMeta {
	return bot.EventMeta{ID: fmt.Sprintf("shell-%d", n), Workspace: local}
}

var (
	you   = bot.User{ID: "you", Name: "you", Admin: true}
	alice = bot.User{ID: "alice", Name: "alice"}
	bob   = bot.User{ID: "bob", Name: "bob"}
)

func checkEvents(t *testing.T, got, want []bot.Event) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("event %d missing: %#v", i, want[i])
		case i >= len(want):
			t.Errorf("event %d unexpected: %#v", i, got[i])
		case !reflect.DeepEqual(got[i], want[i]):
			t.Errorf("event %d:\n got %#v\nwant %#v", i, got[i], want[i])
		}
	}
}

func checkOutput(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		if len(got) > 2000 {
			got = got[:2000] + "..."
		}
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestVerbs(t *testing.T) {
	out, events := session(t, newMemStore(), Options{}, `hello
/as alice
tip: use git bisect #git
/as bob
/react 2 bulb
/react 2 :+1:
/unreact 2 +1
/reply 2 nice one
/in #random
/edit 2 stolen
/as alice
/edit 2 tip: use git bisect to find regressions #git
/save 1
/tips top month
/tip be kind
/delete 4
/delete 2
/foo
/react 99 bulb
/react
/quit
after quit
`)
	checkOutput(t, out, `[1] #general you: hello
(you are alice in #general)
[2] #general alice: tip: use git bisect #git
[2] tipbot reacted :bulb:
  ↳ [3] #general tipbot (reply to [2]): Saved as t1
(you are bob in #general)
[2] bob reacted :bulb:
[2] bob reacted :+1:
[2] bob removed :+1:
  ↳ [4] #general bob (reply to [2]): nice one
(you are bob in #random)
only the author can edit [2]
(you are alice in #random)
[2] #general alice (edited): tip: use git bisect to find regressions #git
(private to alice) /tips top month
(private to alice) /tip be kind
only the author or an admin can delete [4]
[2] deleted by alice
(private to alice) /foo 
there is no message [99]
usage: /react ID EMOJI, e.g. /react 3 bulb
`)
	tipInfo := bot.MessageInfo{Author: alice, Text: "tip: use git bisect #git"}
	checkEvents(t, events, []bot.Event{
		&bot.MessagePosted{EventMeta: meta(1), Channel: "#general", MessageID: "1", Author: you, Text: "hello"},
		&bot.MessagePosted{EventMeta: meta(2), Channel: "#general", MessageID: "2", Author: alice, Text: "tip: use git bisect #git"},
		&bot.ReactionAdded{EventMeta: meta(3), Channel: "#general", MessageID: "2", User: bob, Emoji: "bulb", Message: tipInfo},
		&bot.ReactionAdded{EventMeta: meta(4), Channel: "#general", MessageID: "2", User: bob, Emoji: "+1", Message: tipInfo},
		&bot.ReactionRemoved{EventMeta: meta(5), Channel: "#general", MessageID: "2", User: bob, Emoji: "+1"},
		&bot.MessagePosted{EventMeta: meta(6), Channel: "#general", MessageID: "4", ThreadID: "2", Author: bob, Text: "nice one"},
		&bot.MessageEdited{EventMeta: meta(7), Channel: "#general", MessageID: "2", Author: alice, Text: "tip: use git bisect to find regressions #git"},
		&bot.SaveAsTip{EventMeta: meta(8), Channel: "#general", MessageID: "1", User: alice, Message: bot.MessageInfo{Author: you, Text: "hello"}},
		&bot.CommandInvoked{EventMeta: meta(9), Channel: "#random", User: alice, Name: "tips", Text: "top month"},
		&bot.CommandInvoked{EventMeta: meta(10), Channel: "#random", User: alice, Name: "tip", Text: "be kind"},
		&bot.MessageDeleted{EventMeta: meta(11), Channel: "#general", MessageID: "2"},
		&bot.CommandInvoked{EventMeta: meta(12), Channel: "#random", User: alice, Name: "foo"},
	})
}

// TestRestart checks that a new Adapter on the same store goes on with the
// ids and still knows the earlier messages and reactions.
func TestRestart(t *testing.T) {
	st := newMemStore()
	session(t, st, Options{}, "/as alice\ntip: one\n/as bob\n/react 1 bulb\n/reply 1 thanks\n")
	out, events := session(t, st, Options{}, `/as bob
/react 1 bulb
/react 1 star
/reply 3 me too
/as carol
/save 2
/react 2 bookmark
hello again
`)
	checkOutput(t, out, `(you are bob in #general)
bob already reacted :bulb: to [1]
[1] bob reacted :star:
  ↳ [4] #general bob (reply to [1]): me too
(you are carol in #general)
[2] carol reacted :bookmark:
[5] #general carol: hello again
`)
	carol := bot.User{ID: "carol", Name: "carol"}
	tipbot := bot.User{ID: "tipbot", Name: "tipbot", Bot: true}
	checkEvents(t, events, []bot.Event{
		&bot.ReactionAdded{EventMeta: meta(4), Channel: "#general", MessageID: "1", User: bob, Emoji: "star",
			Message: bot.MessageInfo{Author: alice, Text: "tip: one"}},
		&bot.MessagePosted{EventMeta: meta(5), Channel: "#general", MessageID: "4", ThreadID: "1", Author: bob, Text: "me too"},
		&bot.SaveAsTip{EventMeta: meta(6), Channel: "#general", MessageID: "2", User: carol,
			Message: bot.MessageInfo{Author: tipbot, Text: "Saved as t1", ThreadID: "1"}},
		&bot.ReactionAdded{EventMeta: meta(7), Channel: "#general", MessageID: "2", User: carol, Emoji: "bookmark",
			Message: bot.MessageInfo{Author: tipbot, Text: "Saved as t1", ThreadID: "1"}},
		&bot.MessagePosted{EventMeta: meta(8), Channel: "#general", MessageID: "5", Author: carol, Text: "hello again"},
	})
	if len(st.ws) != 1 || !st.ws[local] {
		t.Errorf("workspaces used: %v, want only %v", st.ws, local)
	}
}

// TestBadInput checks that every malformed line gets exactly one line of
// answer and no event.
func TestBadInput(t *testing.T) {
	// Message 1 is alice's; message 2 is the bot's.
	setup := "/as alice\ntip: x\n"
	for _, tc := range []struct{ line, want string }{
		{"/as", "usage: /as NAME (you are alice)"},
		{"/as two words", "usage: /as NAME (you are alice)"},
		{"/as a/b", `"a/b" is not a user name: use letters, digits, '.', '-' or '_'`},
		{"/as TipBot", "TipBot is the bot's name: pick another one"},
		{"/in", "usage: /in #CHANNEL (you are in #general)"},
		{"/in #a#b", `"#a#b" is not a channel name: use #letters-digits`},
		{"/reply", "usage: /reply ID TEXT"},
		{"/reply 1", "usage: /reply ID TEXT"},
		{"/reply x hi", "usage: /reply ID TEXT"},
		{"/reply 0 hi", "usage: /reply ID TEXT"},
		{"/reply 99 hi", "there is no message [99]"},
		{"/reply 18446744073709551616 hi", "usage: /reply ID TEXT"},
		{"/react 1", "usage: /react ID EMOJI, e.g. /react 3 bulb"},
		{"/react bulb 1", "usage: /react ID EMOJI, e.g. /react 3 bulb"},
		{"/react 1 bulb star", "usage: /react ID EMOJI, e.g. /react 3 bulb"},
		{"/react 1 <b>", `"<b>" is not an emoji name: try bulb, +1, star or bookmark`},
		{"/react 1 ::", `"::" is not an emoji name: try bulb, +1, star or bookmark`},
		{"/react 1 bulb", "alice already reacted :bulb: to [1]"},
		{"/unreact 1", "usage: /unreact ID EMOJI, e.g. /unreact 3 bulb"},
		{"/unreact 1 star", "alice has no :star: reaction on [1]"},
		{"/unreact 7 star", "there is no message [7]"},
		{"/edit 1", "usage: /edit ID TEXT"},
		{"/edit 2 mine now", "only the author can edit [2]"},
		{"/edit 3 x", "there is no message [3]"},
		{"/delete", "usage: /delete ID"},
		{"/delete 1 2", "usage: /delete ID"},
		{"/delete 2", "only the author or an admin can delete [2]"},
		{"/save", "usage: /save ID"},
		{"/save 42", "there is no message [42]"},
		{"/", "unknown command /: /help lists the shell's commands, /tips help the bot's"},
		{strings.Repeat("x", maxLine+1), "line too long (at most 40000 bytes): ignored"},
	} {
		t.Run(tc.line[:min(len(tc.line), 20)], func(t *testing.T) {
			st := newMemStore()
			prefix, _ := session(t, st, Options{}, setup+"/react 1 bulb\n")
			out, events := session(t, st, Options{}, "/as alice\n"+tc.line+"\n")
			checkOutput(t, out, "(you are alice in #general)\n"+tc.want+"\n")
			checkEvents(t, events, nil)
			if !strings.Contains(prefix, "[1] alice reacted :bulb:") {
				t.Errorf("setup output:\n%s", prefix)
			}
		})
	}
}

// TestStrangeText checks that control characters and invalid UTF-8 cannot
// reach the terminal, and that the bot gets valid text.
func TestStrangeText(t *testing.T) {
	out, events := session(t, newMemStore(), Options{}, "a\x1b[2Jb \xff\x00c\r\n\r\n   \n\tpadded\t\nlast line without newline")
	checkOutput(t, out, "[1] #general you: a\uFFFD[2Jb \uFFFD\uFFFDc\n[2] #general you: padded\n[3] #general you: last line without newline\n")
	if len(events) != 3 {
		t.Fatalf("got %d events, want 3", len(events))
	}
	if got, want := events[0].(*bot.MessagePosted).Text, "a\x1b[2Jb \uFFFD\x00c"; got != want {
		t.Errorf("text given to the bot = %q, want %q", got, want)
	}
}

// TestEmojiNames checks the spellings of emoji the shell accepts.
func TestEmojiNames(t *testing.T) {
	for in, want := range map[string]string{
		"bulb": "bulb", ":bulb:": "bulb", "BULB": "bulb", "+1": "+1", ":+1:": "+1", "💡": "bulb", "👍": "+1",
		"⭐️": "star", "🔖": "bookmark", "👍🏽": "+1::skin-tone-4", ":+1::skin-tone-2:": "+1::skin-tone-2",
		"white_check_mark": "white_check_mark",
	} {
		if got, ok := emojiName(in); !ok || got != want {
			t.Errorf("emojiName(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", ":", "a b", "🏽", "<x>", "🦄", strings.Repeat("a", 101)} {
		if got, ok := emojiName(in); ok {
			t.Errorf("emojiName(%q) = %q, want refusal", in, got)
		}
	}
}

// TestAdmins checks who the shell tells the bot is an admin.
func TestAdmins(t *testing.T) {
	for _, tc := range []struct {
		admins []string
		want   map[string]bool
	}{
		{nil, map[string]bool{"you": true, "alice": false}},
		{[]string{"alice", "@carol"}, map[string]bool{"you": false, "alice": true, "carol": true}},
	} {
		_, events := session(t, newMemStore(), Options{Admins: tc.admins}, "/tips me\n/as alice\n/tips me\n/as carol\n/tips me\n")
		for _, ev := range events {
			u := ev.(*bot.CommandInvoked).User
			if want, ok := tc.want[u.ID]; ok && u.Admin != want {
				t.Errorf("admins %v: %s admin = %v, want %v", tc.admins, u.ID, u.Admin, want)
			}
		}
		if len(events) != 3 {
			t.Errorf("got %d events, want 3", len(events))
		}
	}
}

// TestAdminDeletes checks that an admin may delete other people's messages.
func TestAdminDeletes(t *testing.T) {
	out, events := session(t, newMemStore(), Options{}, "/as alice\nspam\n/as you\n/delete 1\n/react 1 bulb\n")
	checkOutput(t, out, `(you are alice in #general)
[1] #general alice: spam
(you are you in #general)
[1] deleted by you
there is no message [1]
`)
	checkEvents(t, events[1:], []bot.Event{&bot.MessageDeleted{EventMeta: meta(2), Channel: "#general", MessageID: "1"}})
}

// TestChat checks how the bot's messages are printed.
func TestChat(t *testing.T) {
	var out bytes.Buffer
	st := newMemStore()
	a := New(Options{Bot: &recorder{}, Store: st, In: strings.NewReader(""), Out: &out})
	ctx := context.Background()
	id, err := a.Post(ctx, local, "#general", bot.Message{Title: "Top tips", Lines: []bot.Line{
		{Text: "1. use git bisect (2 votes)", Ref: &bot.MessageRef{Channel: "#general", MessageID: "7"}},
		{Text: "2. two\nlines"},
	}})
	if err != nil || id != "1" {
		t.Fatalf("Post = %q, %v; want 1", id, err)
	}
	if id, err := a.Post(ctx, local, "#hall-of-fame", bot.Message{Thread: "1", Lines: []bot.Line{{Text: "🎉"}}}); err != nil || id != "2" {
		t.Fatalf("Post = %q, %v; want 2", id, err)
	}
	for range 2 {
		if err := a.React(ctx, local, "#general", "1", "bulb"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.React(ctx, local, "#general", "9", "bulb"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("React on a missing message: %v, want ErrNotFound", err)
	}
	if err := a.Direct(ctx, local, "alice", bot.Message{Lines: []bot.Line{{Text: "Thanks!"}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Direct(ctx, local, "you", bot.Message{Title: "Export", File: &bot.File{Name: "tips.csv", Data: []byte("id,text\nt1,hi\n")}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Direct(ctx, local, "you", bot.Message{File: &bot.File{Name: "x.bin", Data: []byte{0, 1, 2}}}); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String(), `[1] #general tipbot: Top tips
    1. use git bisect (2 votes) [7]
    2. two
    lines
  ↳ [2] #hall-of-fame tipbot (reply to [1]): 🎉
[1] tipbot reacted :bulb:
(private to alice) Thanks!
(private to you) Export
    file tips.csv (14 bytes)
      id,text
      t1,hi
(private to you) file x.bin (3 bytes)
      (binary content not shown)
`)
}

// TestConcurrentPosts checks that posts from many goroutines get distinct
// ids and whole lines, printed in id order.
func TestConcurrentPosts(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{Bot: &recorder{}, Store: newMemStore(), In: strings.NewReader(""), Out: &out})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := a.Post(context.Background(), local, "#general", bot.Message{Lines: []bot.Line{{Text: fmt.Sprint("post ", i)}}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("got %d lines, want 20:\n%s", len(lines), out.String())
	}
	re := regexp.MustCompile(`^\[(\d+)\] #general tipbot: post \d+$`)
	for i, l := range lines {
		m := re.FindStringSubmatch(l)
		if m == nil || m[1] != fmt.Sprint(i+1) {
			t.Errorf("line %d = %q, want id %d", i, l, i+1)
		}
	}
}

// TestCancel checks that Run returns when ctx ends while it waits for input.
func TestCancel(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	var out bytes.Buffer
	rec := &recorder{}
	a := New(Options{Bot: rec, Store: newMemStore(), In: r, Out: &out})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	if _, err := io.WriteString(w, "hi\n"); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestFailures checks that a failing bot or store gets one line, and the
// shell goes on.
func TestFailures(t *testing.T) {
	st := newMemStore()
	out, events := session(t, st, Options{}, "/tips fail\n/tips ok\n")
	checkOutput(t, out, "the bot could not handle that: store: disk full\n(private to you) /tips ok\n")
	if len(events) != 2 {
		t.Errorf("got %d events, want 2", len(events))
	}
	st.fail = errors.New("disk full")
	out, events = session(t, st, Options{}, "hello\n/tips top\n")
	checkOutput(t, out, "the shell could not record that: disk full\nthe shell could not record that: disk full\n")
	checkEvents(t, events, nil)
}

// TestMissingOptions checks that Run reports what is missing.
func TestMissingOptions(t *testing.T) {
	for _, o := range []Options{
		{Store: newMemStore(), In: strings.NewReader("")},
		{Bot: &recorder{}, In: strings.NewReader("")},
		{Bot: &recorder{}, Store: newMemStore()},
	} {
		if err := New(o).Run(context.Background()); err == nil {
			t.Errorf("Run with %+v: no error", o)
		}
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestWriteError checks that Run stops when the output is gone.
func TestWriteError(t *testing.T) {
	a := New(Options{Bot: &recorder{}, Store: newMemStore(), In: strings.NewReader("a\nb\n"), Out: failWriter{}})
	if err := a.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Run = %v, want the write error", err)
	}
}

// TestFrench checks the French texts: complete, with the same verbs as the
// English ones, and used when the locale is fr.
func TestFrench(t *testing.T) {
	en, fr := reflect.ValueOf(english), reflect.ValueOf(french)
	verbs := regexp.MustCompile(`%[sdvq]`)
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		e, f := en.Field(i).String(), fr.Field(i).String()
		if e == "" || f == "" {
			t.Errorf("text %s is empty in en or fr", name)
		}
		if ev, fv := verbs.FindAllString(e, -1), verbs.FindAllString(f, -1); !reflect.DeepEqual(ev, fv) {
			t.Errorf("text %s: verbs %v in en, %v in fr", name, ev, fv)
		}
	}
	out, _ := session(t, newMemStore(), Options{Locale: "fr"}, "/as alice\n/react 1 bulb\n")
	checkOutput(t, out, "(vous êtes alice dans #general)\nil n'y a pas de message [1]\n")
}

// TestHelp checks that /help lists every verb the shell knows, one per
// line, in English and French (issue 16: newlines printed as U+FFFD).
func TestHelp(t *testing.T) {
	for _, locale := range []string{"en", "fr"} {
		out, _ := session(t, newMemStore(), Options{Locale: locale}, "/help\n")
		checkOutput(t, out, catalog[locale].help+"\n")
		if strings.ContainsRune(out, '\uFFFD') {
			t.Errorf("%s /help has replacement characters:\n%s", locale, out)
		}
		if n := strings.Count(out, "\n"); n != 15 {
			t.Errorf("%s /help has %d lines, want 15:\n%s", locale, n, out)
		}
		for _, verb := range []string{"/as", "/in", "/private", "/reply", "/react", "/unreact", "/edit", "/delete", "/save", "/tip", "/advance", "/help", "/quit"} {
			if !strings.Contains(out, "\n  "+verb+" ") {
				t.Errorf("%s /help has no line for %s:\n%s", locale, verb, out)
			}
		}
	}
}

// TestBidiControlsNeutralised checks that a right-to-left override in a
// message cannot reorder the terminal's output (issue 16).
func TestBidiControlsNeutralised(t *testing.T) {
	out, _ := session(t, newMemStore(), Options{}, "abc\u202Edef\u2066g\n")
	checkOutput(t, out, "[1] #general you: abc\uFFFDdef\uFFFDg\n")
}

// TestLongestLine checks that a line of exactly maxLine bytes is a message.
func TestLongestLine(t *testing.T) {
	text := strings.Repeat("é", maxLine/2)
	out, events := session(t, newMemStore(), Options{}, text+"\r\n")
	checkOutput(t, out, "[1] #general you: "+text+"\n")
	if len(events) != 1 || events[0].(*bot.MessagePosted).Text != text {
		t.Errorf("the bot did not get the whole line")
	}
}

// TestPrivate checks that shell channels are told to the directory of
// channels as public unless made private with /private, and that /private
// refuses a bad channel name.
func TestPrivate(t *testing.T) {
	rec := &recorder{}
	var out bytes.Buffer
	a := New(Options{Bot: rec, Store: newMemStore(), In: strings.NewReader("/private #HR\n/in #hr\nhello\n/in #random\nhi\n/private\n/private #no!\n"), Out: &out})
	rec.chat = a
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String(), `#hr is now private: its tips show only in it (and to their author in /tips me)
(you are you in #hr)
[1] #hr you: hello
(you are you in #random)
[2] #random you: hi
usage: /private #CHANNEL
"#no!" is not a channel name: use #letters-digits
`)
	want := []bot.ChannelsUpdated{
		{EventMeta: bot.EventMeta{Workspace: local}, Channels: []bot.Channel{{ID: "#hr", Name: "hr", Kind: bot.ChannelPrivate}}},
		{EventMeta: bot.EventMeta{Workspace: local}, Channels: []bot.Channel{{ID: "#random", Name: "random", Kind: bot.ChannelPublic}}, IfUnknown: true},
	}
	if !reflect.DeepEqual(rec.channels, want) {
		t.Errorf("channels told:\n got %+v\nwant %+v", rec.channels, want)
	}
}

// TestReferenceParts: the people and channels a core message names are
// printed as the shell names them: user ids are names, channels "#name".
func TestReferenceParts(t *testing.T) {
	var out bytes.Buffer
	st := newMemStore()
	a := New(Options{Bot: &recorder{}, Store: st, In: strings.NewReader(""), Out: &out})
	ctx := context.Background()
	m := bot.Message{TitleParts: []bot.Part{{Text: "Report, "}, {Text: "#general"}},
		Lines: []bot.Line{{Parts: []bot.Part{bot.Mention("alice"), {Text: " approved t1 in "}, bot.ChannelRef("#training")}}}}
	if _, err := a.Post(ctx, local, "#general", m); err != nil {
		t.Fatal(err)
	}
	if err := a.Direct(ctx, local, "bob", bot.Message{Lines: m.Lines}); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String(), `[1] #general tipbot: Report, #general
    alice approved t1 in #training
(private to bob) alice approved t1 in #training
`)
}

// TestAdvance checks /advance: refused without a movable clock, a
// duration such as 7d moves it otherwise.
func TestAdvance(t *testing.T) {
	out, _ := session(t, newMemStore(), Options{}, "/advance 7d\n")
	checkOutput(t, out, english.noClock+"\n")
	var moved []time.Duration
	at := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	o := Options{Advance: func(_ context.Context, d time.Duration) (time.Time, error) {
		moved = append(moved, d)
		at = at.Add(d)
		return at, nil
	}}
	out, _ = session(t, newMemStore(), o, "/advance 7d\n/advance soon\n/advance 1h30m\n")
	checkOutput(t, out, "(the clock is now 2026-12-04 16:00 UTC)\n"+english.usageAdv+"\n(the clock is now 2026-12-04 17:30 UTC)\n")
	if len(moved) != 2 || moved[0] != 7*24*time.Hour || moved[1] != 90*time.Minute {
		t.Errorf("moved %v, want 7d then 1h30m", moved)
	}
}
