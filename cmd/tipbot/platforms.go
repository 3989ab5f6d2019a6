package main

import (
	"log/slog"
	"time"

	"github.com/tipbot/tipbot/adapters/discord"
	"github.com/tipbot/tipbot/adapters/shell"
	"github.com/tipbot/tipbot/adapters/slack"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
	"go.yaml.in/yaml/v3"
)

// The platforms tipbot is built with, by the names their adapters give.
const (
	slackPlatform   = slack.Platform
	discordPlatform = discord.Platform
)

// platform is one platform tipbot is built with: what its adapter tells
// the core (spec), and how tipbot reads, checks and runs the platform's
// section of the configuration. A platform without a section (the shell,
// which runs when no other platform is enabled) has only a spec. A new
// platform is its adapter package plus one entry in registry (and the
// type of its section, a field of Config).
type platform struct {
	spec bot.PlatformSpec
	// section is the key of the platform's section in the configuration
	// file; "" for none.
	section string
	// defaults sets the section's defaults in c; env sets a secret to the
	// environment variable it defaults to.
	defaults func(c *Config, env func(key, name string, dst *Secret))
	// decode returns the decoders of the section's keys.
	decode func(d *decoder, c *Config) fields
	// validate checks the decoded section (the adapter's Validate, through
	// d.section) and the rules that tie it to other keys.
	validate func(d *decoder, c *Config)
	// enabled reports whether c runs the platform.
	enabled func(c Config) bool
	// summary describes the platform's settings for check-config (label)
	// and the start log line (attr).
	summary func(c Config) (label string, attr slog.Attr)
	// start builds the adapter, attaches its Chat to s.bot and registers
	// what it serves with s.ops.
	start func(s starting) (runner, error)
}

// starting is what a platform's start is given.
// The core suggests path names to Discord's autocomplete.
var _ discord.PathLister = (*bot.Bot)(nil)

type starting struct {
	cfg Config
	bot *bot.Bot
	db  *store.DB
	log *slog.Logger
	ops *opsServer
}

// registry returns the platforms tipbot is built with, in a fixed order:
// the order of Config.Adapters, of validation and of starting.
func registry() []platform {
	return []platform{
		{
			spec:    slack.Spec(),
			section: "slack",
			defaults: func(c *Config, env func(key, name string, dst *Secret)) {
				c.Slack = SlackConfig{Mode: slack.ModeSocket, APIURL: slack.DefaultAPIURL}
				env("slack.bot_token", "SLACK_BOT_TOKEN", &c.Slack.BotToken)
				env("slack.app_token", "SLACK_APP_TOKEN", &c.Slack.AppToken)
				env("slack.signing_secret", "SLACK_SIGNING_SECRET", &c.Slack.SigningSecret)
				env("slack.client_secret", "SLACK_CLIENT_SECRET", &c.Slack.ClientSecret)
			},
			decode: func(d *decoder, c *Config) fields {
				return fields{
					"enabled":        d.boolean(&c.Slack.Enabled),
					"mode":           d.str(&c.Slack.Mode),
					"bot_token":      d.secret(&c.Slack.BotToken),
					"app_token":      d.secret(&c.Slack.AppToken),
					"signing_secret": d.secret(&c.Slack.SigningSecret),
					"api_url":        d.str(&c.Slack.APIURL),
					"client_id":      d.str(&c.Slack.ClientID),
					"client_secret":  d.secret(&c.Slack.ClientSecret),
				}
			},
			validate: func(d *decoder, c *Config) {
				sc := slack.Config{Mode: c.Slack.Mode, BotToken: c.Slack.BotToken.Reveal(), AppToken: c.Slack.AppToken.Reveal(),
					SigningSecret: c.Slack.SigningSecret.Reveal(), APIURL: c.Slack.APIURL, ClientID: c.Slack.ClientID,
					ClientSecret: c.Slack.ClientSecret.Reveal()}
				d.section("slack", c.Slack.Enabled, sc.Validate())
				c.Slack.APIURL = sc.APIURL
				if c.Slack.Enabled && c.Slack.ClientID != "" && c.HTTP.Addr == "" {
					d.problem(d.line("http.addr", "slack.client_id"), "http.addr",
						`is empty, but slack.client_id is set: "Add to Slack" needs tipbot's HTTP server (/slack/install, /slack/oauth_redirect)`)
				}
				if c.Slack.Enabled && c.Slack.ClientID == "" && c.Slack.Mode == slack.ModeHTTP && c.HTTP.Addr == "" {
					d.problem(d.line("http.addr", "slack.mode"), "http.addr",
						`is empty, but slack.mode is http: Slack must reach tipbot at an address such as ":8080"`)
				}
			},
			enabled: func(c Config) bool { return c.Slack.Enabled },
			summary: func(c Config) (string, slog.Attr) {
				return "slack (" + c.Slack.Mode + " mode)", slog.String("slack", c.Slack.Mode)
			},
			start: func(s starting) (runner, error) {
				c := s.cfg
				a, err := slack.New(slack.Config{
					Mode:            c.Slack.Mode,
					BotToken:        c.Slack.BotToken.Reveal(),
					AppToken:        c.Slack.AppToken.Reveal(),
					SigningSecret:   c.Slack.SigningSecret.Reveal(),
					APIURL:          c.Slack.APIURL,
					CaptureReaction: c.Core.CaptureReaction[slackPlatform],
					Locale:          c.Core.Locale,
					Logger:          s.log.With("adapter", "slack"),
					OnRateLimit:     func(d time.Duration) { s.ops.metrics.rateLimited(slackPlatform, d) },
					Installations:   s.db,
					ClientID:        c.Slack.ClientID,
					ClientSecret:    c.Slack.ClientSecret.Reveal(),
					PublicURL:       c.HTTP.BaseURL(),
				}, s.bot)
				if err != nil {
					return runner{}, err
				}
				s.bot.Attach(slackPlatform, a)
				s.ops.adapters["slack"] = a
				if c.Slack.Mode == slack.ModeHTTP {
					s.ops.slack = a.HTTPHandler()
				}
				s.ops.slackOAuth = a.OAuthHandler()
				return runner{name: "slack", run: a.Run}, nil
			},
		},
		{
			spec:    discord.Spec(),
			section: "discord",
			defaults: func(c *Config, env func(key, name string, dst *Secret)) {
				c.Discord = DiscordConfig{APIURL: discord.DefaultAPIURL}
				env("discord.token", "DISCORD_BOT_TOKEN", &c.Discord.Token)
			},
			decode: func(d *decoder, c *Config) fields {
				return fields{
					"enabled":   d.boolean(&c.Discord.Enabled),
					"token":     d.secret(&c.Discord.Token),
					"api_url":   d.str(&c.Discord.APIURL),
					"guild_ids": d.list(&c.Discord.GuildIDs, func(id string) string { return discord.CheckID("guild", id) }),
				}
			},
			validate: func(d *decoder, c *Config) {
				dc := discord.Config{Token: c.Discord.Token.Reveal(), APIURL: c.Discord.APIURL, GuildIDs: c.Discord.GuildIDs}
				d.section("discord", c.Discord.Enabled, dc.Validate())
				c.Discord.APIURL = dc.APIURL
			},
			enabled: func(c Config) bool { return c.Discord.Enabled },
			summary: func(c Config) (string, slog.Attr) {
				return "discord", slog.Int("discord_guilds", len(c.Discord.GuildIDs))
			},
			start: func(s starting) (runner, error) {
				c := s.cfg
				a, err := discord.New(discord.Config{
					Token:    c.Discord.Token.Reveal(),
					APIURL:   c.Discord.APIURL,
					GuildIDs: c.Discord.GuildIDs,
					Logger:   s.log.With("adapter", "discord"),
					// only this reaction may make the adapter fetch a message
					CaptureReaction: c.Core.CaptureReaction[discordPlatform],
					OnRateLimit: func(d time.Duration) {
						s.ops.metrics.rateLimited(discordPlatform, d)
					},
				}, s.bot)
				if err != nil {
					return runner{}, err
				}
				s.bot.Attach(discordPlatform, a)
				s.ops.adapters["discord"] = a
				s.log.Info("discord: invite the bot to a server with this link", "url", a.InviteURL())
				return runner{name: "discord", run: a.Run}, nil
			},
		},
		{spec: shell.Spec()},
	}
}

