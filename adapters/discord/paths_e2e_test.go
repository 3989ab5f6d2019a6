package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// Paths lets the tests' tap suggest path names as the core does.
func (t *tap) Paths(ctx context.Context, ws bot.Workspace) ([]bot.Path, error) {
	return t.h.(PathLister).Paths(ctx, ws)
}

// TestEndToEndTrainingPaths drives the path sub-commands through typed
// options, and the autocompletion of path names, against the fake Discord.
func TestEndToEndTrainingPaths(t *testing.T) {
	w := newWorld(t, discordtest.Options{}, func(c *bot.Config) { c.Trainers = []string{mod} })

	// The path sub-commands are registered as a group, their path names
	// autocompleted (create's is new: typed freely).
	var cmds []struct {
		Name    string `json:"name"`
		Options []struct {
			Name    string `json:"name"`
			Type    int    `json:"type"`
			Options []struct {
				Name    string `json:"name"`
				Options []struct {
					Name         string `json:"name"`
					Type         int    `json:"type"`
					Autocomplete bool   `json:"autocomplete"`
				} `json:"options"`
			} `json:"options"`
		} `json:"options"`
	}
	if err := json.Unmarshal(w.fd.Commands(guildID), &cmds); err != nil {
		t.Fatal(err)
	}
	auto := map[string]bool{}
	for _, c := range cmds {
		for _, g := range c.Options {
			if c.Name != cmdTips || g.Name != "path" || g.Type != 2 {
				continue
			}
			for _, sub := range g.Options {
				for _, o := range sub.Options {
					if o.Name == "name" {
						auto[sub.Name] = o.Autocomplete && o.Type == 3
					}
				}
			}
		}
	}
	for sub, want := range map[string]bool{"show": true, "add": true, "remove": true, "move": true, "delete": true, "create": false} {
		if got, ok := auto[sub]; !ok || got != want {
			t.Errorf("/tips path %s name: registered %v, autocomplete %v; want autocomplete %v", sub, ok, got, want)
		}
	}

	w.ask(alice, "tip", discordtest.Str("text", "git switch -c makes a branch #git"))
	w.ask(bob, "tip", discordtest.Str("text", "git stash -u keeps untracked files #git"))
	w.fd.Wait(t, "two tips", func() bool { return len(w.tips()) == 2 })
	path := func(sub string, opts ...discordtest.Option) discordtest.Option {
		return discordtest.Group("path", discordtest.Sub(sub, opts...))
	}
	if got := w.ask(mod, "tips", path("create", discordtest.Str("name", "git-basics"), discordtest.Str("title", "Git basics"))).Text(); !strings.Contains(got, "git-basics created") {
		t.Errorf("create: %q", got)
	}
	w.ask(mod, "tips", path("create", discordtest.Str("name", "onboarding"), discordtest.Str("title", "Welcome aboard")))
	if got := w.ask(mod, "tips", path("add", discordtest.Str("name", "git-basics"), discordtest.Str("tips", "t2 t1"))).Text(); !discordtest.Contains(got, "t2 added to git-basics", "t1 added to git-basics") {
		t.Errorf("add: %q", got)
	}
	if got := w.ask(carol, "tips", path("add", discordtest.Str("name", "git-basics"), discordtest.Str("tips", "t1"))).Text(); !strings.Contains(got, "trainer") {
		t.Errorf("a member adding: %q", got)
	}
	if got := w.ask(mod, "tips", path("move", discordtest.Str("name", "git-basics"), discordtest.Str("tip", "t1"), discordtest.Str("direction", "up"))).Text(); !strings.Contains(got, "t1 is now tip 1 of git-basics") {
		t.Errorf("move: %q", got)
	}
	if got := w.ask(carol, "tips", path("show", discordtest.Str("name", "git-basics"))).Text(); !discordtest.Contains(got, "Git basics", "t1", "git switch", "t2", "git stash") ||
		strings.Index(got, "t1") > strings.Index(got, "t2") {
		t.Errorf("show: %q", got)
	}

	// Typing a path's name suggests the workspace's paths.
	suggest := func(opt discordtest.Option) []discordtest.Choice {
		t.Helper()
		id := w.fd.Autocomplete(discordtest.Command{Guild: guildID, Channel: general, User: carol, Name: cmdTips, Options: []discordtest.Option{opt}})
		return w.fd.Suggestions(t, id)
	}
	got := suggest(path("show", discordtest.Typing("name", "gi")))
	if len(got) != 1 || got[0].Value != "git-basics" || got[0].Name != "git-basics — Git basics" {
		t.Errorf("suggestions for \"gi\": %+v", got)
	}
	got = suggest(path("remove", discordtest.Typing("name", ""), discordtest.Str("tip", "t1")))
	if len(got) != 2 || got[0].Value != "git-basics" || got[1].Value != "onboarding" {
		t.Errorf("suggestions for nothing typed: %+v", got)
	}
	if got := suggest(path("show", discordtest.Typing("name", "welcome"))); len(got) != 1 || got[0].Value != "onboarding" {
		t.Errorf("suggestions by title: %+v", got)
	}
	if got := suggest(path("show", discordtest.Typing("name", "zzz"))); len(got) != 0 {
		t.Errorf("suggestions for no match: %+v", got)
	}
	// Another guild's paths are never suggested.
	id := w.fd.Autocomplete(discordtest.Command{Guild: otherG, Channel: otherChan, User: bob, Name: cmdTips, Options: []discordtest.Option{path("show", discordtest.Typing("name", ""))}})
	if got := w.fd.Suggestions(t, id); len(got) != 0 {
		t.Errorf("suggestions in another guild: %+v", got)
	}
}
