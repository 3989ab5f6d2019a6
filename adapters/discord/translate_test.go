package discord

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// thread is the id of the thread started on the prompt message
// 1300000000000000002 in testdata (a thread's id is its starter message's).
const thread = "1300000000000000002"

// mapDirectory is a directory backed by maps.
type mapDirectory struct {
	channels map[string]channelInfo
	messages map[string]messageEntry
	guild    *discordgo.Guild
	fetched  []string
}

func newMapDirectory() *mapDirectory {
	return &mapDirectory{
		channels: map[string]channelInfo{
			general: {GuildID: guildID}, random: {GuildID: guildID},
			thread:                {GuildID: guildID, ParentID: general, Thread: true},
			"1200000000000000001": {},
		},
		messages: map[string]messageEntry{
			"1300000000000000001": {Location: general, Info: bot.MessageInfo{Author: bot.User{ID: mod, Name: "Max"}, Text: "tip: use `git bisect run` to find regressions #git"}},
			"1300000000000000004": {Location: thread, Info: bot.MessageInfo{Author: bot.User{ID: bob, Name: "Bob"}, Text: "pair programming on hard bugs", ThreadID: thread}},
		},
		guild: &discordgo.Guild{ID: guildID, OwnerID: owner, Roles: []*discordgo.Role{
			{ID: guildID, Permissions: discordgo.PermissionViewChannel}, {ID: modRole, Permissions: discordgo.PermissionManageGuild},
		}},
	}
}

func (d *mapDirectory) channel(_ context.Context, id string) (channelInfo, error) {
	ci, ok := d.channels[id]
	if !ok {
		return channelInfo{}, errUnknownChannel
	}
	return ci, nil
}

func (d *mapDirectory) message(_ context.Context, location, id string) (bot.MessageInfo, error) {
	d.fetched = append(d.fetched, location+"/"+id)
	e, ok := d.messages[id]
	if !ok {
		return bot.MessageInfo{}, errors.New("404 Unknown Message")
	}
	return e.Info, nil
}

func (d *mapDirectory) known(id string) (bot.MessageInfo, bool) {
	e, ok := d.messages[id]
	return e.Info, ok
}

func (d *mapDirectory) remember(id string, e messageEntry) { d.messages[id] = e }
func (d *mapDirectory) forget(id string)                   { delete(d.messages, id) }
func (d *mapDirectory) admin(_ context.Context, guild, user string, roles []string) bool {
	return guild == d.guild.ID && isAdmin(d.guild, user, roles)
}

