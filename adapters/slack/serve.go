package slack

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// serveEvent translates an Events API envelope and applies it in its lane
// (see laneOf), in Slack's order. done learns whether the envelope may be
// acknowledged: true once the core committed the event (or when there was
// nothing to commit: ignored or malformed payloads), false when the core
// failed, so that Slack delivers the event again. The caller waits for
// done (an HTTP request does): when the event's lane is idle it is applied
// in the caller's goroutine, before serveEvent returns.
func (a *Adapter) serveEvent(raw []byte, done func(ok bool)) {
	if a.uninstallEvent(raw, done) {
		return
	}
	ev, err := translateEvent(raw)
	a.serveTranslated(ev, err, done)
}

// serveTranslated is serveEvent for an envelope already translated.
func (a *Adapter) serveTranslated(ev bot.Event, err error, done func(ok bool)) {
	if ev, ok := a.checked(ev, err, done); ok {
		a.lanes.run(laneOf(ev), func() { done(a.apply(ev)) })
	}
}

// serveEventAsync is serveEvent for a caller that must not wait (the
// Socket Mode read loop): the event is applied in another goroutine.
func (a *Adapter) serveEventAsync(raw []byte, done func(ok bool)) {
	if a.uninstallEvent(raw, done) {
		return
	}
	ev, err := translateEvent(raw)
	if ev, ok := a.checked(ev, err, done); ok {
		a.lanes.do(laneOf(ev), func() { done(a.apply(ev)) })
	}
}

// checked returns a translated event to apply; when there is none
// (ignored or malformed), it calls done(true) and returns false.
func (a *Adapter) checked(ev bot.Event, err error, done func(ok bool)) (bot.Event, bool) {
	if err != nil {
		a.log.Warn("slack: ignoring malformed event", "err", err)
		done(true)
		return nil, false
	}
	if ev == nil {
		done(true)
		return nil, false
	}
	if c, ok := ev.(*channelTouched); ok {
		a.channelEvent(c)
		done(true)
		return nil, false
	}
	if ws := bot.MetaOf(ev).Workspace; !a.serves(ws.ID) {
		a.ignoreTeam(ws.ID)
		done(true)
		return nil, false
	}
	return ev, true
}

// laneOf returns the key of the lane an event is applied in: events of one
// lane reach the core one after the other, in the order Slack sent them,
// and lanes run in parallel so that their commits are grouped. Messages
// keep their channel's order; a person's reactions on a message keep
// theirs (an add, then its removal), whatever the other people do there.
// People's updates share one lane.
func laneOf(ev bot.Event) string {
	switch e := ev.(type) {
	case *bot.ReactionAdded:
		return reactionLane(e.Channel, e.MessageID, e.User.ID)
	case *bot.ReactionRemoved:
		return reactionLane(e.Channel, e.MessageID, e.User.ID)
	case *bot.PeopleUpdated:
		return "people"
	}
	return bot.ChannelOf(ev)
}

func reactionLane(channel, ts, user string) string { return "r/" + channel + "/" + ts + "/" + user }

func msgKey(channel, ts string) string { return channel + "/" + ts }

// apply hands one event to the core and reports whether it was committed.
// A private reply is sent once the event is acknowledged, in the background.
func (a *Adapter) apply(ev bot.Event) bool {
	ctx, cancel := context.WithTimeout(withTeam(context.Background(), bot.MetaOf(ev).Workspace.ID), a.eventTimeout)
	defer cancel()
	if err := a.enrich(ctx, ev); err != nil {
		a.log.Warn("slack: cannot complete event; Slack will send it again", "event", bot.MetaOf(ev).ID, "err", err)
		return false
	}
	reply, err := a.h.Handle(ctx, ev)
	if err != nil {
		a.log.Error("slack: core failed on event; Slack will send it again", "event", bot.MetaOf(ev).ID, "err", err)
		return false
	}
	if reply != nil {
		ws, channel, user := whereAndWho(ev)
		a.tasks.Go(func() { a.sendPrivately(ws, channel, user, *reply) })
	}
	return true
}

