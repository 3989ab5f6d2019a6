package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// nudges returns the nudges sent so far, by person.
func (h *harness) nudges() map[string][]string {
	_, _, directs := h.chat.snapshot()
	out := map[string][]string{}
	for _, d := range directs {
		if text := d.Message.Text(); strings.HasPrefix(text, "Your turn to share?") {
			out[d.Channel] = append(out[d.Channel], text)
		}
	}
	return out
}

// tick runs the scheduler's due work now, as the shell's /advance does.
func (h *harness) tick() {
	h.t.Helper()
	if err := h.bot.TickNow(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// TestNudges is issue 13's "Done when" on the core: with nudges on and a
// movable clock, a person with 3 votes and no tip gets one invitation
// naming a tip they found useful and the ways to share; a second day
// brings none; /tips quiet stops the next one after nudges.every; a person
// who shared, a deactivated person and a person short of votes get none;
// the report shows nudged → shared once the nudged person posts a tip; a
// restart sends nothing twice.
func TestNudges(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.NudgesEnabled, c.Admins = true, []string{"trainer"} })
	author := user("alice")
	var tips []string
	for i := range 4 {
		tips = append(tips, h.post(author, "tip: shortcut number "+string(rune('A'+i))))
	}
	carol, frank, gina, dave, hank, ivan := user("carol"), user("frank"), user("gina"), user("dave"), user("hank"), user("ivan")
	for _, voter := range []bot.User{carol, frank, gina, dave, hank} {
		for _, msg := range tips[:3] {
			h.react(voter, msg, "bulb")
		}
	}
	h.react(ivan, tips[0], "bulb") // two votes: short of three
	h.react(ivan, tips[1], "star")
	h.post(dave, "tip: dave shares too")                                // a sharer
	h.people(true, bot.Member{ID: "hank", Name: "Hank", Deleted: true}) // deactivated

	h.advance(2 * time.Hour) // 12:00, past the day's nudge hour
	h.tick()
	got := h.nudges()
	for _, name := range []string{"carol", "frank", "gina"} {
		if len(got[name]) != 1 {
			t.Fatalf("%s got %d nudges, want 1: %q", name, len(got[name]), got)
		}
	}
	for _, name := range []string{"dave", "hank", "ivan", "alice"} {
		if len(got[name]) != 0 {
			t.Errorf("%s was nudged: %q", name, got[name])
		}
	}
	text := got["carol"][0]
	for _, want := range []string{"shortcut number C", "(t3)", "/tip <your tip>", "tip:", ":bookmark:", "/tips quiet"} {
		if !strings.Contains(text, want) {
			t.Errorf("carol's nudge lacks %q:\n%s", want, text)
		}
	}
	if got := h.counter("nudges:m2026-11"); got != 3 {
		t.Errorf("nudges counted = %d, want 3", got)
	}

	// A restart, then the next days: nothing twice.
	h.close()
	h.open()
	h.tick()
	for range 3 {
		h.advance(24 * time.Hour)
		h.tick()
	}
	if got := h.nudges(); len(got["carol"]) != 1 || len(got["frank"]) != 1 || len(got["gina"]) != 1 {
		t.Fatalf("nudges after restart and 3 more days: %q", got)
	}

	// Carol shares two days after her nudge: the report shows it.
	h.post(carol, "tip: carol's first tip")
	report := h.command(trainer, "tips", "report")
	if !strings.Contains(report, "Nudges: sent 3 → shared a tip within 7 days 1") {
		t.Errorf("report lacks the nudge funnel:\n%s", report)
	}

	// Frank asks for quiet; frank and gina vote again near the end of the
	// period; after nudges.every only gina hears from tipbot again.
	h.command(frank, "tips", "quiet")
	h.advance(25 * 24 * time.Hour) // Dec 25, 12:00
	more := []string{h.post(author, "tip: one more"), h.post(author, "tip: and another"), h.post(author, "tip: and a last one")}
	for _, voter := range []bot.User{carol, frank, gina} {
		for _, msg := range more {
			h.react(voter, msg, "+1")
		}
	}
	h.tick()
	if got := h.nudges(); len(got["gina"]) != 1 {
		t.Fatalf("gina nudged again before nudges.every: %q", got["gina"])
	}
	h.advance(3 * 24 * time.Hour) // Dec 28: 30 days after the first nudges
	h.tick()
	got = h.nudges()
	if len(got["gina"]) != 2 {
		t.Errorf("gina got %d nudges after nudges.every, want 2", len(got["gina"]))
	}
	if len(got["frank"]) != 1 {
		t.Errorf("frank got %d nudges after /tips quiet, want 1", len(got["frank"]))
	}
	if len(got["carol"]) != 1 {
		t.Errorf("carol got %d nudges after sharing, want 1", len(got["carol"]))
	}
}

// TestNudgesOff: with nudges off (the default) nobody is nudged.
func TestNudgesOff(t *testing.T) {
	h := newHarness(t, nil)
	var tips []string
	for i := range 3 {
		tips = append(tips, h.post(user("alice"), "tip: number "+string(rune('A'+i))))
	}
	for _, msg := range tips {
		h.react(user("carol"), msg, "bulb")
	}
	h.advance(2 * time.Hour)
	h.tick()
	if got := h.nudges(); len(got) != 0 {
		t.Errorf("nudges sent while off: %q", got)
	}
}

// TestNudgeNamesNoRestrictedTip: the tip a nudge names is one everyone in
// the workspace may read, the public one even when a restricted one was
// voted for later; with none left, the nudge names no tip.
func TestNudgeNamesNoRestrictedTip(t *testing.T) {
	h := newHarness(t, func(c *bot.Config) { c.NudgesEnabled = true })
	h.announce(bot.Channel{ID: "#secret", Name: "secret", Kind: bot.ChannelPrivate})
	alice, carol, erin := user("alice"), user("carol"), user("erin")
	public := h.post(alice, "tip: public knowledge")
	var secrets []string
	for _, text := range []string{"tip: secret one", "tip: secret two", "tip: secret three"} {
		secrets = append(secrets, h.postIn("#secret", "", alice, text))
	}
	h.react(carol, public, "bulb")
	for _, msg := range secrets {
		h.reactIn("#secret", carol, msg, "bulb")
		h.reactIn("#secret", erin, msg, "bulb")
	}
	h.advance(2 * time.Hour)
	h.tick()
	got := h.nudges()
	if len(got["carol"]) != 1 || len(got["erin"]) != 1 {
		t.Fatalf("nudges: %q, want one each to carol and erin", got)
	}
	if text := got["carol"][0]; !strings.Contains(text, "«public knowledge» (t1)") || strings.Contains(text, "secret") {
		t.Errorf("carol's nudge should name the public tip only:\n%s", text)
	}
	if text := got["erin"][0]; strings.Contains(text, "secret") || !strings.Contains(text, "You often find your colleagues' tips useful") {
		t.Errorf("erin's nudge should name no tip:\n%s", text)
	}
}
