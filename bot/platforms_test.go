package bot

import "strings"

// The core knows no platform; its tests run on stand-ins for the real
// adapters' (adapters/slack, adapters/discord, adapters/shell), with the
// same names, emoji, markup and command syntax (StandInPlatforms).
const (
	Slack   Platform = "slack"
	Discord Platform = "discord"
)

// testMarkup reads "<#id>", "<#id|label>", "<@id>", "<@!id>" as the stand-in
// platforms write channels and people.
func testMarkup(arg string, sigil string) (id string, ok, meant bool) {
	if !strings.HasPrefix(arg, "<"+sigil) || !strings.HasSuffix(arg, ">") {
		return "", false, false
	}
	id = arg[2 : len(arg)-1]
	if i := strings.IndexByte(id, '|'); i >= 0 {
		id = id[:i]
	}
	if sigil == "@" {
		id = strings.TrimPrefix(id, "!")
	}
	return id, ArgName(id), true
}

func testChannelArg(arg string) (string, bool, bool) { return testMarkup(arg, "#") }

func testUserArg(arg string) (string, bool) {
	id, ok, _ := testMarkup(arg, "@")
	return id, ok
}

// testFold drops a skin tone written as a suffix: "+1::skin-tone-2" → "+1".
func testFold(name string) string {
	base, _, _ := strings.Cut(strings.Trim(name, ":"), "::skin-tone-")
	return base
}

// StandInMarkup returns how the stand-in for platform p writes the people
// and channels a message names, as its adapter would (Message.Render): the
// shell's stand-in writes ids (names) as they are.
func StandInMarkup(p Platform) Markup {
	if p == Shell {
		return Markup{}
	}
	return Markup{Mention: func(id string) string { return "<@" + id + ">" }, Channel: func(id string) string { return "<#" + id + ">" }}
}

// StandInPlatforms returns the platforms the core's tests run on.
func StandInPlatforms() []PlatformSpec {
	return []PlatformSpec{{Name: Slack, CaptureReaction: "bookmark", AckReaction: "bulb", UsefulReactions: []string{"bulb", "+1", "star"}, AppliedReactions: []string{"white_check_mark"}, FoldEmoji: testFold,
		ChannelArg: testChannelArg, UserArg: testUserArg},
		{Name: Discord, CaptureReaction: "🔖", AckReaction: "💡", UsefulReactions: []string{"💡", "👍", "⭐"}, AppliedReactions: []string{"✅"},
			ChannelArg: testChannelArg, UserArg: testUserArg,
			CommandPrefix: func(c Command) string {
				if c.Role == RoleAdmin {
					return "/tips-admin "
				}
				return "/tips "
			}},
		{Name: Shell, CaptureReaction: "bookmark", AckReaction: "bulb", UsefulReactions: []string{"bulb", "+1", "star"}, AppliedReactions: []string{"white_check_mark"}, FoldEmoji: testFold,
			ChannelArg: testChannelArg,
			UserArg: func(arg string) (string, bool) {
				if id, ok := testUserArg(arg); ok {
					return id, true
				}
				return arg, ArgName(arg) // the shell's user ids are names
			}},
	}
}