// answer runs a slash command or shortcut through the core and
// acknowledges it, never before the core has committed what it changed:
// Slack never redelivers these, so an acknowledgement must not promise
// what a crash could lose.
//
// The core gets a context that ends handleShare of ackDeadline after the
// command arrived: the store then commits nothing that has not started,
// and the acknowledgement says it was not saved. An answer in time goes in
// the acknowledgement when it fits (slash commands), else through
// responseURL after an empty acknowledgement. At ackDeadline, a core still
// at work (a commit under way) gets an empty acknowledgement and its
// outcome, whatever it is, goes through responseURL. ack is called exactly
// once, before answer returns; its argument is nil for an empty
// acknowledgement.
func (a *Adapter) answer(ev bot.Event, responseURL string, carriesReply bool, ack func(*slackapi.WebhookMessage)) {
	arrived := time.Now()
	ackBy := arrived.Add(a.ackDeadline)
	ws, channel, user := whereAndWho(ev)
	if !a.serves(ws.ID) {
		a.ignoreTeam(ws.ID)
		ack(nil)
		return
	}
	type result struct {
		reply bot.Reply
		err   error
	}
	results := make(chan result, 1)
	a.tasks.Go(func() {
		ctx, cancel := context.WithDeadline(withTeam(context.Background(), ws.ID), arrived.Add(a.ackDeadline*handleShare/100))
		defer cancel()
		if err := a.enrich(ctx, ev); err != nil {
			results <- result{err: err}
			return
		}
		r, err := a.h.Handle(ctx, ev)
		results <- result{r, err}
	})
	outcome := func(r result) *bot.Message {
		switch {
		case errors.Is(r.err, context.DeadlineExceeded):
			a.log.Warn("slack: command not committed in time; the user is told to try again", "event", bot.MetaOf(ev).ID, "err", r.err)
			return &bot.Message{Lines: []bot.Line{{Text: a.texts.busy}}}
		case r.err != nil:
			a.log.Error("slack: core failed on interaction", "event", bot.MetaOf(ev).ID, "err", r.err)
			return &bot.Message{Lines: []bot.Line{{Text: a.texts.failed}}}
		}
		return r.reply
	}
	timer := time.NewTimer(time.Until(ackBy))
	defer timer.Stop()
	select {
	case r := <-results:
		msg := outcome(r)
		if msg == nil {
			ack(nil)
			return
		}
		if carriesReply {
			// Permalinks are looked up within what is left of the ack
			// deadline; past it they are built from the team URL.
			ctx, cancel := context.WithDeadline(withTeam(context.Background(), ws.ID), ackBy)
			p := a.ephemeral(ctx, *msg)
			cancel()
			if fitsAck(p) {
				ack(p)
				if msg.File != nil {
					f := *msg.File
					a.tasks.Go(func() { a.sendFileQuietly(ws, user, f) })
				}
				return
			}
		}
		ack(nil)
		a.tasks.Go(func() { a.deliverLate(ws, channel, user, responseURL, *msg) })
	case <-timer.C:
		// Not known yet whether it will be committed: the empty
		// acknowledgement promises nothing.
		ack(nil)
		a.tasks.Go(func() {
			if msg := outcome(<-results); msg != nil {
				a.deliverLate(ws, channel, user, responseURL, *msg)
			}
		})
	}
}

// handleShare is the part of the ack deadline, in percent, that the core
// has to commit a command; the rest leaves a commit under way the time to
// end, and the answer the time to be sent.
const handleShare = 90

// maxAck is the largest acknowledgement payload sent; Slack drops Socket
// Mode messages of 20 KiB or more.
const maxAck = 19 * 1024

func fitsAck(p *slackapi.WebhookMessage) bool {
	b, err := json.Marshal(p)
	return err == nil && len(b) < maxAck
}

// ephemeral renders a reply as an ephemeral command response (without its
// file, which is sent on its own).
func (a *Adapter) ephemeral(ctx context.Context, m bot.Message) *slackapi.WebhookMessage {
	text, blocks := render(m, a.linker(ctx))
	p := &slackapi.WebhookMessage{ResponseType: slackapi.ResponseTypeEphemeral, Text: text}
	if len(blocks) > 0 {
		p.Blocks = &slackapi.Blocks{BlockSet: blocks}
	}
	return p
}

// deliverLate sends a reply that did not go with the acknowledgement:
// through the interaction's response_url when there is one, else as an
// ephemeral message in the channel, else as a direct message.
func (a *Adapter) deliverLate(ws bot.Workspace, channel, user, responseURL string, m bot.Message) {
	ctx, cancel := context.WithTimeout(withTeam(context.Background(), ws.ID), 2*time.Minute)
	defer cancel()
	m = m.Render(refMarkup)
	if m.File != nil {
		f := *m.File
		defer a.sendFileQuietly(ws, user, f)
		m.File = nil
		if len(m.Lines) == 0 && m.Title == "" {
			return
		}
	}
	if responseURL != "" {
		err := a.postResponse(ctx, responseURL, a.ephemeral(ctx, m))
		if err == nil {
			return
		}
		a.log.Warn("slack: response_url failed; replying another way", "err", err)
	}
	a.sendPrivately(ws, channel, user, m)
}

