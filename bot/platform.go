package bot

import (
	"fmt"
	"slices"
	"strings"
)

// PlatformSpec is what an adapter tells the core about its platform when it
// is wired: its name, its default emoji, how it writes commands and how
// command arguments name people and channels. (People and channels in
// messages are references, Part, that the adapter writes itself.) The core knows no platform by itself: a new platform is an
// adapter whose PlatformSpec is given to New (Options.Platforms) and whose
// Chat is attached (Bot.Attach).
type PlatformSpec struct {
	// Name is the platform's name in workspace keys ("name:id") and in the
	// configuration: lower-case letters and digits (ValidPlatform).
	Name Platform

	// CaptureReaction, AckReaction and UsefulReactions are the default
	// emoji, as the platform's reaction events name them. Config's maps
	// override them per platform.
	CaptureReaction string
	AckReaction     string
	UsefulReactions []string
	// AppliedReactions are the default emoji of an applied mark (the
	// learning loop): never useful votes.
	AppliedReactions []string
	// FoldEmoji folds the platform's names of an emoji's variants to the
	// base emoji's name (a skin tone written as a suffix); nil: the
	// platform writes emoji as Unicode, which BaseEmoji folds.
	FoldEmoji func(name string) string

	// CommandPrefix is what a person types before the name of command c
	// of the table (Commands): nil means "/tips " for every command.
	CommandPrefix func(c Command) string

	// ChannelArg reads a command argument that names a channel in the
	// platform's own syntax: the channel id and true, or false; meant
	// reports an argument in that syntax that names no channel (it is then
	// refused rather than read as a word). nil: the platform has no
	// syntax of its own. The core reads "#name" itself (ChannelArg) on
	// every platform.
	ChannelArg func(arg string) (id string, ok, meant bool)
	// UserArg reads a command argument that names a person in the
	// platform's own syntax: the person's id and true, or false. nil: the
	// platform has no syntax of its own. The core reads "@name" itself
	// (UserArg) on every platform.
	UserArg func(arg string) (id string, ok bool)

	// ConfigEmoji returns an emoji written in the configuration as the
	// platform's reaction events name it (":bulb:" → "bulb" where emoji
	// go by name); nil keeps it as written.
	ConfigEmoji func(e string) string
	// ConfigChannel checks a channel written in the configuration (one
	// word, trimmed): the channel as the core keeps it and "", or why it
	// is not one of the platform's channels (a message following the
	// quoted value). nil keeps it as written.
	ConfigChannel func(ch string) (channel, problem string)
}

// ValidPlatform reports whether name can name a platform: 1 to 32
// lower-case ASCII letters and digits, starting with a letter.
func ValidPlatform(name Platform) bool {
	if name == "" || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// spec returns the spec of platform p (Options.Platforms); the zero spec
// (but its name) when p is not one of them.
func (b *Bot) spec(p Platform) PlatformSpec {
	s, ok := b.platforms[p]
	if !ok {
		s.Name = p
	}
	return s
}

// platformSet checks and indexes the platforms given to New.
func platformSet(specs []PlatformSpec) (map[Platform]PlatformSpec, error) {
	m := make(map[Platform]PlatformSpec, len(specs))
	for _, s := range specs {
		if !ValidPlatform(s.Name) {
			return nil, fmt.Errorf("bot: invalid platform name %q (want lower-case letters and digits)", s.Name)
		}
		if _, dup := m[s.Name]; dup {
			return nil, fmt.Errorf("bot: platform %q given twice", s.Name)
		}
		s.UsefulReactions = slices.Clone(s.UsefulReactions)
		s.AppliedReactions = slices.Clone(s.AppliedReactions)
		m[s.Name] = s
	}
	return m, nil
}

// captureEmoji, ackEmoji and usefulEmoji are the emoji of
// platform p: the configuration's, or the platform's defaults.
func (b *Bot) captureEmoji(p Platform) string {
	if e, ok := b.cfg.CaptureReaction[p]; ok {
		return e
	}
	return b.spec(p).CaptureReaction
}

func (b *Bot) ackEmoji(p Platform) string {
	if e, ok := b.cfg.AckReaction[p]; ok {
		return e
	}
	return b.spec(p).AckReaction
}

func (b *Bot) usefulEmoji(p Platform) []string {
	if e, ok := b.cfg.UsefulReactions[p]; ok {
		return e
	}
	return b.spec(p).UsefulReactions
}

// appliedEmoji returns the emoji of an applied mark on platform p: the
// configuration's, or the platform's defaults.
func (b *Bot) appliedEmoji(p Platform) []string {
	if e, ok := b.cfg.AppliedReactions[p]; ok {
		return e
	}
	return b.spec(p).AppliedReactions
}

// foldEmoji folds an emoji of platform p to its base form: the platform's
// FoldEmoji, then BaseEmoji.
func (b *Bot) foldEmoji(p Platform, e string) string {
	if f := b.spec(p).FoldEmoji; f != nil {
		e = f(e)
	}
	return BaseEmoji(e)
}

// channelRef is the reference to a channel in a message. Channels named
// "#name" (the shell's) are written as they are.
func channelRef(channel string) Part {
	if channel == "" || strings.HasPrefix(channel, "#") {
		return Part{Text: channel}
	}
	return ChannelRef(channel)
}

// mention is the reference to a person (by id) in a message.
func mention(id string) Part {
	if id == "" {
		return Part{}
	}
	return Mention(id)
}

// commandName adapts text naming command c ("/tips <name> …") to how a
// person types it on platform p (PlatformSpec.CommandPrefix).
func (b *Bot) commandName(p Platform, c Command, text string) string {
	s := b.spec(p)
	if s.CommandPrefix == nil {
		return text
	}
	return strings.Replace(text, "/tips ", s.CommandPrefix(c), 1)
}

// channelArg reads a command argument naming a channel on platform p: in
// the platform's syntax, or "#name".
func (b *Bot) channelArg(p Platform, arg string) (string, bool) {
	if f := b.spec(p).ChannelArg; f != nil {
		if id, ok, _ := f(arg); ok {
			return id, true
		}
	}
	return ChannelArg(arg)
}

// userArg reads a command argument naming a person on platform p: in the
// platform's syntax, or "@name".
func (b *Bot) userArg(p Platform, arg string) (string, bool) {
	if f := b.spec(p).UserArg; f != nil {
		if id, ok := f(arg); ok {
			return id, true
		}
	}
	return UserArg(arg)
}

// badChannelArg returns the refusal of an argument that means to name a
// channel ("#…", or the platform's syntax) but does not, or nil.
func (b *Bot) badChannelArg(p Platform, arg string) Reply {
	if _, ok := b.channelArg(p, arg); ok {
		return nil
	}
	meant := strings.HasPrefix(arg, "#")
	if f := b.spec(p).ChannelArg; f != nil && !meant {
		_, _, meant = f(arg)
	}
	if !meant {
		return nil
	}
	return b.private(b.t("channel.bad", arg))
}
