package bot

import (
	"context"
	"errors"
	"fmt"
)

// Handle applies one event. It returns after everything the event changed
// is durably committed, so the adapter may then acknowledge it; the reply,
// if any, is a private message for the person who caused the event.
// Outbound messages caused by the event are written to the durable outbox
// in the same transaction and delivered in the background (see Wait). An error means nothing was committed and the platform may retry;
// bad input is not an error: it gets a reply or is ignored.
func (b *Bot) Handle(ctx context.Context, ev Event) (reply Reply, err error) {
	if ev == nil {
		return nil, errors.New("bot: nil event")
	}
	m := ev.meta()
	if _, ok := b.platforms[m.Workspace.Platform]; !ok {
		return nil, fmt.Errorf("bot: event for unregistered platform %q", m.Workspace.Platform)
	}
	if m.Workspace.ID == "" {
		return nil, errors.New("bot: event without workspace")
	}
	if b.metrics != nil {
		start := b.now()
		defer func() { b.metrics.EventHandled(m.Workspace.Platform, EventKind(ev), b.now().Sub(start), err) }()
	}
	b.touch(m.Workspace, ev) // before its commit: a recovery running leaves its message alone
	defer func() {
		if err == nil {
			b.markActivity(ctx, m.Workspace, ChannelOf(ev))
			b.markSeen(ctx, ev)
		}
	}()
	// A reaction reads the directory itself: a plain vote reads it in its
	// own write transaction rather than in a read transaction of its own.
	if _, reaction := ev.(*ReactionAdded); !reaction {
		if resolve := b.fromDirectory(ctx, ev); resolve != nil {
			defer func() {
				if err == nil {
					resolve()
				}
			}()
		}
	}
	if resolve := b.channelLookup(ctx, ev); resolve != nil {
		defer func() {
			if err == nil {
				resolve()
			}
		}()
	}
	if person := seenBy(ev); person != "" {
		ctx = context.WithValue(ctx, seenKey{}, person) // counted in the event's transaction, if it has one
	}
	switch e := ev.(type) {
	case *MessagePosted:
		return b.messagePosted(ctx, e)
	case *MessageEdited:
		return b.messageEdited(ctx, e)
	case *MessageDeleted:
		return nil, b.messageDeleted(ctx, e)
	case *ReactionAdded:
		return b.reactionAdded(ctx, e)
	case *ReactionRemoved:
		return nil, b.reactionRemoved(ctx, e)
	case *ReactionsCleared:
		return nil, b.reactionsCleared(ctx, e)
	case *CommandInvoked:
		return b.command(ctx, e)
	case *SaveAsTip:
		return b.saveAsTip(ctx, e)
	case *PeopleUpdated:
		return nil, b.peopleUpdated(ctx, e)
	case *ChannelsUpdated:
		return nil, b.channelsUpdated(ctx, e)
	}
	return nil, fmt.Errorf("bot: unknown event %T", ev)
}

// EventKind names an event's type for logs and metrics.
func EventKind(ev Event) string {
	switch ev.(type) {
	case *MessagePosted:
		return "message"
	case *MessageEdited:
		return "message_edited"
	case *MessageDeleted:
		return "message_deleted"
	case *ReactionAdded:
		return "reaction_added"
	case *ReactionRemoved:
		return "reaction_removed"
	case *ReactionsCleared:
		return "reactions_cleared"
	case *CommandInvoked:
		return "command"
	case *SaveAsTip:
		return "shortcut"
	case *PeopleUpdated:
		return "people_updated"
	case *ChannelsUpdated:
		return "channels_updated"
	}
	return "unknown"
}

// outbox collects what a transaction owes once it is committed: the
// parcels it wrote to the durable outbox (see owe) and the reply. A store
// may run a transaction function more than once, so the outbox is reset at
// the start of every attempt.
type outbox struct {
	parcels []parcel
	reply   Reply
	wake    bool // the scheduler must look again once committed
	seen    bool // the event's person is counted seen in the current periods once committed
	// voters are counted voters (and seen) in the current periods once
	// committed (noteVoter).
	voters []string
	// day is the period keys (joined) the transaction counted seen and
	// voters in: the day cache remembers them, not the day of the commit,
	// which may be the next.
	day string
}

// update runs fn in a store transaction on the event's workspace, skipping
// it when the event id was already handled, and marks the event handled in
// the same transaction when fn changed something (fn returns true). Once
// committed, the parcels fn owed are dispatched to their delivery lanes. It
// returns the outbox's reply.
func (b *Bot) update(ctx context.Context, m *EventMeta, fn func(tx Tx, out *outbox) (changed bool, err error)) (Reply, error) {
	return b.updateWith(ctx, b.store.Update, m, fn)
}

// updateBehind is update for one step of a long job: through the store's
// UpdateBehind when it has one (see BehindStore), so that other events
// commit between the steps.
func (b *Bot) updateBehind(ctx context.Context, m *EventMeta, fn func(tx Tx, out *outbox) (changed bool, err error)) (Reply, error) {
	if s, ok := b.store.(BehindStore); ok {
		return b.updateWith(ctx, s.UpdateBehind, m, fn)
	}
	return b.update(ctx, m, fn)
}

func (b *Bot) updateWith(ctx context.Context, upd func(context.Context, Workspace, func(Tx) error) error, m *EventMeta,
	fn func(tx Tx, out *outbox) (changed bool, err error)) (Reply, error) {
	var out outbox
	err := upd(ctx, m.Workspace, func(tx Tx) error {
		out = outbox{}
		if m.ID != "" {
			seen, err := tx.EventSeen(m.ID)
			if err != nil {
				return err
			}
			if seen {
				return nil
			}
		}
		changed, err := fn(tx, &out)
		if err != nil {
			return err
		}
		if err := b.countSeenIn(ctx, tx, m.Workspace, &out); err != nil {
			return err
		}
		if changed && m.ID != "" {
			return tx.MarkEvent(m.ID, b.now())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.seen {
		b.seenCommitted(ctx, m.Workspace, out.day)
	}
	if len(out.voters) > 0 {
		b.votersCommitted(m.Workspace, out.voters, out.day)
	}
	if out.wake {
		b.wakeScheduler()
	}
	b.dispatch(m.Workspace, out.parcels)
	return out.reply, nil
}

// view runs fn in a read transaction on workspace ws.
func (b *Bot) view(ctx context.Context, ws Workspace, fn func(tx ReadTx) error) error {
	return b.store.View(ctx, ws, fn)
}
