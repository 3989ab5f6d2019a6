package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/bot"
)

// TestPaddedIDsPastSeven: ids 8 and up, kept in zero-padded record keys,
// read back as themselves (fmt.Sscan read "…08" as octal: 0, "…010" as 8),
// for the pending tips and for the open sessions the scheduler closes.
func TestPaddedIDsPastSeven(t *testing.T) {
	t.Run("pending", func(t *testing.T) {
		h := newHarness(t, func(c *bot.Config) { c.RequireApproval = true })
		for i := range 11 {
			h.post(alice, fmt.Sprintf("tip: pending number %d", i+1))
		}
		out := h.command(admin, "tips", "pending")
		for i := range 11 {
			if !strings.Contains(out, fmt.Sprintf("t%d «pending number %d»", i+1, i+1)) {
				t.Errorf("/tips pending lacks t%d:\n%s", i+1, out)
			}
		}
	})
	t.Run("sessions", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := newSyncHarness(t, time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), nil)
			stop := h.runScheduler()
			defer stop()
			for i := range 10 {
				if out := h.command(trainer, "tips", fmt.Sprintf("prompt in %dm Topic %d", i+1, i+1)); !strings.Contains(out, fmt.Sprintf("s%d", i+1)) {
					t.Fatalf("prompt %d: %q", i+1, out)
				}
			}
			time.Sleep(11 * time.Minute)
			synctest.Wait()
			h.bot.Wait()
			for i := range 10 {
				if n := len(h.postsWith(fmt.Sprintf("Recap of «Topic %d»", i+1))); n == 0 {
					t.Errorf("session s%d did not close at its deadline", i+1)
				}
			}
		})
	})
}
