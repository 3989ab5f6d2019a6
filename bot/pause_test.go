package bot_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// counter reads a workspace counter.
func (h *harness) counter(name string) int64 {
	h.t.Helper()
	var n int64
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		n, err = tx.Counter(name)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// TestPausedWorkspaceSendsNothing: the bot is removed from a workspace with
// a prompt scheduled every minute and a message it could not send yet.
// Paused, the workspace gets nothing for the minutes its schedule falls
// due, and what the outbox owed it is dropped and counted; resumed, its
// schedule runs again.
func TestPausedWorkspaceSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 12, 7, 9, 0, 30, 0, time.UTC), nil)
		stop := h.runScheduler()
		defer stop()
		h.command(trainer, "tips", `schedule add "* * * * *" #general Daily standup`)
		h.setFailPosts(true)
		h.post(alice, "tip: owed an acknowledgement and nothing else") // the ack parcel is owed
		time.Sleep(time.Minute)                                        // the 9:01 prompt fails too
		synctest.Wait()
		if n := h.counter(bot.CounterOutboxPending); n == 0 {
			t.Fatal("nothing owed before the pause: the test tests nothing")
		}
		owed := h.counter(bot.CounterOutboxPending)

		if err := h.bot.PauseWorkspace(context.Background(), h.ws, true); err != nil {
			t.Fatal(err)
		}
		h.setFailPosts(false)
		before := len(h.postsWith("Daily standup"))
		reactions := len(h.chat.reactions)
		time.Sleep(2 * time.Minute) // two more due runs
		synctest.Wait()
		h.bot.Wait()
		if got := len(h.postsWith("Daily standup")); got != before {
			t.Errorf("%d prompts posted while paused", got-before)
		}
		h.chat.mu.Lock()
		if len(h.chat.reactions) != reactions {
			t.Errorf("an acknowledgement owed before the pause was sent after it")
		}
		h.chat.mu.Unlock()
		if n := h.counter(bot.CounterOutboxPending); n != 0 {
			t.Errorf("outbox:pending = %d after the pause, want 0", n)
		}
		if n := h.counter(bot.CounterOutboxDropped); n != owed {
			t.Errorf("outbox:dropped = %d, want %d", n, owed)
		}

		if err := h.bot.PauseWorkspace(context.Background(), h.ws, false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		h.bot.Wait()
		if got := len(h.postsWith("Daily standup")); got <= before {
			t.Error("no prompt after the workspace was resumed")
		}
	})
}
