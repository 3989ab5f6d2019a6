package main

import (
	"github.com/tipbot/tipbot/adapters/discord"
	"github.com/tipbot/tipbot/adapters/shell"
	"github.com/tipbot/tipbot/adapters/slack"
	"github.com/tipbot/tipbot/bot"
)

// The platforms tipbot is built with, by the names their adapters give.
const (
	slackPlatform   = slack.Platform
	discordPlatform = discord.Platform
)

// platforms returns what the core knows of each platform tipbot is built
// with, from its adapter. A new platform adds its adapter's Spec here.
func platforms() []bot.PlatformSpec {
	return []bot.PlatformSpec{slack.Spec(), discord.Spec(), shell.Spec()}
}

// platformNames returns the names of platforms(), in the same order: the
// keys of the configuration's per-platform settings.
func platformNames() []bot.Platform {
	var names []bot.Platform
	for _, p := range platforms() {
		names = append(names, p.Name)
	}
	return names
}

// platformDefaults sets the per-platform emoji of core to each platform's
// defaults, and its per-platform channels to none, which the configuration
// file then overrides.
func platformDefaults(core *bot.Config) {
	for _, p := range platforms() {
		core.CaptureReaction[p.Name] = p.CaptureReaction
		core.AckReaction[p.Name] = p.AckReaction
		core.UsefulReactions[p.Name] = p.UsefulReactions
		core.AppliedReactions[p.Name] = p.AppliedReactions
		core.HallOfFame[p.Name] = ""
		core.DigestChannel[p.Name] = ""
	}
}
