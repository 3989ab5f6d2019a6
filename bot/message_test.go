package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// TestMessageRender: the people and channels of a message are parts each
// adapter writes in its markup; Text writes their ids; a line with Text
// only (a message stored before parts existed) is sent as it is.
func TestMessageRender(t *testing.T) {
	t.Parallel()
	m := bot.Message{
		TitleParts: []bot.Part{{Text: "Report, "}, bot.ChannelRef("C1")},
		Lines: []bot.Line{
			{Parts: []bot.Part{bot.Mention("U1"), {Text: " approved t1 in "}, bot.ChannelRef("C2")}, Ref: &bot.MessageRef{Channel: "C2", MessageID: "m1"}},
			{Text: "already <@U9> written"},
		},
	}
	toy := bot.Markup{Mention: func(id string) string { return "{@" + id + "}" }, Channel: func(id string) string { return "{#" + id + "}" }}
	r := m.Render(toy)
	if r.Title != "Report, {#C1}" || r.TitleParts != nil {
		t.Errorf("title = %q, parts %v", r.Title, r.TitleParts)
	}
	if len(r.Lines) != 2 || r.Lines[0].Text != "{@U1} approved t1 in {#C2}" || r.Lines[0].Parts != nil || r.Lines[0].Ref == nil || r.Lines[0].Ref.MessageID != "m1" {
		t.Errorf("line 1 = %+v", r.Lines[0])
	}
	if r.Lines[1].Text != "already <@U9> written" {
		t.Errorf("line 2 = %q, want it as stored", r.Lines[1].Text)
	}
	if m.Lines[0].Parts == nil || m.Lines[0].Text != "" {
		t.Errorf("Render changed the message it was given: %+v", m.Lines[0])
	}
	if got, want := m.Text(), "Report, C1\nU1 approved t1 in C2\nalready <@U9> written"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

// TestMessageCodec: parts survive the outbox's JSON; a message encoded
// before parts existed decodes to its text.
func TestMessageCodec(t *testing.T) {
	t.Parallel()
	m := bot.Message{TitleParts: []bot.Part{bot.ChannelRef("C1")}, Lines: []bot.Line{{Parts: []bot.Part{{Text: "by "}, bot.Mention("U1")}}}, Credit: "U1"}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back bot.Message
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.TitleParts, m.TitleParts) || len(back.Lines) != 1 || !slices.Equal(back.Lines[0].Parts, m.Lines[0].Parts) {
		t.Errorf("round trip of %s = %+v", raw, back)
	}
	old := `{"Thread":"","Title":"Old <#C1>","Lines":[{"Text":"stored <@U1> text","Ref":null}],"File":null}`
	var m2 bot.Message
	if err := json.Unmarshal([]byte(old), &m2); err != nil {
		t.Fatal(err)
	}
	if r := m2.Render(bot.StandInMarkup(bot.Slack)); r.Title != "Old <#C1>" || r.Lines[0].Text != "stored <@U1> text" {
		t.Errorf("old message rendered = %+v", r)
	}
}

// TestReferencesAreParts: the channels and people the core names in its
// replies and reports are references, written by the platform's markup,
// never by the core; a title cannot forge one.
func TestReferencesAreParts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) { c.Admins = []string{"trainer", "admin"} })
	h.ws = bot.Workspace{Platform: bot.Slack, ID: "T1"}
	h.bot.Attach(bot.Slack, h.chat)
	h.command(trainer, "tips", "prompt <#C9> Retro\x000\x00 day")
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "C9", User: trainer, Name: "tips", Text: "sessions"})
	if r == nil || len(r.Lines) == 0 {
		t.Fatalf("/tips sessions: %+v", r)
	}
	line := r.Lines[len(r.Lines)-1]
	if !slices.Contains(line.Parts, bot.ChannelRef("C9")) {
		t.Errorf("sessions line parts = %+v, want a reference to C9", line.Parts)
	}
	for _, p := range line.Parts {
		if p.Mention == "" && p.Channel == "" && strings.Contains(p.Text, "C9") {
			t.Errorf("the core wrote the channel itself: %q", p.Text)
		}
	}
	got := r.Render(bot.StandInMarkup(bot.Slack)).Lines[len(r.Lines)-1].Text
	if !strings.Contains(got, "«Retro0 day» in <#C9>") {
		t.Errorf("sessions line on Slack = %q", got)
	}
	rep := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "C9", User: admin, Name: "tips", Text: "report month <#C9>"})
	if rep == nil || !slices.Contains(rep.TitleParts, bot.ChannelRef("C9")) || rep.Title != "" {
		t.Fatalf("report title = %q, parts %+v", rep.Title, rep.TitleParts)
	}
	if got := rep.Render(bot.StandInMarkup(bot.Slack)).Title; got != "📊 Report — this month, <#C9>" {
		t.Errorf("report title on Slack = %q", got)
	}
}

// TestStoredTextParcelIsSentAsIs: a parcel the outbox stored before
// messages had parts (its text already written in the platform's markup)
// is delivered as it was stored after a restart.
func TestStoredTextParcelIsSentAsIs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.setFailPosts(true)
	h.command(alice, "tip", "rebase onto main before review #git")
	h.crash()
	db, err := store.Open(h.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := json.RawMessage(`{"Thread":"","Title":"Old <#C1>","Lines":[{"Text":"stored <@U1> rebase text","Ref":null}],"File":null}`)
	rewritten := 0
	err = db.Update(context.Background(), h.ws, func(tx bot.Tx) error {
		var keys []string
		var raws [][]byte
		if err := tx.ForEachRecord("outbox", func(key string, raw []byte) error {
			keys, raws = append(keys, key), append(raws, raw)
			return nil
		}); err != nil {
			return err
		}
		for i, raw := range raws {
			var p map[string]json.RawMessage
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			if _, ok := p["message"]; !ok {
				continue
			}
			p["message"] = old
			out, err := json.Marshal(p)
			if err != nil {
				return err
			}
			if err := tx.PutRecord("outbox", keys[i], out); err != nil {
				return err
			}
			rewritten++
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if rewritten != 1 {
		t.Fatalf("parcels with a message = %d, want 1", rewritten)
	}
	h.setFailPosts(false)
	h.open()
	stop := h.runScheduler()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if pending, _ := h.outboxStatus(); pending == 0 {
			break
		}
	}
	stop()
	posts := h.postsWith("stored <@U1> rebase text")
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want 1", len(posts))
	}
	if m := posts[0].Message; m.Title != "Old <#C1>" || len(m.Lines) != 1 || m.Lines[0].Parts != nil {
		t.Errorf("posted = %+v, want the stored message", m)
	}
}
