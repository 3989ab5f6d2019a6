package discord

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// PathLister is implemented by a Handler that knows a workspace's training
// paths (*bot.Bot): the adapter then suggests path names while someone
// types an option of kind bot.ParamPath (Discord autocomplete).
type PathLister interface {
	Paths(ctx context.Context, ws bot.Workspace) ([]bot.Path, error)
}

// maxChoices is how many suggestions Discord takes; maxChoiceLen the
// length of a choice's name and value.
const (
	maxChoices   = 25
	maxChoiceLen = 100
)

// focusedParam returns the parameter being typed in an autocomplete
// interaction's options, and what was typed so far.
func focusedParam(command string, opts []*discordgo.ApplicationCommandInteractionDataOption) (bot.Param, string, bool) {
	subs, admin := commandSubs()
	if command == cmdTipsAdmin {
		subs = admin
	}
	if len(opts) == 0 || opts[0] == nil {
		return bot.Param{}, "", false
	}
	path, values := opts[0].Name, opts[0].Options
	if opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup {
		if len(values) == 0 || values[0] == nil {
			return bot.Param{}, "", false
		}
		path, values = path+" "+values[0].Name, values[0].Options
	}
	i := slices.IndexFunc(subs, func(s bot.Command) bool { return s.Name == path })
	if i < 0 {
		return bot.Param{}, "", false
	}
	for _, v := range values {
		if v == nil || !v.Focused {
			continue
		}
		for _, p := range subs[i].Params {
			if p.Name == v.Name {
				typed, _ := v.Value.(string)
				return p, typed, true
			}
		}
	}
	return bot.Param{}, "", false
}

// pathChoices returns the paths matching what was typed: names starting
// with it first, then names or titles holding it, each in name order.
func pathChoices(paths []bot.Path, typed string) []*discordgo.ApplicationCommandOptionChoice {
	typed = strings.ToLower(strings.TrimSpace(typed))
	type scored struct {
		p     bot.Path
		score int
	}
	var hits []scored
	for _, p := range paths {
		switch {
		case strings.HasPrefix(p.Name, typed):
			hits = append(hits, scored{p, 0})
		case strings.Contains(p.Name, typed) || strings.Contains(strings.ToLower(p.Title), typed):
			hits = append(hits, scored{p, 1})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int {
		return cmp.Or(cmp.Compare(a.score, b.score), cmp.Compare(a.p.Name, b.p.Name))
	})
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, h := range hits[:min(len(hits), maxChoices)] {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: clip(h.p.Name+" — "+h.p.Title, maxChoiceLen), Value: h.p.Name})
	}
	return choices
}

// clip shortens s to n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// autocomplete answers someone typing an option: the workspace's path
// names for a path option, nothing for any other (Discord then shows no
// suggestion). It must answer within Discord's 3 seconds and cannot defer.
func (a *Adapter) autocomplete(ctx context.Context, ic *discordgo.Interaction) {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	data, ok := ic.Data.(discordgo.ApplicationCommandInteractionData)
	lister, canList := a.h.(PathLister)
	if ok && canList && ic.GuildID != "" {
		if p, typed, ok := focusedParam(data.Name, data.Options); ok && p.Kind == bot.ParamPath {
			paths, err := lister.Paths(ctx, workspace(ic.GuildID))
			if err != nil {
				a.log.Warn("discord: listing paths for an autocomplete failed", "id", ic.ID, "err", err)
			}
			choices = pathChoices(paths, typed)
		}
	}
	err := a.s.InteractionRespond(ic, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("discord: answering an autocomplete failed", "id", ic.ID, "err", err)
	}
}
