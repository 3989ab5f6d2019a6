package slack

import (
	"context"
	"errors"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// The directory of channels lives in the core's store. Slack's events do
// not say who can read a channel, so the adapter asks conversations.info,
// after the event that named an unknown channel was committed (the core
// calls ResolveChannels), and again when a channel event says something
// changed (renamed, archived, shared or unshared, made private, the bot
// joined). No event waits on these calls.

// conversations.info is Tier 3 (50+ a minute): tipbot stays under it.
const (
	channelInterval = 1500 * time.Millisecond
	channelBurst    = 10
)

// channelQueue queues the channels to look up, paced for
// conversations.info.
type channelQueue struct {
	lookupQueue
	pace gcra
}

func newChannelQueue() channelQueue {
	return channelQueue{lookupQueue: newLookupQueue(),
		pace: gcra{interval: channelInterval, tolerance: channelBurst * channelInterval}}
}

// ResolveChannels queues channels the directory does not know for a
// lookup, after the event that named them was committed. It implements
// bot.ChannelResolver and never blocks.
func (a *Adapter) ResolveChannels(ws bot.Workspace, ids []string) { a.chans.add(ws, ids) }

// channelLoop answers the queued channel lookups until ctx ends.
func (a *Adapter) channelLoop(ctx context.Context) {
	for {
		next := a.chans.take(1)
		if len(next) == 0 {
			if !a.chans.wait(ctx) {
				return
			}
			continue
		}
		l := next[0]
		if err := a.pace(ctx, &a.chans.pace); err != nil {
			return
		}
		c, err := a.lookUpChannel(ctx, l.id)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// The channel stays unknown, so restricted; it is asked
			// about again at its next event.
			a.log.Warn("slack: conversations.info failed; the channel's tips stay restricted", "channel", l.id, "err", err)
			continue
		}
		hctx, cancel := context.WithTimeout(ctx, a.eventTimeout)
		_, err = a.h.Handle(hctx, &bot.ChannelsUpdated{EventMeta: bot.EventMeta{Workspace: l.ws}, Channels: []bot.Channel{c}})
		cancel()
		if err != nil && ctx.Err() == nil {
			a.log.Error("slack: the directory of channels was not updated", "channel", l.id, "err", err)
		}
	}
}

// lookUpChannel asks Slack about one channel. A channel Slack does not
// show tipbot (a private channel it is not in) comes back private and not
// a member.
func (a *Adapter) lookUpChannel(ctx context.Context, id string) (bot.Channel, error) {
	var info *slackapi.Channel
	err := a.call(ctx, "conversations.info", "", func(ctx context.Context) (err error) {
		info, err = a.api.GetConversationInfoContext(ctx, &slackapi.GetConversationInfoInput{ChannelID: id})
		return err
	})
	if err != nil {
		if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok && se.Err == "channel_not_found" {
			return bot.Channel{ID: id, Kind: bot.ChannelPrivate, NotMember: true}, nil
		}
		return bot.Channel{}, err
	}
	return channelOf(info), nil
}

// channelOf returns what the directory keeps of a Slack conversation.
func channelOf(c *slackapi.Channel) bot.Channel {
	out := bot.Channel{ID: c.ID, Name: c.Name, Kind: bot.ChannelPublic, Archived: c.IsArchived, NotMember: !c.IsMember}
	switch {
	case c.IsIM:
		out.Kind, out.NotMember = bot.ChannelDM, false
	case c.IsMpIM:
		out.Kind = bot.ChannelGroupDM
	case c.IsExtShared:
		out.Kind = bot.ChannelShared
	case c.IsPrivate:
		out.Kind = bot.ChannelPrivate
	}
	return out
}

// channelEvent handles a channel event: the channel is looked up again,
// unless it is someone other than the bot joining it.
func (a *Adapter) channelEvent(e *channelTouched) {
	if e.Type == "member_joined_channel" {
		if self := a.self.Load(); self == nil || e.User != self.UserID {
			return
		}
	}
	a.ResolveChannels(e.Workspace, []string{e.Channel})
}