// sendPrivately shows m to user only: ephemeral in the channel when there
// is one, else (or when that fails) as a direct message. Files always go
// to the direct message.
func (a *Adapter) sendPrivately(ws bot.Workspace, channel, user string, m bot.Message) {
	ctx, cancel := context.WithTimeout(withTeam(context.Background(), ws.ID), 5*time.Minute)
	defer cancel()
	if m.File == nil && channel != "" && user != "" {
		text, blocks := render(m, a.linker(ctx))
		err := a.call(ctx, "chat.postEphemeral", "", func(ctx context.Context) error {
			opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}
			if len(blocks) > 0 {
				opts = append(opts, slackapi.MsgOptionBlocks(blocks...))
			}
			_, err := a.apiFor(ctx).PostEphemeralContext(ctx, channel, user, opts...)
			return err
		})
		if err == nil {
			return
		}
		a.log.Info("slack: ephemeral reply failed; sending a direct message", "channel", channel, "err", err)
	}
	if user == "" {
		return
	}
	if err := a.Direct(ctx, ws, user, m); err != nil {
		a.log.Error("slack: private reply lost", "user", user, "err", err)
	}
}

func (a *Adapter) sendFileQuietly(ws bot.Workspace, user string, f bot.File) {
	ctx, cancel := context.WithTimeout(withTeam(context.Background(), ws.ID), 5*time.Minute)
	defer cancel()
	if err := a.Direct(ctx, ws, user, bot.Message{File: &f}); err != nil {
		a.log.Error("slack: file not delivered", "user", user, "file", f.Name, "err", err)
	}
}

// errNotSignedIn: the adapter does not know who the bot is yet.
var errNotSignedIn = errors.New("slack: not signed in yet")

// enrich completes a translated event with what Slack's payload lacks and
// tipbot has at hand: the bot's own name and flag and, for the capture
// reaction, the reacted message's author and text. It never asks Slack
// about people: their names and flags come from the directory of people,
// in the core, and those it does not know are looked up after the commit
// (Resolve). It fails only when the capture reaction's message cannot be
// read for now.
func (a *Adapter) enrich(ctx context.Context, ev bot.Event) error {
	switch ev.(type) {
	case *bot.ReactionAdded, *bot.ReactionRemoved:
		if a.selfFor(ctx) == nil {
			// Until auth.test answered, the bot's own reactions (its 💡
			// on a tip) could not be told from a person's vote: Slack
			// sends the event again.
			return errNotSignedIn
		}
	}
	switch e := ev.(type) {
	case *bot.MessagePosted:
		e.Author = a.whoIs(ctx, e.Author)
		a.rememberInfo(e.Channel, e.MessageID, bot.MessageInfo{Author: e.Author, Text: e.Text, ThreadID: e.ThreadID})
	case *bot.MessageEdited:
		e.Author = a.whoIs(ctx, e.Author)
		a.rememberInfo(e.Channel, e.MessageID, bot.MessageInfo{Author: e.Author, Text: e.Text, ThreadID: e.ThreadID})
	case *bot.MessageDeleted:
		a.msgs.Remove(msgKey(e.Channel, e.MessageID))
	case *bot.ReactionAdded:
		e.User = a.whoIs(ctx, e.User)
		if info, ok := a.msgs.Get(msgKey(e.Channel, e.MessageID)); ok {
			e.Message = info
			return nil
		}
		if e.Emoji != a.capture {
			return nil
		}
		// A long rate limit on reading history must not hold the
		// message's other events: the event fails, Slack sends it again.
		fctx, cancel := context.WithTimeout(ctx, a.fetchTimeout)
		info, found, err := a.fetchMessage(fctx, e.Channel, e.MessageID)
		cancel()
		if err != nil {
			return err
		}
		if !found {
			a.log.Info("slack: reacted message not found", "channel", e.Channel, "ts", e.MessageID)
			info.Author.ID = e.Message.Author.ID
		}
		if info.Author.ID == "" {
			info.Author.ID = e.Message.Author.ID
		}
		info.Author = a.whoIs(ctx, info.Author)
		e.Message = info
	case *bot.ReactionRemoved:
		e.User = a.whoIs(ctx, e.User)
	case *bot.CommandInvoked:
		e.User = a.whoIs(ctx, e.User)
	case *bot.SaveAsTip:
		e.User = a.whoIs(ctx, e.User)
		e.Message.Author = a.whoIs(ctx, e.Message.Author)
	}
	return nil
}

