package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// askIn runs a /tips sub-command in a channel or thread and returns its
// private answer's text.
func (w *world) askIn(channel, user string, opts ...discordtest.Option) string {
	w.t.Helper()
	id := w.fd.Run(discordtest.Command{Guild: guildID, Channel: channel, User: user, Name: "tips", Options: opts})
	ans := w.fd.Answer(w.t, id)
	if !ans.Ephemeral() {
		w.t.Errorf("%+v in %s: answer is public: %+v", opts, channel, ans)
	}
	return ans.Text()
}

// TestPrivateStaysPrivate is issue 20's "Done when" on Discord: tips of a
// channel whose overwrites deny VIEW_CHANNEL to @everyone and of a private
// thread stay where they were said: absent from search, top and experts
// in #general and from the hall of fame, present in their own channel or
// thread, exported with visibility channel.
func TestPrivateStaysPrivate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, func(c *bot.Config) {
		c.Threshold = 2
		c.HallOfFame[Platform] = random
	})
	fd := w.fd
	const hidden = "100000000000000077"
	fd.AddChannel(guildID, hidden, "leadership")
	fd.HideChannel(hidden)
	thread := fd.StartPrivateThread(general, "salaries")

	lead := fd.Say(hidden, alice, "tip: the reorg plan is in the leadership drive #reorg")
	bands := fd.Say(thread, bob, "tip: the reorg bands are in the private sheet #reorg")
	pub := fd.Say(general, carol, "tip: the reorg checklist is on the wiki #reorg")
	var last int64
	for _, m := range []discordtest.Message{lead, bands, pub} {
		for _, u := range []string{alice, bob, carol, mod} {
			last = fd.React(m.ID, u, "💡")
		}
	}
	fd.Wait(t, "every vote", func() bool { return w.tap.handled(":" + itoa(last)) })
	w.bot.Wait()

	for _, c := range []struct {
		channel, id string
		want        bot.Visibility
	}{{hidden, lead.ID, bot.VisibilityChannel}, {general, bands.ID, bot.VisibilityThread}, {general, pub.ID, bot.VisibilityWorkspace}} {
		tip := w.mustTip(c.channel, c.id)
		if tip.Visibility != c.want {
			t.Errorf("visibility of %q = %q, want %q", tip.Text, tip.Visibility, c.want)
		}
	}
	w.botMessage("the hall of fame post of the public tip", random, "checklist")
	for _, m := range fd.BotMessages(random) {
		if strings.Contains(m.Text(), "leadership") || strings.Contains(m.Text(), "private sheet") {
			t.Errorf("the hall of fame shows a restricted tip: %q", m.Text())
		}
	}

	for _, opt := range []discordtest.Option{
		discordtest.Sub("search", discordtest.Str("words", "reorg")),
		discordtest.Sub("top", discordtest.Str("period", "month")),
		discordtest.Sub("experts", discordtest.Str("topic", "reorg")),
	} {
		got := w.askIn(general, mod, opt)
		if strings.Contains(got, "leadership") || strings.Contains(got, "private sheet") || strings.Contains(got, "bob") {
			t.Errorf("%+v in #general shows a restricted tip:\n%s", opt, got)
		}
		if !strings.Contains(got, "carol") {
			t.Errorf("%+v in #general misses the public tip:\n%s", opt, got)
		}
	}
	search := discordtest.Sub("search", discordtest.Str("words", "reorg"))
	if got := w.askIn(hidden, mod, search); !strings.Contains(got, "leadership drive") || strings.Contains(got, "private sheet") {
		t.Errorf("search in the hidden channel:\n%s", got)
	}
	if got := w.askIn(thread, mod, search); !strings.Contains(got, "private sheet") || strings.Contains(got, "leadership") {
		t.Errorf("search in the private thread:\n%s", got)
	}

	var buf bytes.Buffer
	if err := bot.Export(context.Background(), w.db, []bot.Workspace{ws}, "jsonl", &buf); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for line := range strings.Lines(buf.String()) {
		var rec struct{ Text, Visibility string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		got[rec.Text] = rec.Visibility
	}
	for text, want := range map[string]string{
		"the reorg plan is in the leadership drive #reorg": "channel",
		"the reorg bands are in the private sheet #reorg":  "channel",
		"the reorg checklist is on the wiki #reorg":        "workspace",
	} {
		if got[text] != want {
			t.Errorf("export: %q visibility %q, want %q", text, got[text], want)
		}
	}
}

