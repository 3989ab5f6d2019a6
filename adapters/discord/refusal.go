package discord

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/bot"
)

// errOtherGuild: the channel is not in the workspace's guild; tipbot never
// posts there.
var errOtherGuild = errors.New("not in the workspace's guild")

// refused reports whether err, from a REST call, is a permanent refusal
// that sending the same request again cannot fix: an HTTP 4xx answer other
// than 429 (403 Missing Access 50001 or Cannot send messages to this user
// 50007, 404 Unknown Channel 10003 or Unknown Message 10008, 400 Invalid
// Form Body…), a channel Discord said was unknown (the directory's
// errUnknownChannel), or a channel outside the workspace's guild. Network
// errors, 5xx answers and rate limits are not refusals.
func refused(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errOtherGuild) || errors.Is(err, errUnknownChannel) {
		return true
	}
	if _, ok := errors.AsType[*discordgo.RateLimitError](err); ok {
		return false
	}
	s := status(err)
	return s >= 400 && s < 500 && s != http.StatusTooManyRequests
}

// refusal marks err with bot.ErrRefused when it is a refusal for good; it
// returns other errors (and nil) as they are.
func refusal(err error) error {
	if refused(err) && !errors.Is(err, bot.ErrRefused) {
		return fmt.Errorf("%w: %w", bot.ErrRefused, err)
	}
	return err
}