// readDispatch decodes a gateway frame from testdata as discordgo does:
// the envelope, then the event struct registered for its type.
func readDispatch(t *testing.T, name string) dispatch {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var e discordgo.Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
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
	case "INTERACTION_CREATE":
		v = &discordgo.InteractionCreate{}
	default:
		t.Fatalf("%s: unexpected type %s", name, e.Type)
	}
	// discordgo hands on what it could decode even after an error.
	_ = json.Unmarshal(e.RawData, v)
	d := dispatch{Type: e.Type, Seq: e.Sequence, Session: "sess1", Data: v}
	if strings.HasPrefix(e.Type, "MESSAGE_REACTION_") {
		d.readReactionExtras(e.RawData)
	}
	return d
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTranslateGatewayEvents(t *testing.T) {
	t.Parallel()
	max := bot.User{ID: mod, Name: "Max", Admin: true}
	m1 := "1300000000000000001"
	cached1 := bot.MessageInfo{Author: bot.User{ID: mod, Name: "Max"}, Text: "tip: use `git bisect run` to find regressions #git"}
	tests := []struct {
		file string
		want []bot.Event
	}{
		{"message_create_prefix.json", []bot.Event{&bot.MessagePosted{
			EventMeta: bot.EventMeta{ID: "create:" + m1, Workspace: ws, At: at("2025-03-14T09:26:53.589Z")},
			Channel:   general, MessageID: m1, Author: max, Text: "tip: use `git bisect run` to find regressions #git"}}},
		{"message_create_reply.json", []bot.Event{&bot.MessagePosted{
			EventMeta: bot.EventMeta{ID: "create:1300000000000000003", Workspace: ws, At: at("2025-03-14T09:30:00Z")},
			Channel:   general, MessageID: "1300000000000000003", ThreadID: "1300000000000000002",
			Author: bot.User{ID: carol, Name: "carol"}, Text: "always run the tests before pushing"}}},
		{"message_create_thread.json", []bot.Event{&bot.MessagePosted{
			EventMeta: bot.EventMeta{ID: "create:1300000000000000004", Workspace: ws, At: at("2025-03-14T09:31:00Z")},
			Channel:   general, MessageID: "1300000000000000004", ThreadID: thread,
			Author: bot.User{ID: bob, Name: "Bob"}, Text: "pair programming on hard bugs"}}},
		{"message_create_dm.json", nil},
		{"message_create_system.json", nil},
		{"message_create_webhook.json", []bot.Event{&bot.MessagePosted{
			EventMeta: bot.EventMeta{ID: "create:1300000000000000007", Workspace: ws, At: at("2025-03-14T09:34:00Z")},
			Channel:   general, MessageID: "1300000000000000007",
			Author: bot.User{ID: "1400000000000000001", Name: "CI", Bot: true}, Text: "tip: deploys are frozen on Fridays"}}},
		{"message_create_bad_timestamp.json", nil},
		{"message_create_no_content.json", nil},
		{"message_update.json", []bot.Event{&bot.MessageEdited{
			EventMeta: bot.EventMeta{ID: "edit:" + m1 + ":2025-03-14T09:40:12.345Z", Workspace: ws, At: at("2025-03-14T09:40:12.345Z")},
			Channel:   general, MessageID: m1, Author: max, Text: "tip: use `git bisect run ./test.sh` #git"}}},
		{"message_update_embed.json", nil},
		{"message_delete.json", []bot.Event{&bot.MessageDeleted{
			EventMeta: bot.EventMeta{ID: "delete:1300000000000000004", Workspace: ws}, Channel: general, MessageID: "1300000000000000004"}}},
		{"message_delete_bulk.json", []bot.Event{
			&bot.MessageDeleted{EventMeta: bot.EventMeta{ID: "delete:" + m1, Workspace: ws}, Channel: general, MessageID: m1},
			&bot.MessageDeleted{EventMeta: bot.EventMeta{ID: "delete:1300000000000000003", Workspace: ws}, Channel: general, MessageID: "1300000000000000003"},
		}},
		{"reaction_add_unicode.json", []bot.Event{&bot.ReactionAdded{
			EventMeta: bot.EventMeta{ID: "react+:" + m1 + ":" + bob + ":🔖:sess1:54", Workspace: ws},
			Channel:   general, MessageID: m1, User: bot.User{ID: bob, Name: "Bob"}, Emoji: "🔖", Variant: "🔖", Message: cached1}}},
		{"reaction_add_skin_tone.json", []bot.Event{&bot.ReactionAdded{
			EventMeta: bot.EventMeta{ID: "react+:1300000000000000004:" + carol + ":👍🏽:sess1:55", Workspace: ws},
			Channel:   general, MessageID: "1300000000000000004", User: bot.User{ID: carol, Name: "carol"}, Emoji: "👍🏽", Variant: "👍🏽",
			Message: bot.MessageInfo{Author: bot.User{ID: bob, Name: "Bob"}, Text: "pair programming on hard bugs", ThreadID: thread}}}},
		// a super reaction is kept apart from the same emoji's plain one
		{"reaction_add_burst.json", []bot.Event{&bot.ReactionAdded{
			EventMeta: bot.EventMeta{ID: "react+:1300000000000000004:" + carol + ":👍:sess1:61", Workspace: ws},
			Channel:   general, MessageID: "1300000000000000004", User: bot.User{ID: carol, Name: "carol"}, Emoji: "👍", Variant: "👍 super",
			Message: bot.MessageInfo{Author: bot.User{ID: bob, Name: "Bob"}, Text: "pair programming on hard bugs", ThreadID: thread}}}},
		{"reaction_add_custom.json", []bot.Event{&bot.ReactionAdded{
			EventMeta: bot.EventMeta{ID: "react+:" + m1 + ":" + owner + ":partyblob:1500000000000000001:sess1:56", Workspace: ws},
			Channel:   general, MessageID: m1, User: bot.User{ID: owner, Name: "olga", Admin: true}, Emoji: "partyblob:1500000000000000001",
			Variant: "partyblob:1500000000000000001", Message: cached1}}},
		{"reaction_add_self.json", nil},
		{"reaction_add_other_bot.json", []bot.Event{&bot.ReactionAdded{
			EventMeta: bot.EventMeta{ID: "react+:" + m1 + ":" + otherBot + ":💡:sess1:58", Workspace: ws},
			Channel:   general, MessageID: m1, User: bot.User{ID: otherBot, Name: "otherbot", Bot: true}, Emoji: "💡", Variant: "💡"}}},
		{"reaction_add_dm.json", nil},
		{"reaction_remove.json", []bot.Event{&bot.ReactionRemoved{
			EventMeta: bot.EventMeta{ID: "react-:" + m1 + ":" + bob + ":💡:sess1:60", Workspace: ws},
			Channel:   general, MessageID: m1, User: bot.User{ID: bob}, Emoji: "💡", Variant: "💡"}}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			dir := newMapDirectory()
			tr := &translator{self: "1100000000000000001", dir: dir}
			got := tr.translate(context.Background(), readDispatch(t, tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

// TestTranslateRemembersMessages: what a message said is kept for the
// reactions that follow, and forgotten when it is deleted.
func TestTranslateRemembersMessages(t *testing.T) {
	t.Parallel()
	dir := newMapDirectory()
	tr := &translator{self: "1100000000000000001", dir: dir}
	ctx := context.Background()
	tr.translate(ctx, readDispatch(t, "message_create_thread.json"))
	tr.translate(ctx, readDispatch(t, "message_create_reply.json"))
	e := dir.messages["1300000000000000003"]
	if e.Location != general || e.Info.Author.ID != carol || e.Info.ThreadID != "1300000000000000002" {
		t.Errorf("remembered %+v", e)
	}
	tr.translate(ctx, readDispatch(t, "message_delete.json"))
	if _, ok := dir.messages["1300000000000000004"]; ok {
		t.Error("a deleted message is still remembered")
	}
	// the capture reaction on an unknown message asks the directory
	// (REST), and goes on with the author message_author_id names when
	// that fails
	d := readDispatch(t, "reaction_add_unicode.json")
	d.Data.(*discordgo.MessageReactionAdd).MessageID = "1300000000000000099"
	evs := tr.translate(ctx, d)
	if len(evs) != 1 || evs[0].(*bot.ReactionAdded).Message.Author.ID != mod {
		t.Errorf("reaction on an unknown message = %s", dump(evs))
	}
	if len(dir.fetched) != 1 || dir.fetched[0] != general+"/1300000000000000099" {
		t.Errorf("fetched %v", dir.fetched)
	}
	// any other reaction asks nothing: the author comes from the payload
	d.Data.(*discordgo.MessageReactionAdd).Emoji.Name = "🎉"
	evs = tr.translate(ctx, d)
	if len(evs) != 1 || evs[0].(*bot.ReactionAdded).Message.Author.ID != mod {
		t.Errorf("🎉 on an unknown message = %s", dump(evs))
	}
	if len(dir.fetched) != 1 {
		t.Errorf("🎉 fetched the message: %v", dir.fetched)
	}
}

func TestTranslateInteractions(t *testing.T) {
	t.Parallel()
	alice := bot.User{ID: alice, Name: "Alice B."}
	max := bot.User{ID: mod, Name: "Maxime", Admin: true}
	meta := func(id string) bot.EventMeta {
		return bot.EventMeta{ID: "ix:" + id, Workspace: ws, At: at("2024-11-23T21:52:18.623Z")}
	}
	tests := []struct {
		file string
		want bot.Event
		err  error
	}{
		{"interaction_tip.json", &bot.CommandInvoked{EventMeta: meta("1310000000000000001"), Channel: general, User: alice, Name: "tip",
			Text: "git stash -p stashes hunks  #git"}, nil},
		{"interaction_tips_prompt.json", &bot.CommandInvoked{EventMeta: meta("1310000000000000002"), Channel: general, User: max, Name: "tips",
			Text: "prompt <#910000000000000002> in 2h Git basics"}, nil},
		{"interaction_schedule_add.json", &bot.CommandInvoked{EventMeta: meta("1310000000000000003"), Channel: general, User: max, Name: "tips",
			Text: `schedule add "CRON_TZ=Europe/Paris 0 17 * * FRI" Weekly retro`}, nil},
		{"interaction_trainer_add.json", &bot.CommandInvoked{EventMeta: meta("1310000000000000004"), Channel: general, User: max, Name: "tips",
			Text: "trainer add <@800000000000000003>"}, nil},
		// run in a thread of #general: what the command posts goes there
		{"interaction_forget_me.json", &bot.CommandInvoked{EventMeta: meta("1310000000000000005"), Channel: general, ThreadID: "1300000000000000002",
			User: alice, Name: "tips", Text: "forget-me confirm"}, nil},
		{"interaction_top.json", &bot.CommandInvoked{EventMeta: meta("1310000000000000006"), Channel: general, User: alice, Name: "tips",
			Text: "top quarter"}, nil},
		{"interaction_save_as_tip.json", &bot.SaveAsTip{EventMeta: meta("1310000000000000007"), Channel: general, MessageID: "1300000000000000003",
			User: max, Message: bot.MessageInfo{Author: bot.User{ID: carol, Name: "carol"}, Text: "always run the tests before pushing", ThreadID: "1300000000000000002"}}, nil},
		{"interaction_dm.json", nil, errNotGuild},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			tr := &translator{self: "1100000000000000001", dir: newMapDirectory()}
			ic := readDispatch(t, tt.file).Data.(*discordgo.InteractionCreate)
			got, err := tr.interaction(context.Background(), ic.Interaction)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