// TestChannelOfOverwrites checks what the directory keeps of Discord
// channels as GUILD_CREATE lists them: hidden from @everyone by an
// overwrite, private thread, public.
func TestChannelOfOverwrites(t *testing.T) {
	t.Parallel()
	raw := `{"id":"` + guildID + `","channels":[
		{"id":"1","name":"general","type":0},
		{"id":"2","name":"leadership","type":0,"permission_overwrites":[{"id":"` + guildID + `","type":0,"allow":"0","deny":"1024"}]},
		{"id":"3","name":"mods","type":0,"permission_overwrites":[{"id":"` + modRole + `","type":0,"allow":"1024","deny":"0"}]},
		{"id":"4","name":"member-hidden","type":0,"permission_overwrites":[{"id":"` + guildID + `","type":1,"allow":"0","deny":"1024"}]}],
		"threads":[{"id":"5","name":"salaries","type":12,"parent_id":"1"},{"id":"6","name":"chat","type":11,"parent_id":"2"}]}`
	var g discordgo.Guild
	if err := json.Unmarshal([]byte(raw), &g); err != nil {
		t.Fatal(err)
	}
	got := guildChannels(&g)
	want := []bot.Channel{
		{ID: "1", Name: "general", Kind: bot.ChannelPublic},
		{ID: "2", Name: "leadership", Kind: bot.ChannelPublic, Hidden: true},
		{ID: "3", Name: "mods", Kind: bot.ChannelPublic},
		{ID: "4", Name: "member-hidden", Kind: bot.ChannelPublic},
		{ID: "5", Name: "salaries", Kind: bot.ChannelPrivate},
		{ID: "6", Name: "chat", Kind: bot.ChannelPublic},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("channel %d = %+v, want %+v", i, got[i], want[i])
		}
		if r := got[i].Restricted(); r != (i == 1 || i == 4) {
			t.Errorf("channel %s restricted = %v", got[i].ID, r)
		}
	}
}

// channel returns what the directory of channels keeps of a channel.
func (w *world) channel(id string) (c bot.Channel, ok bool) {
	w.t.Helper()
	err := w.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
		raw, err := tx.Record("channel", id)
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		return json.Unmarshal(raw, &c)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return c, ok
}

