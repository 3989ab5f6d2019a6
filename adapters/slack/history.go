package slack

import (
	"context"
	"fmt"
	"slices"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// maxHistory bounds how many messages one channel's recovery reads.
const maxHistory = 50000

// History implements bot.History with conversations.history: the channel's
// top-level messages from since, with their reactions (the bot's own left
// out), oldest first. Pages of 200 are read newest first, as Slack serves
// them, paced by the method's rate limit (429s are waited out).
func (a *Adapter) History(ctx context.Context, ws bot.Workspace, channel string, since time.Time, fn func(bot.HistoryMessage) error) error {
	ctx, err := a.scope(ctx, ws)
	if err != nil {
		return err
	}
	// The bot's own reactions (its 💡) must be told apart from votes:
	// wait until it knows who it is (Run signs in beside the recovery).
	if err := a.waitSignedIn(ctx); err != nil {
		return err
	}
	oldest := fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)
	var msgs []slackapi.Message
	cursor := ""
	for {
		var res *slackapi.GetConversationHistoryResponse
		err := a.call(ctx, "conversations.history", "", func(ctx context.Context) (err error) {
			res, err = a.apiFor(ctx).GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Inclusive: true, Limit: 200, Cursor: cursor})
			return err
		})
		if err != nil {
			return fmt.Errorf("slack: history of %s: %w", channel, err)
		}
		msgs = append(msgs, res.Messages...)
		cursor = res.ResponseMetaData.NextCursor
		if !res.HasMore || cursor == "" || len(msgs) >= maxHistory {
			break
		}
	}
	self := ""
	if id := a.selfFor(ctx); id != nil {
		self = id.UserID
	}
	slices.Reverse(msgs)
	for _, m := range msgs {
		if m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp {
			continue // a reply shown in the channel: threads are not read back
		}
		// Names and flags come from the core's directory of people.
		author := bot.User{ID: m.User, Bot: m.BotID != "" || m.SubType == "bot_message"}
		hm := bot.HistoryMessage{MessageID: m.Timestamp, Author: author, Text: m.Text}
		for _, r := range m.Reactions {
			users := slices.DeleteFunc(slices.Clone(r.Users), func(u string) bool { return u == self })
			if len(users) > 0 {
				hm.Reactions = append(hm.Reactions, bot.Reaction{Emoji: r.Name, Users: users})
			}
		}
		if err := fn(hm); err != nil {
			return err
		}
	}
	return nil
}

// signInWait bounds how long a call that needs the bot's identity waits
// for auth.test.
const signInWait = time.Minute

// waitSignedIn waits until the adapter knows who the bot is in the
// workspace ctx names, ctx's end, or signInWait.
func (a *Adapter) waitSignedIn(ctx context.Context) error {
	deadline := time.Now().Add(signInWait)
	for a.selfFor(ctx) == nil {
		if time.Now().After(deadline) {
			return errNotSignedIn
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
