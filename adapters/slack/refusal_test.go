package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
)

func TestRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"channel_not_found", slackapi.SlackErrorResponse{Err: "channel_not_found"}, true},
		{"not_in_channel", slackapi.SlackErrorResponse{Err: "not_in_channel"}, true},
		{"is_archived", slackapi.SlackErrorResponse{Err: "is_archived"}, true},
		{"account_inactive", slackapi.SlackErrorResponse{Err: "account_inactive"}, true},
		{"user_not_found", slackapi.SlackErrorResponse{Err: "user_not_found"}, true},
		{"user_disabled", slackapi.SlackErrorResponse{Err: "user_disabled"}, true},
		{"cannot_dm_bot", slackapi.SlackErrorResponse{Err: "cannot_dm_bot"}, true},
		{"invalid_auth", slackapi.SlackErrorResponse{Err: "invalid_auth"}, true},
		{"token_revoked", slackapi.SlackErrorResponse{Err: "token_revoked"}, true},
		{"not_authed", slackapi.SlackErrorResponse{Err: "not_authed"}, true},
		{"msg_too_long", slackapi.SlackErrorResponse{Err: "msg_too_long"}, true},
		{"invalid_blocks", slackapi.SlackErrorResponse{Err: "invalid_blocks"}, true},
		{"no_text", slackapi.SlackErrorResponse{Err: "no_text"}, true},
		{"restricted_action", slackapi.SlackErrorResponse{Err: "restricted_action"}, true},
		{"message_not_found", slackapi.SlackErrorResponse{Err: "message_not_found"}, true},
		{"already_reacted (React takes it as success)", slackapi.SlackErrorResponse{Err: "already_reacted"}, true},
		{"too_many_reactions", slackapi.SlackErrorResponse{Err: "too_many_reactions"}, true},
		{"invalid_name", slackapi.SlackErrorResponse{Err: "invalid_name"}, true},
		{"wrapped not_in_channel", fmt.Errorf("slack: post to C1: %w", slackapi.SlackErrorResponse{Err: "not_in_channel"}), true},
		{"ratelimited", slackapi.SlackErrorResponse{Err: "ratelimited"}, false},
		{"internal_error", slackapi.SlackErrorResponse{Err: "internal_error"}, false},
		{"fatal_error", slackapi.SlackErrorResponse{Err: "fatal_error"}, false},
		{"service_unavailable", slackapi.SlackErrorResponse{Err: "service_unavailable"}, false},
		{"request_timeout", slackapi.SlackErrorResponse{Err: "request_timeout"}, false},
		{"429", &slackapi.RateLimitedError{RetryAfter: time.Second}, false},
		{"500", slackapi.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, false},
		{"503", slackapi.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, false},
		{"HTTP 429 without Retry-After", slackapi.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, false},
		{"HTTP 408", slackapi.StatusCodeError{Code: 408, Status: "408 Request Timeout"}, false},
		{"HTTP 404", slackapi.StatusCodeError{Code: 404, Status: "404 Not Found"}, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, false},
		{"unexpected EOF", io.ErrUnexpectedEOF, false},
		{"deadline", context.DeadlineExceeded, false},
		{"cancelled", context.Canceled, false},
	} {
		if got := refused(c.err); got != c.want {
			t.Errorf("refused(%s: %v) = %v, want %v", c.name, c.err, got, c.want)
		}
		if got := errors.Is(refusal(c.err), bot.ErrRefused); got != c.want {
			t.Errorf("refusal(%s) marked %v, want %v", c.name, got, c.want)
		}
	}
}

// TestRefusalsReachTheCore: through the real client and the fake, Slack's
// final answers come out of Post, React and Direct as bot.ErrRefused, with
// Slack's error still readable; a 500 is retried and never a refusal.
func TestRefusalsReachTheCore(t *testing.T) {
	t.Parallel()
	s := newFake(t, slacktest.Options{})
	a := start(t, s, &recorder{}, setup{tweak: func(a *Adapter) { a.retryWait = time.Millisecond }})
	ctx := context.Background()
	msg := bot.Message{Lines: []bot.Line{{Text: "recap"}}}

	s.FailNextWith("chat.postMessage", 1, http.StatusOK, "not_in_channel")
	_, err := a.Post(ctx, team, general, msg)
	if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); !errors.Is(err, bot.ErrRefused) || !ok || se.Err != "not_in_channel" {
		t.Errorf("post answered not_in_channel: %v, want bot.ErrRefused with not_in_channel", err)
	}
	if _, err := a.Post(ctx, team, "C0NOWHERE", msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post to a missing channel: %v, want bot.ErrRefused", err)
	}
	s.FailNextWith("chat.postMessage", 1, http.StatusOK, "is_archived")
	if _, err := a.Post(ctx, team, general, bot.Message{Lines: msg.Lines, File: &bot.File{Name: "a.txt", Data: []byte("a")}}); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post with a file to an archived channel: %v, want bot.ErrRefused", err)
	}
	if err := a.Direct(ctx, team, "U0NOBODY", msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("direct message to an unknown person: %v, want bot.ErrRefused", err)
	}
	ts, err := a.Post(ctx, team, train, msg)
	if err != nil {
		t.Fatal(err)
	}
	s.FailNextWith("reactions.add", 1, http.StatusOK, "message_not_found")
	if err := a.React(ctx, team, train, ts, "bulb"); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("reaction to a missing message: %v, want bot.ErrRefused", err)
	}
	s.FailNextWith("reactions.add", 1, http.StatusOK, "already_reacted")
	if err := a.React(ctx, team, train, ts, "bulb"); err != nil {
		t.Errorf("already_reacted: %v, want success", err)
	}

	// A 500, then a success: retried, the post goes.
	s.FailNextWith("chat.postMessage", 1, http.StatusInternalServerError, "internal_error")
	if _, err := a.Post(ctx, team, fame, msg); err != nil {
		t.Errorf("post after one 500: %v", err)
	}
	// 500s past the retries: an error the core retries later, no refusal.
	s.FailNextWith("reactions.add", maxTransientRetries+1, http.StatusInternalServerError, "internal_error")
	err = a.React(ctx, team, train, ts, "tada")
	if sc, ok := errors.AsType[slackapi.StatusCodeError](err); !ok || sc.Code != 500 || errors.Is(err, bot.ErrRefused) {
		t.Errorf("reaction answered 500 %d times: %v, want a 500 that is not a refusal", maxTransientRetries+1, err)
	}
	// internal_error with HTTP 200: Slack could not act for now.
	s.FailNextWith("chat.postMessage", 1, http.StatusOK, "internal_error")
	if _, err := a.Post(ctx, team, fame, msg); err == nil || errors.Is(err, bot.ErrRefused) {
		t.Errorf("post answered internal_error: %v, want an error that is not a refusal", err)
	}
	if got := len(s.BotMessages(fame)); got != 1 {
		t.Errorf("%d posts in #hall-of-fame, want 1", got)
	}
}
