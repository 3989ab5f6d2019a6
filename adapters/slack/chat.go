package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

var (
	_ bot.Chat     = (*Adapter)(nil)
	_ bot.Audience = (*Adapter)(nil)
)

// Post sends m to a channel (in the thread m.Thread when set) as Block Kit
// with a plain-text fallback, and returns the new message's ts. Posts are
// paced to Slack's limits and retried after a 429, however long that
// takes, until ctx ends; a file in m is uploaded to the same channel and
// thread. When Slack refuses the post for good (bot not in the channel,
// archived channel…) the error wraps bot.ErrRefused.
func (a *Adapter) Post(ctx context.Context, ws bot.Workspace, channel string, m bot.Message) (string, error) {
	ctx, err := a.scope(ctx, ws)
	if err != nil {
		return "", err
	}
	if channel == "" {
		return "", errors.New("slack: post: no channel")
	}
	text, blocks := render(a.namePeople(ctx, ws, m), a.linker(ctx))
	ts := ""
	if strings.TrimSpace(text) != "" || len(blocks) > 0 {
		err := a.call(ctx, "chat.postMessage", channel, func(ctx context.Context) (err error) {
			_, ts, err = a.apiFor(ctx).PostMessageContext(ctx, channel, postOptions(text, blocks, m.Thread)...)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("slack: post to %s: %w", channel, refusal(err))
		}
	}
	if m.File != nil {
		thread := m.Thread
		if thread == "" {
			thread = ts
		}
		if err := a.upload(ctx, channel, thread, "", *m.File); err != nil {
			return ts, err
		}
	}
	if ts == "" && m.File == nil {
		return "", errors.New("slack: post: empty message")
	}
	return ts, nil
}

func postOptions(text string, blocks []slackapi.Block, thread string) []slackapi.MsgOption {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slackapi.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(thread))
	}
	return opts
}

// React adds the bot's reaction emoji (a Slack emoji name, with or without
// colons) to a message. A reaction already there (already_reacted) is
// success; other refusals (message gone, no access) wrap bot.ErrRefused.
func (a *Adapter) React(ctx context.Context, ws bot.Workspace, channel, messageID, emoji string) error {
	ctx, err := a.scope(ctx, ws)
	if err != nil {
		return err
	}
	name := strings.Trim(emoji, ":")
	err = a.call(ctx, "reactions.add", "", func(ctx context.Context) error {
		return a.apiFor(ctx).AddReactionContext(ctx, name, slackapi.NewRefToMessage(channel, messageID))
	})
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok && se.Err == "already_reacted" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("slack: react %s to %s/%s: %w", name, channel, messageID, refusal(err))
	}
	return nil
}

// Direct sends m to a person in their direct message with the bot
// (conversations.open, then chat.postMessage); a file in m is uploaded
// there. When Slack refuses for good (unknown or deactivated person…) the
// error wraps bot.ErrRefused.
func (a *Adapter) Direct(ctx context.Context, ws bot.Workspace, userID string, m bot.Message) error {
	ctx, err := a.scope(ctx, ws)
	if err != nil {
		return err
	}
	dm, err := a.dmChannel(ctx, userID)
	if err != nil {
		return err
	}
	m = m.Render(refMarkup)
	if m.File != nil && len(m.File.Data) == 0 {
		// Slack refuses empty uploads: say so in words.
		m.Lines = append(m.Lines, bot.Line{Text: "(" + m.File.Name + ": 0 bytes)"})
		m.File = nil
	}
	if m.File != nil {
		// The file comes with the message as its comment, at the top of
		// the conversation (not in a thread where it would hide).
		text, _ := render(bot.Message{Title: m.Title, Lines: m.Lines}, a.linker(ctx))
		return a.upload(ctx, dm, "", text, *m.File)
	}
	_, err = a.Post(ctx, ws, dm, m)
	return err
}

// dmChannel returns the id of the direct message between the bot and a
// person, opening it the first time.
func (a *Adapter) dmChannel(ctx context.Context, userID string) (string, error) {
	if userID == "" {
		return "", errors.New("slack: direct message: no user")
	}
	key := teamOf(ctx) + "/" + userID
	if id, ok := a.dms.Get(key); ok {
		return id, nil
	}
	var ch *slackapi.Channel
	err := a.call(ctx, "conversations.open", "", func(ctx context.Context) (err error) {
		ch, _, _, err = a.apiFor(ctx).OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{userID}})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("slack: open direct message with %s: %w", userID, refusal(err))
	}
	if ch == nil || ch.ID == "" {
		return "", fmt.Errorf("slack: open direct message with %s: no channel in answer", userID)
	}
	a.dms.Add(key, ch.ID)
	return ch.ID, nil
}

