package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

// askIn runs a slash command in a channel and returns its private answer.
func (w *world) askIn(channel, user, command, text string) string {
	w.t.Helper()
	in := w.s.Command(channel, user, command, text)
	ack, _, ok := in.Ack(5 * time.Second)
	if !ok {
		w.t.Fatalf("%s %s: no acknowledgement", command, text)
	}
	if ack.Raw != nil {
		return ack.Text
	}
	waitFor(w.t, w.s, "the late answer to "+text, func() bool { return len(in.Responses()) > 0 })
	return in.Responses()[0].Text
}

// exported returns the visibility of each exported tip, by text.
func (w *world) exported() map[string]string {
	w.t.Helper()
	var buf bytes.Buffer
	if err := bot.Export(context.Background(), w.db, []bot.Workspace{team}, "jsonl", &buf); err != nil {
		w.t.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.Lines(buf.String()) {
		var rec struct{ Text, Visibility string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			w.t.Fatal(err)
		}
		out[rec.Text] = rec.Visibility
	}
	return out
}

// TestPrivateStaysPrivate is issue 20's "Done when" on Slack: nothing is
// captured from a DM; tips of a private channel and of a channel shared
// with another organisation stay in their channel (search, top, experts
// elsewhere, the hall of fame), show in their own channel and are exported
// with visibility channel; an event whose envelope names the partner
// organisation counts in the installation's workspace.
func TestPrivateStaysPrivate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ModeHTTP)
	s := w.s
	const private, shared = "C0LEADERS", "C0DEALACME"
	s.AddChannel(private, "leadership")
	s.SetChannelKind(private, slacktest.ChannelKind{Private: true})
	s.AddChannel(shared, "deal-acme")
	s.SetChannelKind(shared, slacktest.ChannelKind{ExtShared: true})
	s.Join(private, alice, bob, carol, dave)
	s.Join(shared, alice, bob, carol, dave)

	// A DM: Save as tip and the capture reaction are refused privately.
	dm := s.DMChannel(bob)
	secret := s.AddMessage(dm, bob, "", "between us: the reorg lays off the QA team in March")
	sc := s.Shortcut(dm, secret, alice, "save_tip")
	waitFor(t, s, "the shortcut's answer", func() bool { return len(sc.Responses()) == 1 })
	if r := sc.Responses()[0]; r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "direct messages") {
		t.Errorf("save as tip in a DM: %+v", r)
	}
	s.React(dm, secret, alice, "bookmark")
	w.settle()
	if _, err := w.tip(dm, secret); err == nil {
		t.Error("a DM message became a tip")
	}

	// Tips in the private and the shared channel, with votes enough for
	// the hall of fame (threshold 3); one in #general too.
	lead := s.Say(private, alice, "tip: the reorg plan is in the leadership drive #reorg")
	deal := s.Say(shared, bob, "tip: the reorg discount for acme is 30% #reorg")
	pub := s.Say(general, carol, "tip: the reorg checklist is on the wiki #reorg")
	w.settle()
	for _, m := range []struct{ ch, ts string }{{private, lead}, {shared, deal}, {general, pub}} {
		for _, u := range []string{dave, admin, carol, alice} {
			s.React(m.ch, m.ts, u, "bulb")
		}
	}
	w.settle()
	for _, m := range []struct{ ch, ts, want string }{{private, lead, "channel"}, {shared, deal, "channel"}, {general, pub, ""}} {
		if got := string(w.mustTip(m.ch, m.ts).Visibility); got != m.want {
			t.Errorf("visibility of the tip in %s = %q, want %q", m.ch, got, m.want)
		}
	}

	for _, cmd := range []string{"search reorg", "top month", "experts reorg"} {
		got := w.askIn(general, dave, "/tips", cmd)
		if strings.Contains(got, "leadership") || strings.Contains(got, "acme") || strings.Contains(got, "Bob") {
			t.Errorf("/tips %s in #general shows a restricted tip:\n%s", cmd, got)
		}
		if !strings.Contains(got, "Carol") {
			t.Errorf("/tips %s in #general misses the public tip:\n%s", cmd, got)
		}
	}
	if got := w.askIn(private, dave, "/tips", "search reorg"); !strings.Contains(got, "leadership drive") || strings.Contains(got, "acme") {
		t.Errorf("/tips search in the private channel:\n%s", got)
	}
	if got := w.askIn(shared, dave, "/tips", "search reorg"); !strings.Contains(got, "acme") || strings.Contains(got, "leadership") {
		t.Errorf("/tips search in the shared channel:\n%s", got)
	}
	posts := s.BotMessages(fame)
	if len(posts) != 1 || !strings.Contains(posts[0].Text, "checklist") {
		t.Errorf("hall of fame posts = %+v, want the #general tip only", posts)
	}

	// Slack Connect: the envelope names the partner, the installation is in
	// authorizations.
	s.SetEnvelopeTeam("T0PARTNER")
	partner := s.Say(shared, bob, "tip: use make -j to build in parallel")
	w.settle()
	s.SetEnvelopeTeam("")
	if got := w.mustTip(shared, partner); got.Visibility != bot.VisibilityChannel {
		t.Errorf("the partner-envelope tip = %+v", got)
	}

	got := w.exported()
	want := map[string]string{
		"the reorg plan is in the leadership drive #reorg": "channel",
		"the reorg discount for acme is 30% #reorg":        "channel",
		"the reorg checklist is on the wiki #reorg":        "workspace",
		"use make -j to build in parallel":                 "channel",
	}
	for text, v := range want {
		if got[text] != v {
			t.Errorf("export: %q has visibility %q, want %q (export: %v)", text, got[text], v, got)
		}
	}
	for text := range got {
		if strings.Contains(text, "between us") {
			t.Errorf("the DM message was exported: %q", text)
		}
	}
}

