package slack

import (
	"testing"

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
