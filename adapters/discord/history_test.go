package discord

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// TestRecoveryAfterDowntime: what was said in a channel while tipbot was
// stopped is read back at the next start through the real discordgo
// client: the missed tip is captured, and the tip's reactions counted by
// person (bob's 👍, carol's 👍 and 👍🏽 count as two votes; alice's own
// never counts).
func TestRecoveryAfterDowntime(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	path := filepath.Join(t.TempDir(), "tipbot.db")

	first := start(t, fd, path)
	m := fd.Say(general, alice, "tip: use git bisect to find regressions #git")
	first.tip(t, fd, general, m.ID)
	fd.Wait(t, "the acknowledgement", func() bool { return fd.HasReaction(m.ID, "💡") })
	first.stop()

	missed := fd.AddMessage(general, bob, "tip: name branches after tickets")
	fd.AddMessage(general, carol, "a plain message")
	fd.AddReaction(m.ID, bob, "👍")
	fd.AddReaction(m.ID, carol, "👍")
	fd.AddReaction(m.ID, carol, "👍🏽")
	fd.AddReaction(m.ID, alice, "💡")

	second := start(t, fd, path)
	second.tip(t, fd, general, missed.ID)
	fd.Wait(t, "the acknowledgement of the missed tip", func() bool { return fd.HasReaction(missed.ID, "💡") })
	fd.Wait(t, "two useful votes on the tip", func() bool {
		var votes int
		_ = second.db.View(context.Background(), ws, func(tx bot.ReadTx) error {
			tip, err := tx.TipByMessage(general, m.ID)
			votes = tip.UsefulVotes
			return err
		})
		return votes == 2
	})
}

// Recover hands a catch-up to the core when it can.
func (t *tap) Recover(ctx context.Context, w bot.Workspace) (bot.RecoveryCounts, error) {
	if r, ok := t.h.(Recoverer); ok {
		return r.Recover(ctx, w)
	}
	return bot.RecoveryCounts{}, nil
}

// TestLostSessionIsCaughtUp: when Discord invalidates the session (op 9,
// not resumable), events sent meanwhile are not replayed; tipbot reads the
// guild's channels back once it has identified again.
func TestLostSessionIsCaughtUp(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	in := start(t, fd, filepath.Join(t.TempDir(), "tipbot.db"))
	first := fd.Say(general, alice, "tip: keep commits small")
	in.tip(t, fd, general, first.ID)
	lost := fd.AddMessage(general, bob, "tip: said while the session was lost") // never dispatched
	fd.InvalidSession()
	in.tip(t, fd, general, lost.ID)
	fd.Wait(t, "the acknowledgement of the lost tip", func() bool { return fd.HasReaction(lost.ID, "💡") })
}