// TestSlackConnectPartnerSeesOnlyTheSharedChannel: a person of a partner
// organisation (their team differs from the installation's) who runs
// /tips search or /tips top in the channel shared with it sees that
// channel's tips only, never #general's: first while the directory does not
// know them (a stranger in a shared channel), then once users.info told it
// their team. A person of the workspace sees both there.
func TestSlackConnectPartnerSeesOnlyTheSharedChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ModeSocket)
	s := w.s
	const shared, pat, partnerTeam = "C0DEALACME", "U0PAT0001", "T0PARTNER"
	s.AddUser(slacktest.User{ID: pat, Name: "pat", DisplayName: "Pat Partner", Team: partnerTeam})
	s.AddChannel(shared, "deal-acme")
	s.SetChannelKind(shared, slacktest.ChannelKind{ExtShared: true})
	s.Join(shared, alice, pat)

	pub := s.Say(general, carol, "tip: the pricing sheet is in the finance drive #pricing")
	deal := s.Say(shared, alice, "tip: send pricing questions to the deal desk #pricing")
	w.settle()
	for _, u := range []string{dave, admin, bob, alice} {
		s.React(general, pub, u, "bulb")
	}
	s.React(shared, deal, carol, "bulb")
	w.settle()
	waitFor(t, s, "the shared channel known", func() bool {
		tip, err := w.tip(shared, deal)
		return err == nil && tip.Visibility == bot.VisibilityChannel
	})

	partnerSees := func(when string) {
		t.Helper()
		for _, cmd := range []string{"search pricing", "top month"} {
			got := w.askIn(shared, pat, "/tips", cmd)
			if strings.Contains(got, "finance") || strings.Contains(got, "Carol") {
				t.Errorf("%s: the partner's /tips %s in the shared channel shows #general's tip:\n%s", when, cmd, got)
			}
			if !strings.Contains(got, "deal desk") {
				t.Errorf("%s: the partner's /tips %s in the shared channel misses its tip:\n%s", when, cmd, got)
			}
		}
	}
	partnerSees("unknown to the directory")

	// The command's lookup (users.info) tells the directory Pat's team.
	waitFor(t, s, "the partner looked up", func() bool {
		var m bot.Member
		err := w.db.View(context.Background(), team, func(tx bot.ReadTx) (err error) {
			m, err = tx.Member(pat)
			return err
		})
		return err == nil && m.Foreign
	})
	partnerSees("known as foreign")
	// A message of theirs, filed under the installation (the envelope
	// names the partner), keeps them foreign.
	s.SetEnvelopeTeam(partnerTeam)
	s.Say(shared, pat, "tip: our legal team answers within a day #pricing")
	w.settle()
	s.SetEnvelopeTeam("")
	partnerSees("after a message of theirs")

	for _, cmd := range []string{"search pricing", "top month"} {
		got := w.askIn(shared, alice, "/tips", cmd)
		if !strings.Contains(got, "finance") || !strings.Contains(got, "deal desk") {
			t.Errorf("a member's /tips %s in the shared channel:\n%s", cmd, got)
		}
	}
	if got := w.askIn(general, dave, "/tips", "search pricing"); strings.Contains(got, "deal desk") || strings.Contains(got, "legal") {
		t.Errorf("/tips search in #general shows the shared channel's tips:\n%s", got)
	}
}
