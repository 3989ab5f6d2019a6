package discord

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// The application commands tipbot registers. The core's command table
// (bot.Commands: "/tips <sub> <args>") becomes Discord sub-commands with
// typed options; an interaction is turned back into that text, so the core
// parses Discord and Slack alike.
//
// Discord can hide a command from members only as a whole, with
// default_member_permissions; sub-commands cannot be hidden one by one. So
// the admin sub-commands (export, trainer) live in a separate command,
// /tips-admin, that only members with Manage Server see (a server admin can
// open it to other roles or people under Server Settings → Integrations).
// The core refuses them to non-admins anyway. Trainer sub-commands stay in
// /tips: being a trainer is a tipbot role Discord knows nothing of.
const (
	cmdTip       = "tip"
	cmdTips      = "tips"
	cmdTipsAdmin = "tips-admin"
	cmdSaveAsTip = "Save as tip"
)

// commandSubs returns the core's command table (bot.Commands) split where
// Discord registers it: admin commands under /tips-admin, the others under
// /tips.
func commandSubs() (tips, admin []bot.Command) {
	for _, c := range bot.Commands() {
		if c.Role == bot.RoleAdmin {
			admin = append(admin, c)
		} else {
			tips = append(tips, c)
		}
	}
	return tips, admin
}

// commandPrefix is what a person types before a command's name on Discord.
func commandPrefix(c bot.Command) string {
	if c.Role == bot.RoleAdmin {
		return "/" + cmdTipsAdmin + " "
	}
	return "/" + cmdTips + " "
}

func fr(s string) map[discordgo.Locale]string {
	return map[discordgo.Locale]string{discordgo.French: s}
}

func frPtr(s string) *map[discordgo.Locale]string { m := fr(s); return &m }

// applicationCommands returns what tipbot registers (bulk overwrite) in
// each guild of discord.guild_ids, or globally.
func applicationCommands() []*discordgo.ApplicationCommand {
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	manageServer := int64(discordgo.PermissionManageGuild)
	base := func(c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
		c.Contexts = &guildOnly
		return c
	}
	tipsSubs, adminSubs := commandSubs()
	return []*discordgo.ApplicationCommand{
		base(&discordgo.ApplicationCommand{
			Type: discordgo.ChatApplicationCommand, Name: cmdTip,
			Description: "Share a tip with your colleagues", DescriptionLocalizations: frPtr("Partager une astuce avec vos collègues"),
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "text", Required: true,
				Description: "The tip (#topics welcome)", DescriptionLocalizations: fr("L'astuce (#sujets bienvenus)"),
			}},
		}),
		base(&discordgo.ApplicationCommand{
			Type: discordgo.ChatApplicationCommand, Name: cmdTips,
			Description: "Tips: leaderboard, search, sessions, reports", DescriptionLocalizations: frPtr("Astuces : classement, recherche, sessions, rapports"),
			Options: subOptions(tipsSubs),
		}),
		base(&discordgo.ApplicationCommand{
			Type: discordgo.ChatApplicationCommand, Name: cmdTipsAdmin,
			Description: "Tips administration: export, trainers", DescriptionLocalizations: frPtr("Administration des astuces : export, formateurs"),
			DefaultMemberPermissions: &manageServer,
			Options:                  subOptions(adminSubs),
		}),
		base(&discordgo.ApplicationCommand{
			Type: discordgo.MessageApplicationCommand, Name: cmdSaveAsTip,
			NameLocalizations: frPtr("Enregistrer comme astuce"),
		}),
	}
}

// subOptions builds the sub-command (and group) options of a command.
func subOptions(subs []bot.Command) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	groups := map[string]*discordgo.ApplicationCommandOption{}
	descriptions := bot.CommandGroups()
	for _, s := range subs {
		group, name, grouped := strings.Cut(s.Name, " ")
		opt := &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: s.Name,
			Description: s.Desc.En, DescriptionLocalizations: fr(s.Desc.Fr),
			Options: paramOptions(s.Params),
		}
		if !grouped {
			out = append(out, opt)
			continue
		}
		opt.Name = name
		g, ok := groups[group]
		if !ok {
			d := descriptions[group]
			g = &discordgo.ApplicationCommandOption{
				Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: group,
				Description: d.En, DescriptionLocalizations: fr(d.Fr),
			}
			groups[group] = g
			out = append(out, g)
		}
		g.Options = append(g.Options, opt)
	}
	return out
}

