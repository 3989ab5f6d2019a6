package slack

import (
	"strings"

	"github.com/tipbot/tipbot/bot"
)

// Platform is Slack's name in workspace keys ("slack:T0123") and in the
// configuration's per-platform keys.
const Platform bot.Platform = "slack"

// Spec returns what the core knows of Slack: its default emoji (by name)
// and how command arguments name people and channels. cmd/tipbot gives it to bot.New.
func Spec() bot.PlatformSpec {
	return bot.PlatformSpec{
		Name:             Platform,
		CaptureReaction:  "bookmark",
		AckReaction:      "bulb",
		UsefulReactions:  []string{"bulb", "+1", "star"},
		AppliedReactions: []string{"white_check_mark"},
		FoldEmoji:        foldEmoji,
		ChannelArg:       func(arg string) (string, bool, bool) { return markupArg(arg, '#') },
		UserArg: func(arg string) (string, bool) {
			id, ok, _ := markupArg(arg, '@')
			return id, ok
		},
		ConfigEmoji: func(e string) string { return strings.Trim(e, ":") },
	}
}

// refMarkup writes the people and channels a core message names as Slack
// does: <@U1>, <#C1> (bot.Message.Render).
var refMarkup = bot.Markup{
	Mention: func(id string) string { return "<@" + id + ">" },
	Channel: func(id string) string { return "<#" + id + ">" },
}

// markupArg reads a command argument written in Slack's markup for a
// channel (sigil '#': <#C123>, <#C123|name>) or a person ('@': <@U123>,
// <@U123|name>): the id and true; meant is true for an argument that
// starts as that markup, even one that names nothing ("<#>").
func markupArg(arg string, sigil byte) (id string, ok, meant bool) {
	if len(arg) < 2 || arg[0] != '<' || arg[1] != sigil {
		return "", false, false
	}
	if len(arg) < 3 || arg[len(arg)-1] != '>' {
		return "", false, true
	}
	id = arg[2 : len(arg)-1]
	if i := strings.IndexByte(id, '|'); i >= 0 {
		id = id[:i]
	}
	return id, bot.ArgName(id), true
}
