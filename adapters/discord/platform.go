package discord

import (
	"strings"

	"github.com/tipbot/tipbot/bot"
)

// Platform is Discord's name in workspace keys ("discord:<guild id>") and
// in the configuration's per-platform keys.
const Platform bot.Platform = "discord"

// Spec returns what the core knows of Discord: its default emoji (Unicode),
// how command arguments name people and channels, and that admin commands are typed under
// /tips-admin. cmd/tipbot gives it to bot.New.
func Spec() bot.PlatformSpec {
	return bot.PlatformSpec{
		Name:             Platform,
		CaptureReaction:  "🔖",
		AckReaction:      "💡",
		UsefulReactions:  []string{"💡", "👍", "⭐"},
		AppliedReactions: []string{"✅"},
		CommandPrefix:    commandPrefix,
		ChannelArg:       func(arg string) (string, bool, bool) { return markupArg(arg, "<#") },
		UserArg: func(arg string) (string, bool) {
			if id, ok, _ := markupArg(arg, "<@!"); ok {
				return id, true
			}
			id, ok, _ := markupArg(arg, "<@")
			return id, ok
		},
		// Emoji are Unicode, kept as written; channels are ids.
		ConfigChannel: func(ch string) (string, string) { return ch, CheckID("channel", ch) },
	}
}

// refMarkup writes the people and channels a core message names as
// Discord does: <@1>, <#1> (bot.Message.Render). Who a post may ping is
// allowedMentions' business, not the markup's.
var refMarkup = bot.Markup{
	Mention: func(id string) string { return "<@" + id + ">" },
	Channel: func(id string) string { return "<#" + id + ">" },
}

// markupArg reads a command argument written as Discord writes a channel
// (<#123>) or a person (<@123>, <@!123>): the snowflake and true; meant is
// true for an argument that starts so, even one that names nothing ("<#>").
func markupArg(arg, open string) (id string, ok, meant bool) {
	rest, found := strings.CutPrefix(arg, open)
	if !found {
		return "", false, false
	}
	if !strings.HasSuffix(rest, ">") {
		return "", false, true
	}
	id = rest[:len(rest)-1]
	return id, idValue(id) != "", true
}
