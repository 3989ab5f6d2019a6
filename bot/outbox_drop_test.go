package bot_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// When a workspace uninstalls the bot, what the outbox owed it is dropped:
// nothing is sent afterwards, pending falls to zero, the drop is counted.
func TestDropOutbox(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), nil)
		h.setFailPosts(true)
		h.command(alice, "tip", "name your branches after the ticket #git")
		h.command(bob, "tip", "rebase before review #git")
		synctest.Wait()
		if pending, _ := h.outboxStatus(); pending != 2 {
			t.Fatalf("pending = %d, want 2", pending)
		}
		n, err := h.bot.DropOutbox(context.Background(), h.ws)
		if err != nil || n != 2 {
			t.Fatalf("DropOutbox = %d, %v; want 2", n, err)
		}
		if n, err := h.bot.DropOutbox(context.Background(), h.ws); err != nil || n != 0 {
			t.Errorf("DropOutbox again = %d, %v; want 0", n, err)
		}
		h.setFailPosts(false)
		time.Sleep(maxRetry)
		synctest.Wait()
		h.bot.Wait()
		if n := len(h.postsWith("name your branches")) + len(h.postsWith("rebase before")); n != 0 {
			t.Errorf("posts after the drop = %d, want 0", n)
		}
		pending, failed := h.outboxStatus()
		if pending != 0 || failed != 0 {
			t.Errorf("pending, failed = %d, %d; want 0, 0", pending, failed)
		}
		var dropped int64
		if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
			var err error
			dropped, err = tx.Counter(bot.CounterOutboxDropped)
			return err
		}); err != nil || dropped != 2 {
			t.Errorf("dropped counter = %d, %v; want 2", dropped, err)
		}
	})
}
