package discord

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// maxUpload is the largest attachment sent; Discord refuses bigger ones
// from bots in servers without boosts.
const maxUpload = 10 << 20

// noMentions keeps tipbot's messages from pinging anyone (a tip quoting
// "@everyone" must not notify the server).
var noMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}

// startInteraction answers an interaction on its own goroutine, so a slow
// core never delays the gateway.
func (a *Adapter) startInteraction(ic *discordgo.Interaction) {
	received := time.Now()
	if _, seen := a.interactions.Get(ic.ID); seen {
		// Replayed by a resume: it was answered already (Discord accepts
		// one answer), and the core would ignore it anyway.
		a.log.Debug("discord: replayed interaction ignored", "id", ic.ID)
		return
	}
	a.interactions.Add(ic.ID, struct{}{})
	a.stopMu.RLock()
	if a.stopped {
		a.stopMu.RUnlock()
		return
	}
	a.inflight.Add(1)
	a.stopMu.RUnlock()
	go func() {
		defer a.inflight.Done()
		if ic.Type == discordgo.InteractionApplicationCommandAutocomplete {
			a.autocomplete(a.work, ic)
			return
		}
		a.interact(a.work, ic, received)
	}()
}

// interact hands an interaction to the core and answers it privately
// (ephemeral). The answer goes once the core has committed; if that takes
// longer than deferAfter, Discord is first told to show "thinking..." and
// the answer replaces it. Failures are answered too: Discord never shows
// "This interaction failed".
func (a *Adapter) interact(ctx context.Context, ic *discordgo.Interaction, received time.Time) {
	tx := textsFor(string(ic.Locale))
	ev, err := a.tr.interaction(ctx, ic)
	if err != nil {
		text := tx.unknown
		if errors.Is(err, errNotGuild) {
			text = tx.guildOnly
		}
		a.log.Info("discord: interaction not understood", "id", ic.ID, "err", err)
		a.answer(ctx, ic, tx, &bot.Message{Lines: []bot.Line{{Text: text}}}, false)
		return
	}
	type result struct {
		reply bot.Reply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		r, err := a.handle(ctx, ev)
		done <- result{r, err}
		a.noteMembers(ctx)
	}()
	timer := time.NewTimer(max(a.deferAfter-time.Since(received), 0))
	defer timer.Stop()
	deferred := false
	var res result
	select {
	case res = <-done:
	case <-timer.C:
		err := a.s.InteractionRespond(ic, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}, discordgo.WithContext(ctx))
		if err != nil {
			a.log.Warn("discord: deferring an interaction failed", "id", ic.ID, "err", err)
		}
		deferred = err == nil
		res = <-done
	}
	reply := res.reply
	switch {
	case res.err != nil:
		a.log.Error("discord: command failed", "id", ic.ID, "err", res.err)
		reply = &bot.Message{Lines: []bot.Line{{Text: tx.failed}}}
	case reply == nil:
		reply = &bot.Message{Lines: []bot.Line{{Text: tx.done}}}
	}
	if res.err == nil && a.contentNotice(ev, time.Now()) {
		m := *reply
		m.Lines = append(append([]bot.Line(nil), m.Lines...), bot.Line{Text: tx.noContent})
		reply = &m
	}
	a.answer(ctx, ic, tx, reply, deferred)
}

// answer sends a reply as the interaction's (ephemeral) response, or as
// the edit of its deferred response; what does not fit one message
// follows as ephemeral follow-ups. A file over Discord's limit is replaced
// by a sentence saying so.
func (a *Adapter) answer(ctx context.Context, ic *discordgo.Interaction, tx texts, reply bot.Reply, deferred bool) {
	m := *reply
	if m.File != nil && len(m.File.Data) > maxUpload {
		m.File = nil
		m.Lines = append(m.Lines, bot.Line{Text: tx.tooLarge})
	}
	msgs := render(m, a.link(ctx, ic.GuildID))
	if len(msgs) == 0 {
		msgs = render(bot.Message{Lines: []bot.Line{{Text: tx.done}}}, a.link(ctx, ic.GuildID))
	}
	first := msgs[0]
	var err error
	if deferred {
		embeds := first.Embeds
		if embeds == nil {
			embeds = []*discordgo.MessageEmbed{}
		}
		_, err = a.s.InteractionResponseEdit(ic, &discordgo.WebhookEdit{
			Content: &first.Content, Embeds: &embeds, Files: first.Files, AllowedMentions: noMentions,
		}, discordgo.WithContext(ctx))
	} else {
		err = a.s.InteractionRespond(ic, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{
				Content: first.Content, Embeds: first.Embeds, Files: first.Files,
				Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions,
			},
		}, discordgo.WithContext(ctx))
	}
	if err != nil {
		if first.Files != nil && status(err) == http.StatusRequestEntityTooLarge {
			m.File = nil
			m.Lines = append(m.Lines, bot.Line{Text: tx.tooLarge})
			a.answer(ctx, ic, tx, &m, deferred)
			return
		}
		a.log.Error("discord: answering an interaction failed", "id", ic.ID, "err", err)
		return
	}
	for _, om := range msgs[1:] {
		_, err := a.s.FollowupMessageCreate(ic, true, &discordgo.WebhookParams{
			Content: om.Content, Embeds: om.Embeds, Files: om.Files,
			Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions,
		}, discordgo.WithContext(ctx))
		if err != nil {
			a.log.Error("discord: interaction follow-up failed", "id", ic.ID, "err", err)
			return
		}
	}
}

// status returns the HTTP status of a REST error, or 0.
func status(err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Response != nil {
		return rest.Response.StatusCode
	}
	return 0
}
