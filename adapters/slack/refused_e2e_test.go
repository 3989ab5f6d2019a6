package slack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// A /tip in a channel where Slack refuses the bot's post for good
// (not_in_channel) is withdrawn: its author is told privately why and how
// to invite tipbot, and the tip is not kept (issue 22).
func TestRefusedTipPostIsWithdrawn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ModeSocket)
	w.s.FailNextWith("chat.postMessage", 1, 200, "not_in_channel")
	if out := w.ask(alice, "/tip", "rotate the staging keys every Friday"); !strings.Contains(out, "t1") {
		t.Fatalf("/tip answered %q", out)
	}
	waitFor(t, w.s, "the notice to alice", func() bool { return len(w.s.BotMessages(w.s.DMChannel(alice))) > 0 })
	w.settle()
	notice := w.s.BotMessages(w.s.DMChannel(alice))[0].Text
	for _, want := range []string{"rotate the staging keys", "could not be posted", "/invite @tipbot"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice %q lacks %q", notice, want)
		}
	}
	for _, m := range w.s.BotMessages(general) {
		if strings.Contains(m.Text, "rotate the staging keys") {
			t.Errorf("the refused tip was posted after all: %q", m.Text)
		}
	}
	err := w.db.View(context.Background(), team, func(tx bot.ReadTx) error {
		_, err := tx.Tip(1)
		return err
	})
	if !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the withdrawn tip: %v, want not found", err)
	}
}
