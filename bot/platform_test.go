package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// TestPlatformsGivenToNew: New takes the platforms its adapters describe,
// refusing a name that cannot be one or one given twice; events of a
// platform it was not given are refused, whatever its name.
func TestPlatformsGivenToNew(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "tipbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	for _, specs := range [][]bot.PlatformSpec{{{Name: "Teams"}}, {{Name: ""}}, {{Name: "9chat"}}, {{Name: "chat"}, {Name: "chat"}}} {
		if _, err := bot.New(bot.Options{Config: bot.DefaultConfig(), Store: db, Now: now, Platforms: specs}); err == nil {
			t.Errorf("New accepted platforms %+v", specs)
		}
	}
	b, err := bot.New(bot.Options{Config: bot.DefaultConfig(), Store: db, Now: now, Platforms: []bot.PlatformSpec{{Name: "matrix2"}}})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(p bot.Platform) bot.Event {
		return &bot.CommandInvoked{EventMeta: bot.EventMeta{ID: "e-" + string(p), Workspace: bot.Workspace{Platform: p, ID: "w"}},
			Channel: "c", User: bot.User{ID: "u", Name: "u"}, Name: "tips", Text: "help"}
	}
	if _, err := b.Handle(context.Background(), ev("irc")); err == nil || !strings.Contains(err.Error(), "irc") {
		t.Errorf("event of a platform New was not given: %v", err)
	}
	r, err := b.Handle(context.Background(), ev("matrix2"))
	if err != nil || r == nil || !strings.Contains(r.Text(), "/tips top") {
		t.Errorf("help on a platform New was given: %v, %v", r, err)
	}
}
