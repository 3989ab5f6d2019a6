package bot

import "context"

// Handle applies one event. It returns after everything the event changed
// is durably committed, so the adapter may then acknowledge it; the reply,
// if any, is a private message for the person who caused the event.
// Outbound posts caused by the event are delivered in the background (see
// Wait). An error means nothing was committed and the platform may retry.
func (b *Bot) Handle(ctx context.Context, ev Event) (Reply, error) {
	_ = ctx
	_ = ev
	return nil, nil
}
