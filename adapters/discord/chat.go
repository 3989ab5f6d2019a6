package discord

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// Post sends a message to a channel of the workspace's guild and returns
// the id of the first Discord message it took. With Message.Thread set it
// goes into that thread when one was started on the message, else it
// replies to the message. It refuses a channel of another guild, so no
// workspace's data reaches another server. Rate limits are waited out;
// transient failures are retried with a nonce Discord deduplicates. When
// Discord refuses for good (unknown channel, missing access) or the channel
// is in another guild, the error wraps bot.ErrRefused.
func (a *Adapter) Post(ctx context.Context, ws bot.Workspace, channel string, m bot.Message) (string, error) {
	if err := a.checkChannel(ctx, ws, channel); err != nil {
		return "", refusal(err)
	}
	target := channel
	var ref *discordgo.MessageReference
	if m.Thread != "" {
		if ci, err := a.dir.channel(ctx, m.Thread); err == nil && ci.Thread {
			target = m.Thread
		} else {
			target, _ = a.dir.location(channel, m.Thread)
			no := false
			ref = &discordgo.MessageReference{MessageID: m.Thread, ChannelID: target, GuildID: ws.ID, FailIfNotExists: &no}
		}
	}
	msgs := render(m, a.link(ctx, ws.ID))
	first := ""
	for i, om := range msgs {
		send := &discordgo.MessageSend{Content: om.Content, Embeds: om.Embeds, Files: om.Files, AllowedMentions: allowedMentions(m)}
		if i == 0 {
			send.Reference = ref
		}
		id, err := a.send(ctx, target, send, keyedNonce(m.Key, i))
		if err != nil {
			return first, fmt.Errorf("discord: post in %s: %w", target, refusal(err))
		}
		if i == 0 {
			first = id
		}
		if target != channel {
			a.dir.remember(id, messageEntry{Location: target, Info: bot.MessageInfo{Author: bot.User{ID: a.selfID(), Bot: true}, Text: om.Content, ThreadID: target}})
		}
	}
	return first, nil
}

// React adds the bot's reaction (a unicode emoji, or a custom emoji as
// "name:id") to a message of the workspace's guild. A refusal for good
// (unknown message, missing access) wraps bot.ErrRefused.
func (a *Adapter) React(ctx context.Context, ws bot.Workspace, channel, messageID, emoji string) error {
	return a.ReactTo(ctx, ws, bot.MessageRef{Channel: channel, MessageID: messageID}, emoji)
}

// ReactTo is React for a message that may be in a thread (ref.Thread, as
// the core stored it): the reaction goes to the thread's message, even
// after a restart emptied the adapter's memory (bot.RefReactor).
func (a *Adapter) ReactTo(ctx context.Context, ws bot.Workspace, ref bot.MessageRef, emoji string) error {
	channel, messageID := ref.Channel, ref.MessageID
	if err := a.checkChannel(ctx, ws, channel); err != nil {
		return refusal(err)
	}
	location := a.locate(ctx, ref)
	e := apiEmoji(emoji)
	if e == "" {
		return fmt.Errorf("discord: react: empty emoji")
	}
	err := a.retry(ctx, func() error {
		return a.s.MessageReactionAdd(location, messageID, e, discordgo.WithContext(ctx))
	})
	if err != nil {
		return fmt.Errorf("discord: react %s on %s/%s: %w", emoji, location, messageID, refusal(err))
	}
	return nil
}

