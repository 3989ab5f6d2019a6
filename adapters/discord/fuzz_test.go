package discord

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// decodeFrame decodes a gateway frame as discordgo does: the envelope,
// then the event struct registered for its type; false for a frame it
// would not hand on.
func decodeFrame(b []byte) (dispatch, bool) {
	var e discordgo.Event
	if err := json.Unmarshal(b, &e); err != nil {
		return dispatch{}, false
	}
	var v any
	switch e.Type {
	case "MESSAGE_CREATE":
		v = &discordgo.MessageCreate{}
	case "MESSAGE_UPDATE":
		v = &discordgo.MessageUpdate{}
	case "MESSAGE_DELETE":
		v = &discordgo.MessageDelete{}
	case "MESSAGE_DELETE_BULK":
		v = &discordgo.MessageDeleteBulk{}
	case "MESSAGE_REACTION_ADD":
		v = &discordgo.MessageReactionAdd{}
	case "MESSAGE_REACTION_REMOVE":
		v = &discordgo.MessageReactionRemove{}
	case "MESSAGE_REACTION_REMOVE_ALL":
		v = &discordgo.MessageReactionRemoveAll{}
	case "INTERACTION_CREATE":
		v = &discordgo.InteractionCreate{}
	default:
		return dispatch{}, false
	}
	_ = json.Unmarshal(e.RawData, v) // discordgo hands on what it could decode
	return dispatch{Type: e.Type, Seq: e.Sequence, Session: "sess1", Data: v}, true
}

func frameSeeds(f *testing.F, prefix string) {
	names, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no testdata %s*: %v", prefix, err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkEvent is what every event handed to the core must be: in a Discord
// workspace that parses back, with an id.
func checkEvent(t *testing.T, ev bot.Event, frame []byte) {
	m := bot.MetaOf(ev)
	if m.Workspace.Platform != Platform || m.Workspace.ID == "" || m.ID == "" {
		t.Fatalf("%T with workspace %q, id %q from %s", ev, m.Workspace.Key(), m.ID, frame)
	}
	if got, err := bot.ParseWorkspace(m.Workspace.Key()); err != nil || got != m.Workspace {
		t.Fatalf("%T in a workspace that does not parse back: %q (%v)", ev, m.Workspace.Key(), err)
	}
}

// FuzzDiscordDispatch translates raw gateway frames (messages, edits,
// deletions, reactions).
func FuzzDiscordDispatch(f *testing.F) {
	for _, p := range []string{"message", "reaction"} {
		frameSeeds(f, p)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		d, ok := decodeFrame(frame)
		if !ok {
			return
		}
		tr := &translator{self: "1100000000000000001", dir: newMapDirectory()}
		for _, ev := range tr.translate(context.Background(), d) {
			checkEvent(t, ev, frame)
		}
	})
}

// FuzzDiscordInteraction translates raw INTERACTION_CREATE frames. Beyond
// the events' workspace, a /tips command's text must read back as the
// options gave it: a cron expression is one argument whatever it holds.
func FuzzDiscordInteraction(f *testing.F) {
	frameSeeds(f, "interaction")
	f.Add([]byte(`{"op":0,"t":"INTERACTION_CREATE","s":3,"d":{"id":"1310000000000000003","type":2,"guild_id":"900000000000000001","channel_id":"910000000000000001",` +
		`"member":{"user":{"id":"800000000000000002"},"permissions":"32"},"data":{"name":"tips","type":1,"options":[{"name":"schedule","type":2,"options":[{"name":"add","type":1,` +
		`"options":[{"name":"cron","type":3,"value":"0 17 \" * * FRI"},{"name":"title","type":3,"value":"Git"}]}]}]}}}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		d, ok := decodeFrame(frame)
		if !ok {
			return
		}
		ic, ok := d.Data.(*discordgo.InteractionCreate)
		if !ok || ic.Interaction == nil {
			return
		}
		tr := &translator{self: "1100000000000000001", dir: newMapDirectory()}
		ev, err := tr.interaction(context.Background(), ic.Interaction)
		if err != nil || ev == nil {
			return
		}
		checkEvent(t, ev, frame)
		c, ok := ev.(*bot.CommandInvoked)
		if !ok || c.Name != cmdTips {
			return
		}
		data := ic.Interaction.Data.(discordgo.ApplicationCommandInteractionData)
		if cron := cronOption(data.Options); cron != "" {
			args := bot.Tokenize(c.Text)
			if !slices.Contains(args, cron) {
				t.Fatalf("cron %q is not one argument of %q: %q", cron, c.Text, args)
			}
		}
	})
}

// cronOption returns the cron option of a schedule add, as the core must
// read it (spaces folded, no quotes), or "".
func cronOption(opts []*discordgo.ApplicationCommandInteractionDataOption) string {
	for len(opts) > 0 && opts[0] != nil && opts[0].Type != discordgo.ApplicationCommandOptionString {
		if opts[0].Name != "schedule" && opts[0].Name != "add" {
			return ""
		}
		opts = opts[0].Options
	}
	for _, o := range opts {
		if o != nil && o.Name == "cron" {
			s, _ := o.Value.(string)
			s = strings.Join(strings.Fields(strings.NewReplacer(`"`, " ", "“", " ", "”", " ").Replace(s)), " ")
			return s
		}
	}
	return ""
}
