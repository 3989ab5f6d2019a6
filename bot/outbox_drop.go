package bot

import (
	"context"
	"errors"
)

// CounterOutboxDropped counts, per workspace, the messages dropped from the
// outbox unsent because the workspace uninstalled the bot (DropOutbox).
const CounterOutboxDropped = "outbox:dropped"

// DropOutbox removes every message the outbox still owes a workspace, in
// one transaction, keeping the outbox:pending counter exact, and returns
// how many it dropped. Adapters call it when the workspace uninstalls the
// bot or revokes its token: nothing can be delivered there any more. A
// message being sent at that moment may still go out; its lane then finds
// nothing to record.
func (b *Bot) DropOutbox(ctx context.Context, ws Workspace) (int, error) {
	dropped := 0
	err := b.store.Update(ctx, ws, func(tx Tx) error {
		var keys []string
		if err := tx.ForEachRecord(recOutbox, func(key string, _ []byte) error {
			keys = append(keys, key)
			return nil
		}); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		dropped = len(keys)
		if dropped == 0 {
			return nil
		}
		for _, k := range keys {
			if err := tx.DeleteRecord(recOutbox, k); err != nil {
				return err
			}
		}
		if err := tx.AddCounter(CounterOutboxPending, -int64(dropped)); err != nil {
			return err
		}
		return tx.AddCounter(CounterOutboxDropped, int64(dropped))
	})
	if err != nil {
		return 0, err
	}
	if dropped > 0 {
		b.log.Info("outbox: messages owed to an uninstalled workspace dropped", "workspace", ws.Key(), "count", dropped)
	}
	return dropped, nil
}
