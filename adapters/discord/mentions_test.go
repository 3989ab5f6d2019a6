package discord

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// TestMentionsPingNobody is issue 18's "done when" on Discord: tips holding
// @everyone, @here and a role mention, captured by prefix and by /tip, then
// reposted in the hall of fame: every message tipbot sends carries, on the
// wire, allowed_mentions that parse nothing and allow at most the credited
// author.
func TestMentionsPingNobody(t *testing.T) {
	t.Parallel()
	w := newWorld(t, discordtest.Options{}, func(c *bot.Config) {
		c.Threshold = 2
		c.HallOfFame[Platform] = random
	})
	fd := w.fd
	byPrefix := fd.Say(general, alice, "tip: @everyone deploy before noon, ask <@&"+modRole+"> or <@"+carol+"> #deploy")
	w.mustTip(general, byPrefix.ID)
	w.ask(bob, "tip", discordtest.Str("text", "@here <@&"+modRole+"> rotate the staging keys, <@"+carol+"> knows how"))
	post := w.botMessage("the /tip post", general, "rotate the staging keys")
	w.mustTip(general, post.ID)
	for _, id := range []string{byPrefix.ID, post.ID} {
		fd.React(id, carol, "💡")
		fd.React(id, mod, "💡")
	}
	fd.Wait(t, "two hall of fame posts", func() bool { return len(fd.BotMessages(random)) == 2 })
	fd.Wait(t, "the thanks", func() bool { return len(fd.DirectMessages(alice)) == 1 && len(fd.DirectMessages(bob)) == 1 })
	w.bot.Wait()

	credited := map[string]bool{alice: true, bob: true}
	sent := 0
	for _, r := range fd.Requests() {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.Path, "/messages") {
			continue
		}
		sent++
		var body struct {
			Content         string `json:"content"`
			AllowedMentions *struct {
				Parse *[]string `json:"parse"`
				Users []string  `json:"users"`
				Roles []string  `json:"roles"`
			} `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("%s %s: %v", r.Method, r.Path, err)
		}
		am := body.AllowedMentions
		if am == nil || am.Parse == nil || len(*am.Parse) != 0 || len(am.Roles) != 0 {
			t.Errorf("%s %q: allowed_mentions = %s, want parse []", r.Path, body.Content, r.Body)
			continue
		}
		if len(am.Users) > 1 || len(am.Users) == 1 && !credited[am.Users[0]] || slices.Contains(am.Users, carol) {
			t.Errorf("%s %q: allowed users %v, want the credited author only", r.Path, body.Content, am.Users)
		}
		if strings.Contains(body.Content, "rotate the staging keys") && strings.Contains(body.Content, "Tip from") &&
			!slices.Equal(am.Users, []string{bob}) {
			t.Errorf("/tip post allows %v, want bob, its author", am.Users)
		}
	}
	if sent != 5 { // the /tip post, two hall of fame posts, two thanks
		t.Errorf("%d messages sent, want 5", sent)
	}
}
