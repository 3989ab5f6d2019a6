package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Pausing a workspace.
//
// When the bot is removed from a workspace (Discord: GUILD_DELETE without
// "unavailable"), everything tipbot would send there on its own is refused
// and, on Discord, each refusal counts toward the invalid-request limit
// that bans a bot. The adapter pauses the workspace: the scheduler skips it
// (scheduled prompts, digests, reminders and recaps), and what the outbox
// owed it is dropped. Being invited back resumes it. The flag is kept in
// the store, so a restart keeps the workspace paused.

// recPaused is the record kind of the pause flag (key pausedKey: when it
// was paused, RFC 3339).
const (
	recPaused = "paused"
	pausedKey = "workspace"
)

// CounterOutboxDropped counts the messages owed to a workspace that were
// dropped because the bot was removed from it (per workspace, all time).
const CounterOutboxDropped = "outbox:dropped"

// PauseWorkspace pauses (paused true) or resumes what tipbot does on its
// own in a workspace; pausing drops the messages the outbox owes it
// (logged, and counted in CounterOutboxDropped). Resuming a workspace that
// is not paused writes nothing. It returns an error when the store fails.
func (b *Bot) PauseWorkspace(ctx context.Context, ws Workspace, paused bool) error {
	was, err := b.isPaused(ctx, ws)
	if err != nil {
		return err
	}
	if !paused && !was {
		return nil
	}
	dropped := 0
	err = b.store.Update(ctx, ws, func(tx Tx) error {
		dropped = 0
		if !paused {
			return tx.DeleteRecord(recPaused, pausedKey)
		}
		if err := tx.PutRecord(recPaused, pausedKey, []byte(b.now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		n, err := dropOwed(tx)
		dropped = n
		return err
	})
	if err != nil {
		return fmt.Errorf("bot: pause %s: %w", ws.Key(), err)
	}
	if !paused {
		b.log.Info("workspace resumed: the bot is back", "workspace", ws.Key())
		b.wakeScheduler()
		return nil
	}
	b.log.Warn("workspace paused: the bot was removed; its schedules and digests pause and the messages owed are dropped",
		"workspace", ws.Key(), "dropped", dropped)
	return nil
}

// dropOwed deletes every outbox parcel of the transaction's workspace,
// keeping the outbox counters right, and returns how many it dropped. A
// parcel already in a delivery lane is skipped when its turn comes (its
// record is gone).
func dropOwed(tx Tx) (int, error) {
	var keys []string
	if err := tx.ForEachRecord(recOutbox, func(key string, _ []byte) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.DeleteRecord(recOutbox, k); err != nil {
			return 0, err
		}
	}
	if n := int64(len(keys)); n > 0 {
		if err := tx.AddCounter(CounterOutboxPending, -n); err != nil {
			return 0, err
		}
		if err := tx.AddCounter(CounterOutboxDropped, n); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// isPaused reports whether a workspace is paused.
func (b *Bot) isPaused(ctx context.Context, ws Workspace) (bool, error) {
	paused := false
	err := b.view(ctx, ws, func(tx ReadTx) error {
		_, err := tx.Record(recPaused, pausedKey)
		switch {
		case err == nil:
			paused = true
		case !errors.Is(err, ErrNotFound):
			return err
		}
		return nil
	})
	return paused, err
}
