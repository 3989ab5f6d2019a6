package slack

import (
	"context"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// FindPost implements bot.PostFinder: it looks, among the bot's own
// messages in channel (in m.Thread's replies when set) posted at or after
// since, for one whose text is m's, and returns its ts ("" when none).
// Slack has no idempotency key for chat.postMessage: this is how the
// outbox avoids posting twice a message sent just before a crash.
func (a *Adapter) FindPost(ctx context.Context, ws bot.Workspace, channel string, m bot.Message, since time.Time) (string, error) {
	ctx, err := a.scope(ctx, ws)
	if err != nil {
		return "", err
	}
	if err := a.waitSignedIn(ctx); err != nil {
		return "", err
	}
	self := a.selfFor(ctx)
	text, _ := render(m, nil)
	oldest := fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)
	var msgs []slackapi.Message
	method := "conversations.history"
	if m.Thread != "" {
		method = "conversations.replies"
	}
	err = a.call(ctx, method, "", func(ctx context.Context) (err error) {
		if m.Thread != "" {
			msgs, _, _, err = a.apiFor(ctx).GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: m.Thread, Oldest: oldest, Inclusive: true, Limit: 200})
			return err
		}
		res, err := a.apiFor(ctx).GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
			ChannelID: channel, Oldest: oldest, Inclusive: true, Limit: 200})
		if err == nil {
			msgs = res.Messages
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("slack: find a post in %s: %w", channel, refusal(err))
	}
	for _, x := range msgs {
		mine := (self.BotID != "" && x.BotID == self.BotID) || (self.UserID != "" && x.User == self.UserID)
		if mine && x.Text == text && x.Timestamp != m.Thread {
			return x.Timestamp, nil
		}
	}
	return "", nil
}
