package slack

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

var team = bot.Workspace{Platform: Platform, ID: "T0TEAM001"}

func meta(id string, unix int64) bot.EventMeta {
	return bot.EventMeta{ID: id, Workspace: team, At: time.Unix(unix, 0).UTC()}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTranslateEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want bot.Event // nil: ignored
		bad  bool      // malformed
	}{
		{file: "message.json", want: &bot.MessagePosted{EventMeta: meta("Ev0MSG0001", 1714000000), Channel: "C0GENERAL",
			MessageID: "1714000000.000100", Author: bot.User{ID: "U0ALICE01"}, Text: "tip: use git bisect to find regressions #git"}},
		{file: "thread_reply.json", want: &bot.MessagePosted{EventMeta: meta("Ev0MSG0002", 1714000300), Channel: "C0TRAINING",
			MessageID: "1714000300.000200", ThreadID: "1714000100.000150", Author: bot.User{ID: "U0BOB0001"},
			Text: "I retained that pairing on reviews halves the rework"}},
		{file: "thread_broadcast.json", want: &bot.MessagePosted{EventMeta: meta("Ev0MSG0003", 1714000400), Channel: "C0TRAINING",
			MessageID: "1714000400.000300", ThreadID: "1714000100.000150", Author: bot.User{ID: "U0CAROL01"},
			Text: "astuce: toujours relire le diff avant de pousser"}},
		{file: "thread_parent.json", want: &bot.MessagePosted{EventMeta: meta("Ev0MSG0004", 1714000500), Channel: "C0GENERAL",
			MessageID: "1714000500.000400", Author: bot.User{ID: "U0ALICE01"}, Text: "tip: parents carry their own ts as thread_ts"}},
		{file: "file_share.json", want: &bot.MessagePosted{EventMeta: meta("Ev0MSG0005", 1714001400), Channel: "C0GENERAL",
			MessageID: "1714001400.001400", Author: bot.User{ID: "U0DAVE001"}, Text: "tip: this cheat sheet covers every vim motion #vim"}},
		{file: "message_changed.json", want: &bot.MessageEdited{EventMeta: meta("Ev0EDIT001", 1714000600), Channel: "C0GENERAL",
			MessageID: "1714000000.000100", Author: bot.User{ID: "U0ALICE01"}, Text: "tip: use git bisect run to find regressions #git"}},
		{file: "message_changed_thread.json", want: &bot.MessageEdited{EventMeta: meta("Ev0EDIT003", 1714000800), Channel: "C0TRAINING",
			MessageID: "1714000300.000200", ThreadID: "1714000100.000150", Author: bot.User{ID: "U0BOB0001"},
			Text: "I retained that pairing on reviews halves the rework, and more"}},
		{file: "message_changed_unfurl.json"},
		{file: "user_change.json", want: &bot.PeopleUpdated{EventMeta: meta("Ev0USR0001", 1714002000),
			Members: []bot.Member{{ID: "U0ALICE01", Name: "Alice M.", Admin: true, Locale: "fr-FR"}}}},
		{file: "team_join.json", want: &bot.PeopleUpdated{EventMeta: meta("Ev0USR0002", 1714002100),
			Members: []bot.Member{{ID: "U0ERIN001", Name: "Erin Blake"}}}},
		{file: "message_tombstone.json", want: &bot.MessageDeleted{EventMeta: meta("Ev0DEL0002", 1714000900), Channel: "C0GENERAL",
			MessageID: "1714000500.000400"}},
		{file: "message_deleted.json", want: &bot.MessageDeleted{EventMeta: meta("Ev0DEL0001", 1714001000), Channel: "C0GENERAL",
			MessageID: "1714000000.000100"}},
		{file: "bot_message.json"},
		{file: "own_message.json"},
		{file: "channel_join.json"},
		{file: "reaction_added.json", want: &bot.ReactionAdded{EventMeta: meta("Ev0REA0001", 1714001500), Channel: "C0GENERAL",
			MessageID: "1714000000.000100", User: bot.User{ID: "U0BOB0001"}, Emoji: "bookmark",
			Message: bot.MessageInfo{Author: bot.User{ID: "U0ALICE01"}}}},
		{file: "reaction_added_skin_tone.json", want: &bot.ReactionAdded{EventMeta: meta("Ev0REA0002", 1714001600), Channel: "C0GENERAL",
			MessageID: "1714000000.000100", User: bot.User{ID: "U0CAROL01"}, Emoji: "+1",
			Message: bot.MessageInfo{Author: bot.User{ID: "U0ALICE01"}}}},
		{file: "reaction_removed.json", want: &bot.ReactionRemoved{EventMeta: meta("Ev0REA0003", 1714001700), Channel: "C0GENERAL",
			MessageID: "1714000000.000100", User: bot.User{ID: "U0CAROL01"}, Emoji: "+1"}},
		{file: "reaction_file.json"},
		{file: "unknown_event.json"},
		{file: "url_verification.json"},
		{file: "malformed_no_team.json", bad: true},
		{file: "malformed_event.json", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := translateEvent(readTestdata(t, tt.file))
			if tt.bad {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("translateEvent() error = %v, want errMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("translateEvent() = %#v, want nil (ignored)", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("translateEvent() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestTranslateEventGarbage(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "null", "[]", `{"type":"event_callback"}`, `{"type":"event_callback","team_id":"T1","event":"x"}`, "\x00\xff"} {
		ev, err := translateEvent([]byte(raw))
		if ev != nil {
			t.Errorf("translateEvent(%q) = %#v, want nil", raw, ev)
		}
		if err != nil && !errors.Is(err, errMalformed) {
			t.Errorf("translateEvent(%q) error = %v, want errMalformed or nil", raw, err)
		}
	}
}

func TestTranslateCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want *bot.CommandInvoked
	}{
		{"command_tip.json", &bot.CommandInvoked{
			EventMeta: bot.EventMeta{ID: "13345224609.738474920.8088930838d88f008e0", Workspace: team},
			Channel:   "C0GENERAL", User: bot.User{ID: "U0ALICE01", Name: "alice"}, Name: "tip",
			Text: "always pin your dependencies &amp; check the lockfile #go"}},
		{"command_tips_prompt.json", &bot.CommandInvoked{
			EventMeta: bot.EventMeta{ID: "13345224610.738474920.9f1e2d3c4b5a69788796", Workspace: team},
			Channel:   "C0GENERAL", User: bot.User{ID: "U0TRAINER", Name: "trainer"}, Name: "tips",
			Text: "prompt <#C0TRAINING|training> in 2h Git basics"}},
		{"command_tips_trainer.json", &bot.CommandInvoked{
			EventMeta: bot.EventMeta{ID: "13345224611.738474920.0a1b2c3d4e5f60718293", Workspace: team},
			Channel:   "D0ALICEDM", User: bot.User{ID: "U0ALICE01", Name: "alice"}, Name: "tips",
			Text: "trainer add <@U0BOB0001|bob>"}},
		{"command_no_user.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			var c slackapi.SlashCommand
			if err := json.Unmarshal(readTestdata(t, tt.file), &c); err != nil {
				t.Fatal(err)
			}
			got, err := translateCommand(c, "")
			if tt.want == nil {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("translateCommand() = %#v, %v; want errMalformed", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("translateCommand() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestTranslateInteraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want bot.Event
	}{
		{"shortcut_save_tip.json", &bot.SaveAsTip{
			EventMeta: bot.EventMeta{ID: "13345224613.738474920.8088930838d88f008e0b", Workspace: team},
			Channel:   "C0GENERAL", MessageID: "1714002100.002150", User: bot.User{ID: "U0BOB0001", Name: "bob"},
			Message: bot.MessageInfo{Author: bot.User{ID: "U0ALICE01"}, Text: "Remember: squash before merging, the history stays readable"}}},
		{"shortcut_thread_reply.json", &bot.SaveAsTip{
			EventMeta: bot.EventMeta{ID: "13345224614.738474920.1111111111111111111a", Workspace: team},
			Channel:   "C0TRAINING", MessageID: "1714000300.000200", User: bot.User{ID: "U0CAROL01", Name: "carol"},
			Message: bot.MessageInfo{Author: bot.User{ID: "U0BOB0001"}, Text: "I retained that pairing on reviews halves the rework",
				ThreadID: "1714000100.000150"}}},
		{"shortcut_bot_message.json", &bot.SaveAsTip{
			EventMeta: bot.EventMeta{ID: "13345224615.738474920.2222222222222222222b", Workspace: team},
			Channel:   "C0GENERAL", MessageID: "1714001100.001100", User: bot.User{ID: "U0CAROL01", Name: "carol"},
			Message: bot.MessageInfo{Author: bot.User{ID: "B0DEPLOY1", Bot: true}, Text: "tip: deploys are frozen on Fridays"}}},
		{"shortcut_other.json", nil},
		{"block_actions_followup.json", &bot.CommandInvoked{
			EventMeta: bot.EventMeta{ID: "13345224617.738474920.4444444444444444444d", Workspace: team},
			Channel:   "D0CAROL01", User: bot.User{ID: "U0CAROL01", Name: "carol"}, Name: "tips", Text: "not-yet t12"}},
		{"block_actions_other.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			var cb slackapi.InteractionCallback
			if err := json.Unmarshal(readTestdata(t, tt.file), &cb); err != nil {
				t.Fatal(err)
			}
			got, err := translateInteraction(cb)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("translateInteraction() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestFoldEmoji(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+1": "+1", "+1::skin-tone-2": "+1", ":bulb:": "bulb", "wave::skin-tone-6": "wave", "star": "star",
	} {
		if got := foldEmoji(in); got != want {
			t.Errorf("foldEmoji(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestArgumentSyntax: Slack's markup for channels and people, as slash
// commands escape it (with or without the name), reads back as the ids it
// names; markup naming nothing is refused as meant, and the core's own
// "#name" and "@id" are left to the core.
func TestArgumentSyntax(t *testing.T) {
	t.Parallel()
	s := Spec()
	for _, tc := range []struct {
		arg, id   string
		ok, meant bool
	}{
		{"<#C123|general>", "C123", true, true}, {"<#99887766>", "99887766", true, true}, {"<#>", "", false, true},
		{"<# >", "", false, true}, {"<#\u00a0|x>", "", false, true}, {"<#C1", "", false, true}, {"#general", "", false, false}, {"general", "", false, false},
	} {
		id, ok, meant := s.ChannelArg(tc.arg)
		if ok != tc.ok || meant != tc.meant || ok && id != tc.id {
			t.Errorf("ChannelArg(%q) = %q, %v, %v; want %q, %v, %v", tc.arg, id, ok, meant, tc.id, tc.ok, tc.meant)
		}
	}
	for arg, want := range map[string]string{"<@U42|bob>": "U42", "<@U0BOB0001>": "U0BOB0001", "<@>": "", "<@ >": "", "<@|x>": "", "@carol": "", "carol": ""} {
		if id, ok := s.UserArg(arg); ok != (want != "") || ok && id != want {
			t.Errorf("UserArg(%q) = %q, %v; want %q", arg, id, ok, want)
		}
	}
	refs := bot.Message{Lines: []bot.Line{{Parts: []bot.Part{bot.Mention("U42"), {Text: " "}, bot.ChannelRef("C1")}}}}
	if got := refs.Render(refMarkup).Text(); got != "<@U42> <#C1>" {
		t.Errorf("mention and channel = %q", got)
	}
	for in, want := range map[string]string{"+1::skin-tone-2": "+1", ":bulb:": "bulb", "star": "star"} {
		if got := s.FoldEmoji(in); got != want {
			t.Errorf("FoldEmoji(%q) = %q, want %q", in, got, want)
		}
	}
}
