package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// commandIn runs a command in a channel and returns the reply's text.
func (h *harness) commandIn(channel string, u bot.User, name, text string) string {
	h.t.Helper()
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: channel, User: u, Name: name, Text: text})
	if r == nil {
		h.t.Fatalf("/%s %s: no reply", name, text)
	}
	return r.Text()
}

// reactIn adds a reaction to a message of a channel.
func (h *harness) reactIn(channel string, u bot.User, msg, emoji string) bot.Reply {
	return h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: channel, MessageID: msg, User: u, Emoji: emoji, Message: h.msgs[msg]})
}

// tipIn returns the tip captured from a message of a channel.
func (h *harness) tipIn(channel, msg string) (bot.Tip, error) {
	var t bot.Tip
	err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		t, err = tx.TipByMessage(channel, msg)
		return err
	})
	return t, err
}

func TestRestrictedTipsStayInTheirChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) {
		c.Threshold = 2
		c.HallOfFame[bot.Shell] = "#hall-of-fame"
	})
	h.announce(bot.Channel{ID: "#hr", Name: "hr", Kind: bot.ChannelPrivate})
	h.announce(bot.Channel{ID: "#deal", Name: "deal", Kind: bot.ChannelShared})
	pub := h.post(alice, "tip: the reorg checklist lives in the wiki #reorg")
	hr := h.postIn("#hr", "", bob, "tip: the reorg lays off nobody, check the #reorg memo")
	deal := h.postIn("#deal", "", carol, "tip: the reorg price for acme is secret #reorg")
	for _, m := range []struct{ ch, id string }{{"#general", pub}, {"#hr", hr}, {"#deal", deal}} {
		h.reactIn(m.ch, dave, m.id, "bulb")
		h.reactIn(m.ch, user("erin"), m.id, "bulb")
	}
	for _, m := range []struct{ ch, id, want string }{{"#general", pub, ""}, {"#hr", hr, "channel"}, {"#deal", deal, "channel"}} {
		tip, err := h.tipIn(m.ch, m.id)
		if err != nil {
			t.Fatalf("tip in %s: %v", m.ch, err)
		}
		if got := tip.Visibility; string(got) != m.want {
			t.Errorf("visibility in %s = %q, want %q", m.ch, got, m.want)
		}
	}

	general := []string{
		h.commandIn("#general", user("frank"), "tips", "search reorg"),
		h.commandIn("#general", user("frank"), "tips", "top month"),
		h.commandIn("#general", user("frank"), "tips", "experts reorg"),
	}
	for _, text := range general {
		if strings.Contains(text, "lays off") || strings.Contains(text, "acme") || strings.Contains(text, "Bob") || strings.Contains(text, "Carol") {
			t.Errorf("#general shows a restricted tip:\n%s", text)
		}
	}
	if !strings.Contains(general[0], "checklist") || !strings.Contains(general[2], "Alice") {
		t.Errorf("#general misses the public tip:\n%s\n%s", general[0], general[2])
	}
	inHR := h.commandIn("#hr", user("frank"), "tips", "search reorg")
	if !strings.Contains(inHR, "lays off") || !strings.Contains(inHR, "checklist") || strings.Contains(inHR, "acme") {
		t.Errorf("#hr search:\n%s", inHR)
	}
	topHR := h.commandIn("#hr", user("frank"), "tips", "top month")
	if !strings.Contains(topHR, "lays off") || !strings.Contains(topHR, "Bob") || strings.Contains(topHR, "acme") {
		t.Errorf("#hr top:\n%s", topHR)
	}
	expertsDeal := h.commandIn("#deal", user("frank"), "tips", "experts reorg")
	if !strings.Contains(expertsDeal, "Carol") || !strings.Contains(expertsDeal, "Alice") || strings.Contains(expertsDeal, "Bob") {
		t.Errorf("#deal experts:\n%s", expertsDeal)
	}
	// The author sees their restricted tip in /tips me, wherever they ask.
	if me := h.commandIn("#general", bob, "tips", "me"); !strings.Contains(me, "lays off") {
		t.Errorf("bob's /tips me:\n%s", me)
	}
	// Only the public tip reached the hall of fame.
	posts, _, _ := h.chat.snapshot()
	hof := 0
	for _, p := range posts {
		if p.Channel == "#hall-of-fame" {
			hof++
			if !strings.Contains(p.Message.Text(), "checklist") {
				t.Errorf("hall of fame shows %q", p.Message.Text())
			}
		}
	}
	if hof != 1 {
		t.Errorf("%d hall of fame posts, want 1", hof)
	}
}

func TestForeignPeopleSeeOnlyTheirChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.announce(bot.Channel{ID: "#deal", Name: "deal", Kind: bot.ChannelShared})
	h.post(alice, "tip: internal pricing sheet is in drive #pricing")
	h.postIn("#deal", "", carol, "tip: send the pricing questions here #pricing")
	partner := bot.User{ID: "partner", Name: "Pat", Foreign: true}
	got := h.commandIn("#deal", partner, "tips", "search pricing")
	if strings.Contains(got, "internal") || !strings.Contains(got, "questions") {
		t.Errorf("partner's search in #deal:\n%s", got)
	}
	if got := h.commandIn("#deal", partner, "tips", "experts pricing"); strings.Contains(got, "Alice") || !strings.Contains(got, "Carol") {
		t.Errorf("partner's experts in #deal:\n%s", got)
	}
}

// TestForeignFromTheDirectory: a person the directory knows as foreign
// is foreign whatever the event says, and a person it does not know yet
// who runs a command in a shared channel is taken for a stranger until
// looked up; in a channel of the workspace they are not.
func TestForeignFromTheDirectory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.announce(bot.Channel{ID: "#deal", Name: "deal", Kind: bot.ChannelShared})
	h.post(alice, "tip: internal pricing sheet is in drive #pricing")
	h.postIn("#deal", "", carol, "tip: send the pricing questions here #pricing")
	// Unknown to the directory (no name: the adapter gave only the id).
	stranger := bot.User{ID: "U0STRANGER"}
	if got := h.commandIn("#deal", stranger, "tips", "search pricing"); strings.Contains(got, "internal") || !strings.Contains(got, "questions") {
		t.Errorf("an unknown person's search in the shared channel:\n%s", got)
	}
	if got := h.commandIn("#general", stranger, "tips", "search pricing"); !strings.Contains(got, "internal") {
		t.Errorf("an unknown person's search in #general (a channel of the workspace):\n%s", got)
	}
	// Known as foreign: foreign everywhere, the event's flag notwithstanding.
	h.handle(&bot.PeopleUpdated{EventMeta: h.meta(), Members: []bot.Member{{ID: "U0PAT", Name: "Pat", Foreign: true}}})
	pat := bot.User{ID: "U0PAT"}
	for _, ch := range []string{"#deal", "#general"} {
		for _, cmd := range []string{"search pricing", "top", "experts pricing"} {
			got := h.commandIn(ch, pat, "tips", cmd)
			if strings.Contains(got, "internal") || strings.Contains(got, "Alice") {
				t.Errorf("/tips %s in %s by a foreign member shows the workspace's tip:\n%s", cmd, ch, got)
			}
			if ch == "#deal" && !strings.Contains(got, "questions") && !strings.Contains(got, "Carol") {
				t.Errorf("/tips %s in %s by a foreign member misses the channel's tip:\n%s", cmd, ch, got)
			}
		}
	}
	// Known as one of the workspace's: the workspace's tips show in #deal.
	h.handle(&bot.PeopleUpdated{EventMeta: h.meta(), Members: []bot.Member{{ID: "U0STRANGER", Name: "Sam"}}})
	if got := h.commandIn("#deal", stranger, "tips", "search pricing"); !strings.Contains(got, "internal") || !strings.Contains(got, "questions") {
		t.Errorf("a member's search in the shared channel:\n%s", got)
	}
}

