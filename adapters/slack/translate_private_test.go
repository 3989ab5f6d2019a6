package slack

import (
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// TestTranslateInstallationAndChannelEvents checks that an event is filed
// under authorizations[0].team_id (falling back to team_id), that channel
// events become lookups, and that a reaction in a DM says so.
func TestTranslateInstallationAndChannelEvents(t *testing.T) {
	t.Parallel()
	envelope := func(team, auths, inner string) []byte {
		return []byte(`{"type":"event_callback","team_id":"` + team + `","event_id":"Ev1","event_time":1700000000` + auths + `,"event":` + inner + `}`)
	}
	const auth = `,"authorizations":[{"team_id":"T0HOME","user_id":"U0TIPBOT1","is_bot":true}]`
	reaction := `{"type":"reaction_added","user":"U1","reaction":"bookmark","item":{"type":"message","channel":"D0BOB","ts":"1.2"}}`
	for _, c := range []struct {
		name          string
		raw           []byte
		team, channel string
		kind          string // channelTouched type, or "" for a core event
	}{
		{"partner envelope", envelope("T0PARTNER", auth, `{"type":"message","channel":"C1","user":"U1","text":"tip: x","ts":"1.1"}`), "T0HOME", "C1", ""},
		{"no authorizations", envelope("T0HOME", "", `{"type":"message","channel":"C1","user":"U1","text":"tip: x","ts":"1.1"}`), "T0HOME", "C1", ""},
		{"rename (object)", envelope("T0HOME", auth, `{"type":"channel_rename","channel":{"id":"C2","name":"new","created":1}}`), "T0HOME", "C2", "channel_rename"},
		{"archive (id)", envelope("T0PARTNER", auth, `{"type":"channel_archive","channel":"C3","user":"U1"}`), "T0HOME", "C3", "channel_archive"},
		{"shared", envelope("T0HOME", auth, `{"type":"channel_shared","connected_team_id":"T0PARTNER","channel":"C4"}`), "T0HOME", "C4", "channel_shared"},
		{"group rename", envelope("T0HOME", auth, `{"type":"group_rename","channel":{"id":"G5","name":"secret"}}`), "T0HOME", "G5", "group_rename"},
		{"bot joined", envelope("T0HOME", auth, `{"type":"member_joined_channel","user":"U0TIPBOT1","channel":"C6","channel_type":"C"}`), "T0HOME", "C6", "member_joined_channel"},
		{"reaction in a DM", envelope("T0HOME", auth, reaction), "T0HOME", "D0BOB", ""},
	} {
		ev, err := translateEvent(c.raw)
		if err != nil || ev == nil {
			t.Errorf("%s: %v, %v", c.name, ev, err)
			continue
		}
		if got := bot.MetaOf(ev).Workspace.ID; got != c.team {
			t.Errorf("%s: workspace %s, want %s", c.name, got, c.team)
		}
		if ct, ok := ev.(*channelTouched); ok {
			if ct.Type != c.kind || ct.Channel != c.channel {
				t.Errorf("%s: %+v", c.name, ct)
			}
			continue
		}
		if c.kind != "" {
			t.Errorf("%s: %T, want a channel event", c.name, ev)
			continue
		}
		if got := bot.ChannelOf(ev); got != c.channel {
			t.Errorf("%s: channel %s, want %s", c.name, got, c.channel)
		}
		if r, ok := ev.(*bot.ReactionAdded); ok && r.Kind != bot.ChannelDM {
			t.Errorf("%s: kind %q, want dm", c.name, r.Kind)
		}
	}
}

// TestTranslateForeignPeople checks that a person of another organisation
// (Slack Connect) comes out Foreign: from a message's user_team, a
// command's user_team, an interaction's user.team_id and a user object's
// team_id (is_stranger, or a team that is not a workspace of their
// Enterprise Grid), compared with the installation's team.
func TestTranslateForeignPeople(t *testing.T) {
	t.Parallel()
	const auth = `,"authorizations":[{"team_id":"T0HOME","user_id":"U0TIPBOT1","is_bot":true}]`
	for _, c := range []struct {
		userTeam string
		want     bool
	}{{"T0PARTNER", true}, {"T0HOME", false}, {"", false}} {
		raw := []byte(`{"type":"event_callback","team_id":"T0PARTNER","event_id":"Ev1","event_time":1700000000` + auth +
			`,"event":{"type":"message","channel":"C1","user":"U1","user_team":"` + c.userTeam + `","text":"tip: x","ts":"1.1"}}`)
		ev, err := translateEvent(raw)
		m, ok := ev.(*bot.MessagePosted)
		if err != nil || !ok {
			t.Fatalf("user_team %q: %#v, %v", c.userTeam, ev, err)
		}
		if m.Author.Foreign != c.want {
			t.Errorf("message with user_team %q: Foreign = %v, want %v", c.userTeam, m.Author.Foreign, c.want)
		}

		cmd, err := translateCommand(slackapi.SlashCommand{TeamID: "T0HOME", ChannelID: "C1", UserID: "U1", Command: "/tips",
			Text: "top", TriggerID: "1.2.3"}, c.userTeam)
		if err != nil || cmd.User.Foreign != c.want {
			t.Errorf("command with user_team %q: %+v, %v; want Foreign %v", c.userTeam, cmd, err, c.want)
		}

		var cb slackapi.InteractionCallback
		cb.Type, cb.CallbackID, cb.TriggerID = slackapi.InteractionTypeMessageAction, callbackSaveTip, "1.2.4"
		cb.Team.ID, cb.User.ID, cb.User.TeamID, cb.Channel.ID = "T0HOME", "U1", c.userTeam, "C1"
		cb.Message.Timestamp, cb.Message.User = "1.1", "U2"
		ev, err = translateInteraction(cb)
		save, ok := ev.(*bot.SaveAsTip)
		if err != nil || !ok || save.User.Foreign != c.want {
			t.Errorf("shortcut by a user of team %q: %+v, %v; want Foreign %v", c.userTeam, save, err, c.want)
		}
	}

	for _, c := range []struct {
		name string
		u    slackapi.User
		want bool
	}{
		{"own team", slackapi.User{ID: "U1", TeamID: "T0HOME"}, false},
		{"no team", slackapi.User{ID: "U1"}, false},
		{"partner", slackapi.User{ID: "U1", TeamID: "T0PARTNER"}, true},
		{"stranger", slackapi.User{ID: "U1", IsStranger: true}, true},
		{"same grid", slackapi.User{ID: "U1", TeamID: "T0OTHERWS", Enterprise: slackapi.EnterpriseUser{Teams: []string{"T0OTHERWS", "T0HOME"}}}, false},
		{"other grid", slackapi.User{ID: "U1", TeamID: "T0OTHERWS", Enterprise: slackapi.EnterpriseUser{Teams: []string{"T0OTHERWS"}}}, true},
	} {
		if got := memberOf(&c.u, "T0HOME").Foreign; got != c.want {
			t.Errorf("%s: Foreign = %v, want %v", c.name, got, c.want)
		}
		r := lookedUp{m: memberOf(&c.u, ""), org: orgOf(&c.u), found: true}
		if got := r.member("T0HOME").Foreign; got != c.want {
			t.Errorf("%s looked up: Foreign = %v, want %v", c.name, got, c.want)
		}
	}
	// user_change of a partner's person, delivered to the installation.
	raw := []byte(`{"type":"event_callback","team_id":"T0PARTNER","event_id":"Ev2","event_time":1700000000` + auth +
		`,"event":{"type":"user_change","user":{"id":"U9","team_id":"T0PARTNER","name":"pat"}}}`)
	ev, err := translateEvent(raw)
	if p, ok := ev.(*bot.PeopleUpdated); err != nil || !ok || len(p.Members) != 1 || !p.Members[0].Foreign {
		t.Errorf("user_change of a partner's person: %#v, %v", ev, err)
	}
}