// paramOptions types a sub-command's parameters; Discord wants required
// options first.
func paramOptions(ps []bot.Param) []*discordgo.ApplicationCommandOption {
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b bot.Param) int {
		return cmp.Compare(boolInt(!a.Required), boolInt(!b.Required))
	})
	var out []*discordgo.ApplicationCommandOption
	for _, p := range sorted {
		o := &discordgo.ApplicationCommandOption{Name: p.Name, Required: p.Required, Description: p.Desc.En, DescriptionLocalizations: fr(p.Desc.Fr)}
		switch p.Kind {
		case bot.ParamString, bot.ParamQuoted, bot.ParamDuration:
			o.Type = discordgo.ApplicationCommandOptionString
		case bot.ParamPath:
			o.Type = discordgo.ApplicationCommandOptionString
			o.Autocomplete = true // the workspace's paths (autocomplete.go)
		case bot.ParamChoice:
			o.Type = discordgo.ApplicationCommandOptionString
			for _, c := range p.Choices {
				o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Value, NameLocalizations: fr(c.Fr), Value: c.Value})
			}
		case bot.ParamChannel:
			o.Type = discordgo.ApplicationCommandOptionChannel
			o.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}
		case bot.ParamUser:
			o.Type = discordgo.ApplicationCommandOptionUser
		case bot.ParamFlag:
			o.Type = discordgo.ApplicationCommandOptionBoolean
		}
		out = append(out, o)
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// commandText turns a /tips or /tips-admin interaction's options into the
// text the core parses, e.g. `prompt <#123> in 2h Git basics` or
// `trainer add <@456>`. It fails on a sub-command tipbot does not know.
func commandText(command string, opts []*discordgo.ApplicationCommandInteractionDataOption) (string, error) {
	subs, admin := commandSubs()
	if command == cmdTipsAdmin {
		subs = admin
	}
	if len(opts) == 0 || opts[0] == nil {
		return "", fmt.Errorf("no sub-command")
	}
	path, values := opts[0].Name, opts[0].Options
	if opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup {
		if len(values) == 0 || values[0] == nil {
			return "", fmt.Errorf("sub-command group %q without sub-command", path)
		}
		path, values = path+" "+values[0].Name, values[0].Options
	}
	i := slices.IndexFunc(subs, func(s bot.Command) bool { return s.Name == path })
	if i < 0 {
		return "", fmt.Errorf("unknown sub-command %q", path)
	}
	given := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, v := range values {
		if v != nil {
			given[v.Name] = v
		}
	}
	words := []string{path}
	for _, p := range subs[i].Params {
		v, ok := given[p.Name]
		if !ok {
			continue
		}
		if w := paramText(p, v); w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, " "), nil
}

// paramText writes one option's value as the core reads it.
func paramText(p bot.Param, v *discordgo.ApplicationCommandInteractionDataOption) string {
	switch p.Kind {
	case bot.ParamFlag:
		if b, ok := v.Value.(bool); ok && b {
			return p.Name
		}
		return ""
	case bot.ParamChannel:
		if s := idValue(v.Value); s != "" {
			return "<#" + s + ">"
		}
		return ""
	case bot.ParamUser:
		if s := idValue(v.Value); s != "" {
			return "<@" + s + ">"
		}
		return ""
	}
	s, _ := v.Value.(string)
	if p.Kind == bot.ParamQuoted {
		// One argument whatever it holds: a quote inside would end it.
		s = strings.NewReplacer(`"`, " ", "“", " ", "”", " ").Replace(s)
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	if p.Kind == bot.ParamQuoted {
		s = `"` + s + `"`
	}
	return p.Before + s
}

// idValue reads a snowflake option value, which Discord sends as a string.
func idValue(v any) string {
	s, _ := v.(string)
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}