// TestEveryoneRoleLosesViewChannel: the server's @everyone role loses
// VIEW_CHANNEL (GUILD_ROLE_UPDATE). Its channels are restricted from then
// on, but for the one whose overwrites allow @everyone to view it; a new
// session's GUILD_CREATE, whose @everyone still may not view channels,
// keeps them restricted; given VIEW_CHANNEL back, they are public again.
func TestEveryoneRoleLosesViewChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, nil)
	fd := w.fd
	const lobby = "100000000000000088"
	fd.AddShownChannel(guildID, lobby, "lobby")
	before := fd.Say(general, carol, "tip: the ops runbook is on the wiki #ops")
	fd.Wait(t, "the tip captured and its channel known", func() bool {
		tip, err := w.tip(general, before.ID)
		c, ok := w.channel(lobby)
		return err == nil && tip.Visibility == bot.VisibilityWorkspace && ok && !c.Restricted()
	})
	search := discordtest.Sub("search", discordtest.Str("words", "ops"))
	if got := w.askIn(lobby, mod, search); !strings.Contains(got, "runbook") {
		t.Fatalf("search in #lobby before the change misses #general's tip:\n%s", got)
	}

	fd.SetEveryonePermissions(guildID, discordtest.EveryonePermissions&^discordtest.PermViewChannel)
	restricted := func(id string) bool { c, ok := w.channel(id); return ok && c.Restricted() }
	fd.Wait(t, "#general and #random restricted", func() bool { return restricted(general) && restricted(random) })
	if restricted(lobby) {
		t.Error("#lobby, which @everyone may view by its overwrite, became restricted")
	}
	after := fd.Say(general, alice, "tip: the ops pager rota is pinned here #ops")
	fd.Wait(t, "the new tip", func() bool { _, err := w.tip(general, after.ID); return err == nil })
	for _, m := range []discordtest.Message{before, after} {
		if got := w.mustTip(general, m.ID).Visibility; got != bot.VisibilityChannel {
			t.Errorf("tip %s of #general: visibility %q, want channel", m.ID, got)
		}
	}
	if got := w.askIn(lobby, mod, search); strings.Contains(got, "runbook") || strings.Contains(got, "pager") {
		t.Errorf("search in #lobby shows #general's tips once @everyone may not view #general:\n%s", got)
	}
	if got := w.askIn(general, mod, search); !strings.Contains(got, "runbook") || !strings.Contains(got, "pager") {
		t.Errorf("search in #general misses its own tips:\n%s", got)
	}

	// A new session: GUILD_CREATE lists the roles as they are now.
	updates := w.tap.channelsUpdated()
	fd.InvalidSession()
	fd.Wait(t, "the new session's GUILD_CREATE applied", func() bool { return w.tap.channelsUpdated() >= updates+2 }) // both servers
	later := fd.Say(random, bob, "tip: the ops budget sheet is in the drive #ops")
	fd.Wait(t, "the tip in #random", func() bool { _, err := w.tip(random, later.ID); return err == nil })
	if got := w.mustTip(random, later.ID).Visibility; got != bot.VisibilityChannel {
		t.Errorf("after GUILD_CREATE, a tip of #random: visibility %q, want channel", got)
	}
	if restricted(lobby) || !restricted(general) {
		t.Errorf("after GUILD_CREATE: #lobby restricted %v, #general restricted %v", restricted(lobby), restricted(general))
	}

	fd.SetEveryonePermissions(guildID, discordtest.EveryonePermissions)
	fd.Wait(t, "#general public again", func() bool { return !restricted(general) && !restricted(random) })
	again := fd.Say(general, carol, "tip: the ops retro notes are in the wiki #ops")
	fd.Wait(t, "the tip after", func() bool { _, err := w.tip(general, again.ID); return err == nil })
	if got := w.mustTip(general, again.ID).Visibility; got != bot.VisibilityWorkspace {
		t.Errorf("a tip of #general once @everyone may view it again: visibility %q, want workspace", got)
	}
}

// TestChannelOfEveryoneRole checks channels of a server whose @everyone
// role may not view channels: hidden unless an overwrite allows it to
// @everyone; threads follow their parent (not hidden themselves); an
// @everyone that is administrator sees everything.
func TestChannelOfEveryoneRole(t *testing.T) {
	t.Parallel()
	g := func(everyone string) *discordgo.Guild {
		raw := `{"id":"` + guildID + `","roles":[{"id":"` + guildID + `","name":"@everyone","permissions":"` + everyone + `"}],"channels":[
			{"id":"1","name":"general","type":0},
			{"id":"2","name":"lobby","type":0,"permission_overwrites":[{"id":"` + guildID + `","type":0,"allow":"1024","deny":"0"}]},
			{"id":"3","name":"mods","type":0,"permission_overwrites":[{"id":"` + modRole + `","type":0,"allow":"1024","deny":"0"}]}],
			"threads":[{"id":"4","name":"chat","type":11,"parent_id":"1"}]}`
		var g discordgo.Guild
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			t.Fatal(err)
		}
		return &g
	}
	for _, c := range []struct {
		everyone string
		hidden   []bool // general, lobby, mods, thread
	}{
		{"0", []bool{true, false, true, false}},
		{"2048", []bool{true, false, true, false}}, // send messages, not view
		{"3072", []bool{false, false, false, false}},
		{"8", []bool{false, false, false, false}}, // administrator
	} {
		got := guildChannels(g(c.everyone))
		if len(got) != len(c.hidden) {
			t.Fatalf("@everyone %s: %+v", c.everyone, got)
		}
		for i, want := range c.hidden {
			if got[i].Hidden != want {
				t.Errorf("@everyone %s: channel %s hidden = %v, want %v", c.everyone, got[i].Name, got[i].Hidden, want)
			}
		}
	}
	// Without roles (unknown), only overwrites hide a channel.
	noRoles := g("0")
	noRoles.Roles = nil
	if got := guildChannels(noRoles); got[0].Hidden || got[2].Hidden {
		t.Errorf("roles unknown: %+v", got)
	}
}
