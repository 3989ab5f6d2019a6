package slack

import (
	"errors"
	"fmt"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// retryableErrors are the `ok:false` errors of the Web API that say Slack
// could not act for now; every other one (channel_not_found,
// not_in_channel, is_archived, account_inactive, user_not_found,
// cannot_dm_bot, invalid_auth, token_revoked, msg_too_long, invalid_blocks,
// restricted_action, message_not_found, too_many_reactions, invalid_name…)
// is Slack's final answer to that request.
var retryableErrors = map[string]bool{
	"ratelimited":         true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// refused reports whether err, from a Web API call, is a permanent refusal
// that sending the same request again cannot fix: an `ok:false` answer
// other than the retryable ones above, or an HTTP 4xx other than 408, 425
// and 429. Network errors, 5xx answers and 429s are not refusals.
// already_reacted is a refusal too, but React treats it as success before
// asking.
func refused(err error) bool {
	if err == nil {
		return false
	}
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
		return se.Err != "" && !retryableErrors[se.Err]
	}
	if sc, ok := errors.AsType[slackapi.StatusCodeError](err); ok {
		switch sc.Code {
		case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
			return false
		}
		return sc.Code >= 400 && sc.Code < 500
	}
	return false
}

// refusal marks err with bot.ErrRefused when Slack refused the call for
// good; it returns other errors (and nil) as they are.
func refusal(err error) error {
	if refused(err) && !errors.Is(err, bot.ErrRefused) {
		return fmt.Errorf("%w: %w", bot.ErrRefused, err)
	}
	return err
}