// upload sends a file to a channel (in a thread when set, with a comment
// when set) with Slack's current upload API (files.getUploadURLExternal,
// the upload, files.completeUploadExternal).
func (a *Adapter) upload(ctx context.Context, channel, thread, comment string, f bot.File) error {
	if len(f.Data) == 0 {
		return fmt.Errorf("slack: upload %s: empty file", f.Name)
	}
	name := f.Name
	if name == "" {
		name = "tipbot.txt"
	}
	err := a.call(ctx, "files.upload", "", func(ctx context.Context) error {
		_, err := a.apiFor(ctx).UploadFileContext(ctx, slackapi.UploadFileParameters{
			Reader:          bytes.NewReader(f.Data),
			FileSize:        len(f.Data),
			Filename:        name,
			Title:           name,
			Channel:         channel,
			ThreadTimestamp: thread,
			InitialComment:  comment,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("slack: upload %s to %s: %w", name, channel, refusal(err))
	}
	return nil
}

// linker returns the permalink function render uses, bound to ctx.
func (a *Adapter) linker(ctx context.Context) func(bot.MessageRef) string {
	return func(ref bot.MessageRef) string { return a.permalink(ctx, ref) }
}

// permalink returns a link to a message: chat.getPermalink's answer,
// cached; when Slack cannot answer before ctx ends, a link built from the
// team's URL; "" when neither is known.
func (a *Adapter) permalink(ctx context.Context, ref bot.MessageRef) string {
	if ref.Channel == "" || ref.MessageID == "" {
		return ""
	}
	k := msgKey(ref.Channel, ref.MessageID)
	if u, ok := a.links.Get(k); ok {
		return u
	}
	var link string
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := a.call(lctx, "chat.getPermalink", "", func(ctx context.Context) (err error) {
		link, err = a.apiFor(ctx).GetPermalinkContext(ctx, &slackapi.PermalinkParameters{Channel: ref.Channel, Ts: ref.MessageID})
		return err
	})
	if err == nil && link != "" {
		a.links.Add(k, link)
		return link
	}
	a.log.Debug("slack: chat.getPermalink failed; building the link", "channel", ref.Channel, "ts", ref.MessageID, "err", err)
	return a.builtPermalink(ctx, ref)
}

// builtPermalink is Slack's permalink format, from the team URL auth.test
// gave: https://team.slack.com/archives/C123/p1714000000000100.
func (a *Adapter) builtPermalink(ctx context.Context, ref bot.MessageRef) string {
	self := a.selfFor(ctx)
	if self == nil || self.URL == "" {
		return ""
	}
	base, err := url.Parse(self.URL)
	if err != nil || base.Host == "" {
		return ""
	}
	return strings.TrimSuffix(self.URL, "/") + "/archives/" + url.PathEscape(ref.Channel) + "/p" +
		strings.Replace(ref.MessageID, ".", "", 1)
}

// Members returns how many people (the bot left out) are in a channel, or,
// for channel "", in all the channels the bot is in, each person counted
// once (users.conversations, conversations.members). Reports divide
// contributors by it. Answers are cached for ten minutes.
func (a *Adapter) Members(ctx context.Context, ws bot.Workspace, channel string) (int, error) {
	ctx, err := a.scope(ctx, ws)
	if err != nil {
		return 0, err
	}
	key := ws.ID + "/" + channel
	if n, ok := a.members.Get(key); ok {
		return n, nil
	}
	channels := []string{channel}
	if channel == "" {
		var err error
		if channels, err = a.botChannels(ctx); err != nil {
			return 0, err
		}
	}
	self := ""
	if id := a.selfFor(ctx); id != nil {
		self = id.UserID
	}
	people := map[string]bool{}
	for _, ch := range channels {
		cursor := ""
		for {
			var ids []string
			err := a.call(ctx, "conversations.members", "", func(ctx context.Context) (err error) {
				ids, cursor, err = a.apiFor(ctx).GetUsersInConversationContext(ctx,
					&slackapi.GetUsersInConversationParameters{ChannelID: ch, Cursor: cursor, Limit: 1000})
				return err
			})
			if err != nil {
				return 0, fmt.Errorf("slack: members of %s: %w", ch, err)
			}
			for _, id := range ids {
				if id != self {
					people[id] = true
				}
			}
			if cursor == "" {
				break
			}
		}
	}
	a.members.Add(key, len(people))
	return len(people), nil
}

// botChannels lists the channels the bot is a member of.
func (a *Adapter) botChannels(ctx context.Context) ([]string, error) {
	var out []string
	cursor := ""
	for {
		var chs []slackapi.Channel
		err := a.call(ctx, "users.conversations", "", func(ctx context.Context) (err error) {
			chs, cursor, err = a.apiFor(ctx).GetConversationsForUserContext(ctx, &slackapi.GetConversationsForUserParameters{
				Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: 1000, Cursor: cursor})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("slack: channels of the bot: %w", err)
		}
		for _, c := range chs {
			out = append(out, c.ID)
		}
		if cursor == "" {
			return out, nil
		}
	}
}

func checkWorkspace(ws bot.Workspace) error {
	if ws.Platform != Platform {
		return fmt.Errorf("slack: workspace %s is not a Slack workspace", ws)
	}
	return nil
}
