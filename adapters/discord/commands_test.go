package discord

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// TestRegisteredCommandsFollowTable: every command of the core's table
// (bot.Commands) is registered, as the fake Discord received it, under
// /tips or, for admins' commands, /tips-admin, with its descriptions in
// English and French and one typed option per parameter; nothing else is.
func TestRegisteredCommandsFollowTable(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	run(t, fd, &recorder{})
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(fd.Commands(guildID), &cmds); err != nil {
		t.Fatal(err)
	}
	// registered: "tips top" → its option, "tips-admin trainer add" → …
	registered := map[string]*discordgo.ApplicationCommandOption{}
	groups := map[string]*discordgo.ApplicationCommandOption{}
	for _, c := range cmds {
		if c.Name != cmdTips && c.Name != cmdTipsAdmin {
			continue
		}
		for _, o := range c.Options {
			if o.Type != discordgo.ApplicationCommandOptionSubCommandGroup {
				registered[c.Name+" "+o.Name] = o
				continue
			}
			groups[o.Name] = o
			for _, s := range o.Options {
				registered[c.Name+" "+o.Name+" "+s.Name] = s
			}
		}
	}
	kinds := map[bot.ParamKind]discordgo.ApplicationCommandOptionType{
		bot.ParamString: discordgo.ApplicationCommandOptionString, bot.ParamChoice: discordgo.ApplicationCommandOptionString,
		bot.ParamQuoted: discordgo.ApplicationCommandOptionString, bot.ParamDuration: discordgo.ApplicationCommandOptionString,
		bot.ParamChannel: discordgo.ApplicationCommandOptionChannel, bot.ParamUser: discordgo.ApplicationCommandOptionUser,
		bot.ParamFlag: discordgo.ApplicationCommandOptionBoolean, bot.ParamPath: discordgo.ApplicationCommandOptionString,
	}
	table := bot.Commands()
	for _, c := range table {
		where := cmdTips
		if c.Role == bot.RoleAdmin {
			where = cmdTipsAdmin
		}
		o, ok := registered[where+" "+c.Name]
		if !ok {
			t.Errorf("%q is not registered under /%s", c.Name, where)
			continue
		}
		delete(registered, where+" "+c.Name)
		if o.Description != c.Desc.En || o.DescriptionLocalizations[discordgo.French] != c.Desc.Fr {
			t.Errorf("/%s %s: description %q / %q, want %q / %q", where, c.Name, o.Description, o.DescriptionLocalizations[discordgo.French], c.Desc.En, c.Desc.Fr)
		}
		if len(o.Options) != len(c.Params) {
			t.Errorf("/%s %s: %d options, want %d", where, c.Name, len(o.Options), len(c.Params))
			continue
		}
		for _, p := range c.Params {
			i := slices.IndexFunc(o.Options, func(x *discordgo.ApplicationCommandOption) bool { return x.Name == p.Name })
			if i < 0 {
				t.Errorf("/%s %s: no option %q", where, c.Name, p.Name)
				continue
			}
			got := o.Options[i]
			if got.Autocomplete != (p.Kind == bot.ParamPath) {
				t.Errorf("/%s %s %s: autocomplete %v, want it for path names only", where, c.Name, p.Name, got.Autocomplete)
			}
			if got.Type != kinds[p.Kind] || got.Required != p.Required || got.Description != p.Desc.En || got.DescriptionLocalizations[discordgo.French] != p.Desc.Fr {
				t.Errorf("/%s %s %s = %+v, want %+v", where, c.Name, p.Name, got, p)
			}
			if len(got.Choices) != len(p.Choices) {
				t.Errorf("/%s %s %s: %d choices, want %d", where, c.Name, p.Name, len(got.Choices), len(p.Choices))
				continue
			}
			for j, ch := range p.Choices {
				if g := got.Choices[j]; g.Value != ch.Value || g.Name != ch.Value || g.NameLocalizations[discordgo.French] != ch.Fr {
					t.Errorf("/%s %s %s: choice %d = %+v, want %+v", where, c.Name, p.Name, j, g, ch)
				}
			}
		}
	}
	for name := range registered {
		t.Errorf("%q is registered but not in the core's table", name)
	}
	for name, want := range bot.CommandGroups() {
		if g, ok := groups[name]; !ok || g.Description != want.En || g.DescriptionLocalizations[discordgo.French] != want.Fr {
			t.Errorf("group %q = %+v, want %+v", name, g, want)
		}
	}
}

