package shell

import (
	"strings"

	"github.com/tipbot/tipbot/bot"
)

// Spec returns what the core knows of the shell: its default emoji, by the
// names the shell's /react takes, and that a command may name a person by
// their bare name (the shell's user ids are names). Channels are "#name"
// and people "@name" or names, which the core reads itself. cmd/tipbot
// gives it to bot.New.
func Spec() bot.PlatformSpec {
	return bot.PlatformSpec{
		Name:             bot.Shell,
		CaptureReaction:  "bookmark",
		AckReaction:      "bulb",
		UsefulReactions:  []string{"bulb", "+1", "star"},
		AppliedReactions: []string{"white_check_mark"},
		FoldEmoji:        foldSkinTone,
		UserArg: func(arg string) (string, bool) {
			return arg, bot.ArgName(arg)
		},
		ConfigEmoji: func(e string) string { return strings.Trim(e, ":") },
		ConfigChannel: func(ch string) (string, string) {
			if !strings.HasPrefix(ch, "#") {
				ch = "#" + ch
			}
			return ch, ""
		},
	}
}

// foldSkinTone drops a skin tone written after an emoji's name, as /react
// may take it: "+1::skin-tone-2" → "+1".
func foldSkinTone(name string) string {
	base, _, _ := strings.Cut(strings.Trim(name, ":"), "::skin-tone-")
	return base
}

// refMarkup writes the people and channels a core message names as the
// shell shows them: user ids are names and channel ids "#name", written as
// they are (bot.Message.Render).
var refMarkup = bot.Markup{}