// Direct sends a private message (a DM) to a person. When Discord refuses
// for good (unknown user, 50007: the person does not accept DMs from the
// bot) the error wraps bot.ErrRefused.
func (a *Adapter) Direct(ctx context.Context, ws bot.Workspace, userID string, m bot.Message) error {
	if ws.Platform != Platform {
		return fmt.Errorf("discord: direct message for a %s workspace", ws.Platform)
	}
	ch, ok := a.dmChannels.Get(userID)
	if !ok {
		err := a.retry(ctx, func() error {
			c, err := a.s.UserChannelCreate(userID, discordgo.WithContext(ctx))
			if err == nil {
				ch = c.ID
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("discord: open DM with %s: %w", userID, refusal(err))
		}
		a.dmChannels.Add(userID, ch)
	}
	msgs := render(m, a.link(ctx, ws.ID))
	for i, om := range msgs {
		ms := &discordgo.MessageSend{Content: om.Content, Embeds: om.Embeds, Files: om.Files, AllowedMentions: allowedMentions(m)}
		if i == len(msgs)-1 {
			ms.Components = buttonRows(ws.ID, m)
		}
		if _, err := a.send(ctx, ch, ms, keyedNonce(m.Key, i)); err != nil {
			return fmt.Errorf("discord: DM to %s: %w", userID, refusal(err))
		}
	}
	return nil
}

// checkChannel refuses a channel that is not in the workspace's guild.
func (a *Adapter) checkChannel(ctx context.Context, ws bot.Workspace, channel string) error {
	if ws.Platform != Platform {
		return fmt.Errorf("discord: message for a %s workspace", ws.Platform)
	}
	if channel == "" {
		return errors.New("discord: no channel")
	}
	if a.isRemoved(ws.ID) {
		return fmt.Errorf("discord: tipbot was removed from guild %s: %w", ws.ID, bot.ErrRefused)
	}
	ci, err := a.dir.channel(ctx, channel)
	if err != nil {
		return fmt.Errorf("discord: channel %s: %w", channel, err)
	}
	if ci.GuildID != ws.ID {
		return fmt.Errorf("discord: channel %s: %w %s", channel, errOtherGuild, ws.ID)
	}
	return nil
}

// sendPayload is a message with a nonce Discord enforces: a retried send
// that had reached Discord returns the first message instead of a second.
type sendPayload struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// send posts one message and returns its id. nonce, when not empty, is
// the message's nonce (see keyedNonce); else a random one is used.
func (a *Adapter) send(ctx context.Context, channel string, ms *discordgo.MessageSend, nonceOf string) (string, error) {
	for _, e := range ms.Embeds {
		e.Type = discordgo.EmbedTypeRich
	}
	ms.Content = validUTF8(ms.Content)
	if nonceOf == "" {
		nonceOf = nonce()
	}
	p := sendPayload{MessageSend: ms, Nonce: nonceOf, EnforceNonce: true}
	endpoint := discordgo.EndpointChannelMessages(channel)
	var files []*discordgo.File
	var data [][]byte
	for _, f := range ms.Files {
		b, err := readAll(f)
		if err != nil {
			return "", err
		}
		files = append(files, f)
		data = append(data, b)
	}
	var msg discordgo.Message
	err := a.retry(ctx, func() error {
		var body []byte
		var err error
		if len(files) > 0 {
			for i, f := range files {
				f.Reader = bytes.NewReader(data[i])
			}
			ct, mp, err := discordgo.MultipartBodyWithJSON(p, files)
			if err != nil {
				return err
			}
			body, err = a.s.RequestRaw(http.MethodPost, endpoint, ct, mp, endpoint, 0, discordgo.WithContext(ctx))
			if err != nil {
				return err
			}
		} else {
			body, err = a.s.RequestWithBucketID(http.MethodPost, endpoint, p, endpoint, discordgo.WithContext(ctx))
			if err != nil {
				return err
			}
		}
		return discordgo.Unmarshal(body, &msg)
	})
	if err != nil {
		return "", err
	}
	return msg.ID, nil
}

func readAll(f *discordgo.File) ([]byte, error) {
	if f.Reader == nil {
		return nil, nil
	}
	b, err := io.ReadAll(f.Reader)
	if err != nil {
		return nil, fmt.Errorf("discord: read attachment %s: %w", f.Name, err)
	}
	return b, nil
}

// keyedNonce derives the nonce of part i of a message from its
// idempotency key (bot.Message.Key), so that sending it again after a
// restart returns the message Discord already has (Discord enforces a
// nonce for a few minutes); "" when the message has no key.
func keyedNonce(key string, i int) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:12]) // 24 characters
}

// nonce returns a random message nonce (Discord allows 25 characters).
func nonce() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// retry runs f again after transient failures (network errors and 5xx
// answers: Discord did not take the request), up to four times in all.
// discordgo itself waits out 429 answers and rate-limit buckets.
func (a *Adapter) retry(ctx context.Context, f func() error) error {
	wait := a.retryWait
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || attempt == 4 || !transient(err) || ctx.Err() != nil {
			return err
		}
		if !sleep(ctx, wait) {
			return err
		}
		wait *= 2
	}
}