func TestUnknownChannelIsRestrictedUntilKnown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) {
		c.Threshold = 1
		c.HallOfFame[bot.Shell] = "#hall-of-fame"
	})
	// Mark #new as announced without telling the directory: unknown.
	h.announced = map[string]bool{"#new": true}
	m := h.postIn("#new", "", alice, "tip: the new build cache is on by default")
	h.reactIn("#new", bob, m, "bulb")
	tip, err := h.tipIn("#new", m)
	if err != nil {
		t.Fatal(err)
	}
	if tip.Visibility != bot.VisibilityUnknown || tip.HallOfFame {
		t.Fatalf("tip in an unknown channel: visibility %q, hall of fame %v", tip.Visibility, tip.HallOfFame)
	}
	if got := h.command(carol, "tips", "search cache"); strings.Contains(got, "build cache") {
		t.Errorf("search shows a tip of an unknown channel:\n%s", got)
	}
	h.announce(bot.Channel{ID: "#new", Name: "new", Kind: bot.ChannelPublic})
	tip, _ = h.tipIn("#new", m)
	if tip.Visibility != bot.VisibilityWorkspace || !tip.HallOfFame {
		t.Errorf("once known public: visibility %q, hall of fame %v", tip.Visibility, tip.HallOfFame)
	}
	if got := h.command(carol, "tips", "search cache"); !strings.Contains(got, "build cache") {
		t.Errorf("search misses the tip once its channel is known:\n%s", got)
	}
	// A channel made private restricts its tips.
	h.announce(bot.Channel{ID: "#new", Name: "new", Kind: bot.ChannelPrivate})
	if got := h.command(carol, "tips", "search cache"); strings.Contains(got, "build cache") {
		t.Errorf("search shows a tip of a channel made private:\n%s", got)
	}
}

func TestNoCaptureInDirectMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	msg := bot.MessageInfo{Author: bob, Text: "between us: the reorg lays off the QA team"}
	for _, lang := range []string{"en", "fr"} {
		h := h
		if lang == "fr" {
			h = newHarness(t, func(c *bot.Config) { c.Locale = "fr" })
		}
		r := h.handle(&bot.SaveAsTip{EventMeta: h.meta(), Channel: "D123", MessageID: "1.1", User: alice, Message: msg, Kind: bot.ChannelDM})
		want := map[string]string{"en": "direct messages", "fr": "messages directs"}[lang]
		if r == nil || !strings.Contains(r.Text(), want) {
			t.Errorf("%s: save as tip in a DM: %v", lang, r)
		}
	}
	// A group DM known to the directory, and a channel the bot is not in.
	h.announce(bot.Channel{ID: "G1", Kind: bot.ChannelGroupDM})
	h.announce(bot.Channel{ID: "C9", Kind: bot.ChannelPublic, NotMember: true})
	h.msgs["2.2"] = msg
	if r := h.reactIn("G1", alice, "2.2", "bookmark"); r == nil || !strings.Contains(r.Text(), "direct messages") {
		t.Errorf("bookmark in a group DM: %v", r)
	}
	if r := h.handle(&bot.SaveAsTip{EventMeta: h.meta(), Channel: "C9", MessageID: "3.3", User: alice, Message: msg}); r == nil || !strings.Contains(r.Text(), "not a member") {
		t.Errorf("save as tip where the bot is not a member: %v", r)
	}
	n := 0
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(bot.Tip) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tips stored, want 0", n)
	}
}

func TestPrivateThreadStaysInTheThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.announce(bot.Channel{ID: "#general", Name: "general", Kind: bot.ChannelPublic})
	h.announce(bot.Channel{ID: "th1", Name: "secret thread", Kind: bot.ChannelPrivate})
	m := h.postIn("#general", "th1", alice, "tip: the salary bands are in the private sheet")
	tip, err := h.tipIn("#general", m)
	if err != nil {
		t.Fatal(err)
	}
	if tip.Visibility != bot.VisibilityThread {
		t.Fatalf("visibility = %q, want thread", tip.Visibility)
	}
	ask := func(thread string) string {
		r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", ThreadID: thread, User: bob, Name: "tips", Text: "search salary"})
		return r.Text()
	}
	if got := ask(""); strings.Contains(got, "salary bands") {
		t.Errorf("the channel shows the private thread's tip:\n%s", got)
	}
	if got := ask("th1"); !strings.Contains(got, "salary bands") {
		t.Errorf("the thread misses its tip:\n%s", got)
	}
	// The channel made private later leaves the thread's tip in its thread.
	h.announce(bot.Channel{ID: "#general", Name: "general", Kind: bot.ChannelPrivate})
	if tip, _ := h.tipIn("#general", m); tip.Visibility != bot.VisibilityThread {
		t.Errorf("visibility after the channel went private = %q", tip.Visibility)
	}
}