// sectionsOf returns the platforms of ps that have a section of their own
// in the configuration.
func sectionsOf(ps []platform) []platform {
	var out []platform
	for _, p := range ps {
		if p.section != "" {
			out = append(out, p)
		}
	}
	return out
}

// sections returns the platforms of registry with a section of their own.
func sections() []platform { return sectionsOf(registry()) }

// specsOf returns what the core knows of each platform of ps.
func specsOf(ps []platform) []bot.PlatformSpec {
	var specs []bot.PlatformSpec
	for _, p := range ps {
		specs = append(specs, p.spec)
	}
	return specs
}

// platforms returns what the core knows of each platform tipbot is built
// with, from its adapter.
func platforms() []bot.PlatformSpec { return specsOf(registry()) }

// namesOf returns the names of the platforms of ps, in the same order: the
// keys of the configuration's per-platform settings.
func namesOf(ps []platform) []bot.Platform {
	var names []bot.Platform
	for _, p := range ps {
		names = append(names, p.spec.Name)
	}
	return names
}

// platformDefaults sets the per-platform emoji of core to each platform's
// defaults, and its per-platform channels to none, which the configuration
// file then overrides.
func platformDefaults(core *bot.Config) { defaultsOf(core, registry()) }

// defaultsOf is platformDefaults for the platforms of ps.
func defaultsOf(core *bot.Config, ps []platform) {
	for _, p := range specsOf(ps) {
		core.CaptureReaction[p.Name] = p.CaptureReaction
		core.AckReaction[p.Name] = p.AckReaction
		core.UsefulReactions[p.Name] = p.UsefulReactions
		core.AppliedReactions[p.Name] = p.AppliedReactions
		core.HallOfFame[p.Name] = ""
		core.DigestChannel[p.Name] = ""
	}
}

// sectionDecoders returns the decoders of the top-level keys of the
// platforms' sections.
func (d *decoder) sectionDecoders(c *Config) fields {
	fs := fields{}
	for _, p := range sectionsOf(d.ps()) {
		fs[p.section] = func(n *yaml.Node, key string) { d.mapping(n, key, p.decode(d, c)) }
	}
	return fs
}

// startPlatforms starts the platforms of ps that s.cfg enables, in order.
func startPlatforms(ps []platform, s starting) ([]runner, error) {
	var rs []runner
	for _, p := range sectionsOf(ps) {
		if !p.enabled(s.cfg) {
			continue
		}
		r, err := p.start(s)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// ps returns the decoder's platforms: registry's when none were given.
func (d *decoder) ps() []platform {
	if d.platforms == nil {
		return registry()
	}
	return d.platforms
}