// whoIs completes u when it is the bot itself. Anyone else keeps only
// their id and the bot and foreign flags the payload gave (a handle, as
// commands carry, is dropped): the core takes names and flags from the
// directory.
func (a *Adapter) whoIs(ctx context.Context, u bot.User) bot.User {
	if u.ID == "" {
		return u
	}
	if self := a.selfFor(ctx); self != nil && (u.ID == self.UserID || u.ID == self.BotID) {
		return bot.User{ID: u.ID, Name: self.Name, Bot: true}
	}
	return bot.User{ID: u.ID, Bot: u.Bot, Foreign: u.Foreign}
}

func displayName(u *slackapi.User) string {
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if n != "" {
			return n
		}
	}
	return ""
}

// fetchMessage reads one message: from the channel's history, or, for a
// thread reply, from its thread. found is false when Slack has no such
// message (deleted, or in a channel tipbot cannot read).
func (a *Adapter) fetchMessage(ctx context.Context, channel, ts string) (info bot.MessageInfo, found bool, err error) {
	var msgs []slackapi.Message
	err = a.call(ctx, "conversations.history", "", func(ctx context.Context) error {
		res, err := a.apiFor(ctx).GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
			ChannelID: channel, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1})
		if err == nil {
			msgs = res.Messages
		}
		return err
	})
	if m, ok := findMessage(msgs, ts); ok && err == nil {
		return a.remember(channel, m), true, nil
	}
	if err != nil && !notFound(err) {
		return info, false, err
	}
	err = a.call(ctx, "conversations.replies", "", func(ctx context.Context) (err error) {
		msgs, _, _, err = a.apiFor(ctx).GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: ts, Latest: ts, Oldest: ts, Inclusive: true})
		return err
	})
	if err != nil {
		if notFound(err) {
			return info, false, nil
		}
		return info, false, err
	}
	if m, ok := findMessage(msgs, ts); ok {
		return a.remember(channel, m), true, nil
	}
	return info, false, nil
}

func findMessage(msgs []slackapi.Message, ts string) (slackapi.Message, bool) {
	for _, m := range msgs {
		if m.Timestamp == ts {
			return m, true
		}
	}
	return slackapi.Message{}, false
}

func (a *Adapter) remember(channel string, m slackapi.Message) bot.MessageInfo {
	info := bot.MessageInfo{
		Author:   bot.User{ID: m.User, Bot: m.BotID != "" || m.SubType == "bot_message"},
		Text:     m.Text,
		ThreadID: threadOf(m.Timestamp, m.ThreadTimestamp),
	}
	if info.Author.ID == "" {
		info.Author.ID = m.BotID
	}
	a.rememberInfo(channel, m.Timestamp, info)
	return info
}

// maxRemembered bounds the text of a message kept in memory, so that the
// cache stays small; longer messages are read again when needed.
const maxRemembered = 4000

// rememberInfo keeps what tipbot saw of a message, so that a capture
// reaction on it needs no call to Slack.
func (a *Adapter) rememberInfo(channel, ts string, info bot.MessageInfo) {
	k := msgKey(channel, ts)
	if len(info.Text) > maxRemembered {
		a.msgs.Remove(k)
		return
	}
	a.msgs.Add(k, info)
}

// notFound reports Slack errors meaning the message cannot be had, now or
// later, so asking again would not help.
func notFound(err error) bool {
	se, ok := errors.AsType[slackapi.SlackErrorResponse](err)
	if !ok {
		return false
	}
	switch se.Err {
	case "channel_not_found", "not_in_channel", "thread_not_found", "message_not_found", "missing_scope", "is_archived":
		return true
	}
	return false
}

// whereAndWho returns an event's workspace, channel and the person who
// caused it.
func whereAndWho(ev bot.Event) (ws bot.Workspace, channel, user string) {
	switch e := ev.(type) {
	case *bot.MessagePosted:
		return e.Workspace, e.Channel, e.Author.ID
	case *bot.MessageEdited:
		return e.Workspace, e.Channel, e.Author.ID
	case *bot.MessageDeleted:
		return e.Workspace, e.Channel, ""
	case *bot.ReactionAdded:
		return e.Workspace, e.Channel, e.User.ID
	case *bot.ReactionRemoved:
		return e.Workspace, e.Channel, e.User.ID
	case *bot.CommandInvoked:
		return e.Workspace, e.Channel, e.User.ID
	case *bot.SaveAsTip:
		return e.Workspace, e.Channel, e.User.ID
	}
	return bot.Workspace{}, "", ""
}