func TestReportsCountRestrictedTipsWithoutQuoting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *bot.Config) {
		c.Admins = []string{"carol"}
		c.RequireApproval = true
	})
	h.announce(bot.Channel{ID: "#hr", Name: "hr", Kind: bot.ChannelPrivate})
	h.postIn("#hr", "", bob, "tip: the layoffs list is in the hr drive")
	h.post(alice, "tip: the wiki has a search box")
	got := h.commandIn("#general", carol, "tips", "pending")
	if strings.Contains(got, "layoffs") || !strings.Contains(got, "search box") || !strings.Contains(got, "2") {
		t.Errorf("/tips pending in #general:\n%s", got)
	}
	if got := h.commandIn("#hr", carol, "tips", "pending"); !strings.Contains(got, "layoffs") {
		t.Errorf("/tips pending in #hr:\n%s", got)
	}
	h.commandIn("#general", carol, "tips", "approve t1")
	got = h.commandIn("#general", carol, "tips", "report month #hr")
	if strings.Contains(got, "layoffs") || !strings.Contains(got, "Tips captured: 1") {
		t.Errorf("/tips report of #hr:\n%s", got)
	}
}

// TestChannelViewMatchesBruteForce checks the channel view's merged
// rankings against sums over every tip visible in the channel.
func TestChannelViewMatchesBruteForce(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ws := bot.Workspace{Platform: bot.Shell, ID: "local"}
	r := rand.New(rand.NewPCG(20, 26))
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var all []bot.Tip
	if err := db.Update(context.Background(), ws, func(tx bot.Tx) error {
		for i := 1; i <= 400; i++ {
			tip := bot.Tip{ID: bot.TipID(i), Channel: "#general", AuthorID: fmt.Sprintf("u%02d", r.IntN(30)),
				Text: "tip number " + strconv.Itoa(i) + " about deploys", Source: bot.SourcePrefix, Status: bot.StatusPublished,
				UsefulVotes: r.IntN(12), CreatedAt: at, UpdatedAt: at, Periods: bot.PeriodKeys(at, time.UTC)}
			if r.IntN(4) == 0 {
				tip.Channel, tip.Visibility = "#hr", bot.VisibilityChannel
			}
			all = append(all, tip)
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, channel := range []string{"#hr", "#general"} {
		want := map[string]int64{}
		for _, tip := range all {
			if !tip.Restricted() || tip.Channel == channel {
				want[tip.AuthorID] += int64(tip.UsefulVotes)
			}
		}
		if err := db.View(context.Background(), ws, func(tx bot.ReadTx) error {
			for _, n := range []int{1, 5, 12} {
				got, err := bot.TopAuthorsIn(tx, channel, "all", n)
				if err != nil {
					return err
				}
				if len(got) != n {
					t.Fatalf("%s top %d: %d authors", channel, n, len(got))
				}
				for i, s := range got {
					if s.Votes != want[s.Member] {
						t.Errorf("%s top %d: %s has %d votes, want %d", channel, n, s.Member, s.Votes, want[s.Member])
					}
					if i > 0 && got[i-1].Votes < s.Votes {
						t.Errorf("%s top %d: not in order: %+v", channel, n, got)
					}
				}
				// Nobody left out has more votes than the last one shown.
				for m, v := range want {
					if v > got[n-1].Votes && !slices.ContainsFunc(got, func(s bot.Standing) bool { return s.Member == m }) {
						t.Errorf("%s top %d: %s (%d votes) left out: %+v", channel, n, m, v, got)
					}
				}
			}
			found, err := bot.SearchIn(tx, channel, bot.QueryTerms("deploys"), 1000)
			if err != nil {
				return err
			}
			visible := 0
			for _, tip := range all {
				if !tip.Restricted() || tip.Channel == channel {
					visible++
				}
			}
			if len(found) != visible {
				t.Errorf("%s search: %d tips, want %d", channel, len(found), visible)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}
