package discord

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// discordEpoch is the first millisecond of Discord's snowflakes.
const discordEpoch = 1420070400000

// maxHistory bounds how many messages one channel's recovery reads.
const maxHistory = 50000

// snowflakeAt returns the smallest snowflake of an instant, for "after".
func snowflakeAt(t time.Time) string {
	ms := t.UnixMilli() - discordEpoch
	if ms <= 0 {
		return "0"
	}
	return strconv.FormatUint(uint64(ms)<<22-1, 10)
}

// History implements bot.History with GET /channels/{id}/messages?after=
// (pages of 100) and, for each emoji a message carries, the people who
// hold it (GET .../reactions/{emoji}, pages of 100; the bot's own left out).
// Requests go through the adapter's pacer and 429s are waited out.
// Reactions keep their variant (👍🏽 is not 👍), as live events do.
func (a *Adapter) History(ctx context.Context, ws bot.Workspace, channel string, since time.Time, fn func(bot.HistoryMessage) error) error {
	if ws.Platform != Platform {
		return fmt.Errorf("discord: history of a %s workspace", ws.Platform)
	}
	if a.isRemoved(ws.ID) {
		return fmt.Errorf("discord: history of %s: %w", channel, bot.ErrRefused)
	}
	after := snowflakeAt(since)
	self := a.selfID()
	read := 0
	for read < maxHistory {
		page, err := a.s.ChannelMessages(channel, 100, "", after, "", discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("discord: history of %s: %w", channel, err)
		}
		if len(page) == 0 {
			return nil
		}
		slices.SortFunc(page, func(x, y *discordgo.Message) int { return compareSnowflakes(x.ID, y.ID) })
		for _, m := range page {
			read++
			if m.Author == nil {
				continue
			}
			hm := bot.HistoryMessage{MessageID: m.ID, Text: m.Content, Author: bot.User{ID: m.Author.ID,
				Name: displayName(m.Author, m.Member), Bot: m.Author.Bot || m.Author.System || m.WebhookID != ""}}
			for _, r := range m.Reactions {
				if r.Emoji == nil || r.Count == 0 || (r.Count == 1 && r.Me) {
					continue
				}
				users, err := a.reactors(ctx, channel, m.ID, r.Emoji, self)
				if err != nil {
					return err
				}
				if len(users) > 0 {
					hm.Reactions = append(hm.Reactions, bot.Reaction{Emoji: r.Emoji.Name, Variant: r.Emoji.Name, Users: users})
				}
			}
			if err := fn(hm); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
		if len(page) < 100 {
			return nil
		}
	}
	return nil
}

// reactors lists the people holding an emoji on a message, self left out.
func (a *Adapter) reactors(ctx context.Context, channel, messageID string, e *discordgo.Emoji, self string) ([]string, error) {
	name := e.Name
	if e.ID != "" {
		name = e.Name + ":" + e.ID
	}
	var out []string
	after := ""
	for {
		users, err := a.s.MessageReactions(channel, messageID, name, 100, "", after, discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("discord: reactions %s on %s: %w", e.Name, messageID, err)
		}
		for _, u := range users {
			if u.ID != self && !u.Bot {
				out = append(out, u.ID)
			}
		}
		if len(users) < 100 {
			return out, nil
		}
		after = users[len(users)-1].ID
	}
}

// compareSnowflakes orders snowflakes (decimal strings) by value.
func compareSnowflakes(x, y string) int {
	if len(x) != len(y) {
		return len(x) - len(y)
	}
	return cmp.Compare(x, y)
}