// TestCommandTextFollowsTable: an interaction giving every option of a
// table command turns into the text the core reads: the command's name,
// then each parameter in the table's order, written as its kind says.
func TestCommandTextFollowsTable(t *testing.T) {
	t.Parallel()
	sample := map[bot.ParamKind]struct {
		value any
		text  string
	}{
		bot.ParamString: {"git  basics", "git basics"}, bot.ParamDuration: {"2h", "2h"},
		bot.ParamQuoted: {`0 17 * * "FRI"`, `"0 17 * * FRI"`}, bot.ParamChannel: {"910000000000000002", "<#910000000000000002>"},
		bot.ParamUser: {"800000000000000003", "<@800000000000000003>"}, bot.ParamFlag: {true, ""},
		bot.ParamPath: {"git-basics", "git-basics"},
	}
	for _, c := range bot.Commands() {
		command := cmdTips
		if c.Role == bot.RoleAdmin {
			command = cmdTipsAdmin
		}
		var opts []*discordgo.ApplicationCommandInteractionDataOption
		words := []string{c.Name}
		for _, p := range c.Params {
			s, text := sample[p.Kind].value, sample[p.Kind].text
			switch p.Kind {
			case bot.ParamChoice:
				s, text = p.Choices[len(p.Choices)-1].Value, p.Choices[len(p.Choices)-1].Value
			case bot.ParamFlag:
				text = p.Name
			}
			opts = append(opts, &discordgo.ApplicationCommandInteractionDataOption{Name: p.Name, Value: s})
			words = append(words, p.Before+text)
		}
		slices.Reverse(opts) // the order options arrive in does not matter
		sub := &discordgo.ApplicationCommandInteractionDataOption{Name: c.Name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
		if group, name, ok := strings.Cut(c.Name, " "); ok {
			sub.Name = name
			sub = &discordgo.ApplicationCommandInteractionDataOption{Name: group, Type: discordgo.ApplicationCommandOptionSubCommandGroup,
				Options: []*discordgo.ApplicationCommandInteractionDataOption{sub}}
		}
		got, err := commandText(command, []*discordgo.ApplicationCommandInteractionDataOption{sub})
		if want := strings.Join(words, " "); err != nil || got != want {
			t.Errorf("/%s %s: commandText = %q, %v; want %q", command, c.Name, got, err, want)
		}
	}
	// A command of the other role's command is not found there.
	if _, err := commandText(cmdTips, []*discordgo.ApplicationCommandInteractionDataOption{{Name: "export", Type: discordgo.ApplicationCommandOptionSubCommand}}); err == nil {
		t.Error("/tips export was read: export lives under /tips-admin")
	}
}

// TestArgumentSyntax: Discord's markup for channels and people reads back
// as the ids it names; markup naming nothing is refused as meant.
func TestArgumentSyntax(t *testing.T) {
	t.Parallel()
	s := Spec()
	for arg, want := range map[string]string{"<#910000000000000002>": "910000000000000002", "<#>": "", "<#abc>": "", "#general": "", "general": ""} {
		id, ok, meant := s.ChannelArg(arg)
		if id != want && want != "" || ok != (want != "") || meant != strings.HasPrefix(arg, "<#") {
			t.Errorf("ChannelArg(%q) = %q, %v, %v; want %q", arg, id, ok, meant, want)
		}
	}
	for arg, want := range map[string]string{"<@800000000000000003>": "800000000000000003", "<@!800000000000000003>": "800000000000000003", "<@!>": "", "<@ >": "", "@alice": ""} {
		if id, ok := s.UserArg(arg); ok != (want != "") || ok && id != want {
			t.Errorf("UserArg(%q) = %q, %v; want %q", arg, id, ok, want)
		}
	}
	if got := commandPrefix(bot.Command{Name: "export", Role: bot.RoleAdmin}); got != "/tips-admin " {
		t.Errorf("prefix of an admin command = %q", got)
	}
	if got := commandPrefix(bot.Command{Name: "top"}); got != "/tips " {
		t.Errorf("prefix of a member command = %q", got)
	}
}