func transient(err error) bool {
	if s := status(err); s >= 500 {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// apiEmoji writes an emoji as the reactions API wants it: unicode as is,
// custom emojis as name:id ("<:name:id>" and ":name:id" are accepted too).
func apiEmoji(e string) string {
	e = strings.TrimSpace(e)
	if strings.HasPrefix(e, "<") && strings.HasSuffix(e, ">") {
		e = strings.TrimPrefix(strings.TrimPrefix(e[1:len(e)-1], "a:"), ":")
	}
	return strings.TrimPrefix(e, ":")
}

// link returns the jump-link maker of a guild: a message in a thread links
// through the thread.
func (a *Adapter) link(ctx context.Context, guild string) func(bot.MessageRef) string {
	return func(r bot.MessageRef) string {
		if guild == "" || r.Channel == "" {
			return ""
		}
		return jumpURL(guild, a.locate(ctx, r), r.MessageID)
	}
}

// locate returns the channel or thread a message is in: where the adapter
// saw it, else ref.Thread when that is a thread (a forum post is one too),
// else ref.Channel. A Thread that is not a thread is the message a reply
// answered, in ref.Channel.
func (a *Adapter) locate(ctx context.Context, ref bot.MessageRef) string {
	if location, ok := a.dir.location(ref.Channel, ref.MessageID); ok {
		return location
	}
	if ref.Thread != "" && ref.Thread != ref.Channel {
		if ci, err := a.dir.channel(ctx, ref.Thread); err == nil && ci.Thread {
			return ref.Thread
		}
	}
	return ref.Channel
}

var (
	_ bot.Chat       = (*Adapter)(nil)
	_ bot.RefReactor = (*Adapter)(nil)
)

// Members tells reports how many people are in the workspace's guild
// (bot.Audience): the count Discord gives with the guild, bots included.
// Per-channel counts would need the privileged Guild Members intent, which
// tipbot does not ask for, so a channel gets an error and reports say
// "unknown".
func (a *Adapter) Members(ctx context.Context, ws bot.Workspace, channel string) (int, error) {
	if ws.Platform != Platform {
		return 0, fmt.Errorf("discord: members of a %s workspace", ws.Platform)
	}
	if channel != "" {
		return 0, errors.New("discord: channel member counts are not available without the Guild Members intent")
	}
	if g, err := a.s.State.Guild(ws.ID); err == nil {
		a.s.State.RLock()
		n := g.MemberCount
		a.s.State.RUnlock()
		if n > 0 {
			return n, nil
		}
	}
	g, err := a.s.GuildWithCounts(ws.ID, discordgo.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("discord: guild %s member count: %w", ws.ID, err)
	}
	if g.ApproximateMemberCount == 0 {
		return 0, fmt.Errorf("discord: guild %s gave no member count", ws.ID)
	}
	return g.ApproximateMemberCount, nil
}

var _ bot.Audience = (*Adapter)(nil)

// buttonPrefix starts the custom id of tipbot's buttons: "tips:GUILD:"
// then the /tips sub-command the button runs. A button in a direct
// message says this way which server it acts in.
const buttonPrefix = "tips:"

// maxButtonRows is Discord's limit of action rows in one message.
const maxButtonRows = 5

// buttonRows turns the buttons of a message's lines into action rows, one
// per line (the first five: the lines name the commands too). Each
// button's label ends with the command's argument (the tip), so rows of
// several tips are told apart.
func buttonRows(guild string, m bot.Message) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	for _, l := range m.Lines {
		if len(l.Buttons) == 0 || len(rows) == maxButtonRows {
			continue
		}
		var row discordgo.ActionsRow
		for i, b := range l.Buttons[:min(5, len(l.Buttons))] {
			label := b.Label
			if _, arg, ok := strings.Cut(b.Command, " "); ok {
				label += " · " + arg
			}
			style := discordgo.SecondaryButton
			if i == 0 {
				style = discordgo.SuccessButton
			}
			row.Components = append(row.Components, discordgo.Button{Label: clipUnits(label, 80), Style: style,
				CustomID: buttonPrefix + guild + ":" + b.Command})
		}
		rows = append(rows, row)
	}
	return rows
}
