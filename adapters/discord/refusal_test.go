package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

// restError is the error discordgo returns for an HTTP answer.
func restError(status, code int, message string) *discordgo.RESTError {
	return &discordgo.RESTError{
		Response:     &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status))},
		ResponseBody: fmt.Appendf(nil, `{"message":%q,"code":%d}`, message, code),
		Message:      &discordgo.APIErrorMessage{Code: code, Message: message},
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"403 Missing Access", restError(403, 50001, "Missing Access"), true},
		{"403 Cannot send messages to this user", restError(403, 50007, "Cannot send messages to this user"), true},
		{"404 Unknown Channel", restError(404, 10003, "Unknown Channel"), true},
		{"404 Unknown Message", restError(404, 10008, "Unknown Message"), true},
		{"400 Invalid Form Body", restError(400, 50035, "Invalid Form Body"), true},
		{"401 Unauthorized", restError(401, 0, "401: Unauthorized"), true},
		{"wrapped 404", fmt.Errorf("discord: post in 1: %w", restError(404, 10003, "Unknown Channel")), true},
		{"unknown channel from the directory", fmt.Errorf("discord: channel 1: %w", errUnknownChannel), true},
		{"channel of another guild", fmt.Errorf("discord: channel 1: %w 2", errOtherGuild), true},
		{"429", restError(429, 0, "You are being rate limited."), false},
		{"rate limit error", &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{RetryAfter: time.Second}}}, false},
		{"500", restError(500, 0, "500: Internal Server Error"), false},
		{"502", restError(502, 0, "502: Bad Gateway"), false},
		{"503", restError(503, 0, "503: Service Unavailable"), false},
		{"connection refused", &url.Error{Op: "Post", URL: "https://discord.com/api/v9/channels/1/messages",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}, false},
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

// TestRefusalsReachTheCore: through discordgo and the fake, Discord's final
// answers come out of Post, React and Direct as bot.ErrRefused with the
// REST error still readable; 500s are retried and never a refusal.
func TestRefusalsReachTheCore(t *testing.T) {
	t.Parallel()
	fd := discordtest.New(t, discordtest.Options{Guilds: testGuilds()})
	a := run(t, fd, &recorder{})
	ctx := context.Background()
	msg := bot.Message{Lines: []bot.Line{{Text: "recap"}}}

	// A channel Discord does not know (404 Unknown Channel, 10003).
	if _, err := a.Post(ctx, ws, "990000000000000404", msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post to an unknown channel: %v, want bot.ErrRefused", err)
	}
	// A post Discord refuses (403 Missing Access).
	fd.InjectError("POST", "/channels/"+general+"/messages", 1, 403, false)
	_, err := a.Post(ctx, ws, general, msg)
	if rest, ok := errors.AsType[*discordgo.RESTError](err); !errors.Is(err, bot.ErrRefused) || !ok || rest.Response.StatusCode != 403 {
		t.Errorf("post answered 403: %v, want bot.ErrRefused with the 403", err)
	}
	// A reaction to a message Discord does not know (404 Unknown Message, 10008).
	err = a.React(ctx, ws, general, "990000000000010008", "💡")
	if rest, ok := errors.AsType[*discordgo.RESTError](err); !errors.Is(err, bot.ErrRefused) || !ok || rest.Message == nil || rest.Message.Code != 10008 {
		t.Errorf("reaction to an unknown message: %v, want bot.ErrRefused with 10008", err)
	}
	// A channel of another guild.
	if _, err := a.Post(ctx, ws, otherChan, msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("post in another guild's channel: %v, want bot.ErrRefused", err)
	}
	// A person who takes no DM (403, 50007 on Discord).
	fd.InjectError("POST", "/users/@me/channels", 1, 403, false)
	if err := a.Direct(ctx, ws, carol, msg); !errors.Is(err, bot.ErrRefused) {
		t.Errorf("direct message refused with 403: %v, want bot.ErrRefused", err)
	}

	// One 500, then a success: retried, the post goes.
	fd.InjectError("POST", "/channels/"+random+"/messages", 1, 500, false)
	if _, err := a.Post(ctx, ws, random, msg); err != nil {
		t.Errorf("post after one 500: %v", err)
	}
	// 500s past the retries: an error the core retries later, no refusal.
	fd.InjectError("POST", "/channels/"+random+"/messages", 10, 500, false)
	_, err = a.Post(ctx, ws, random, msg)
	if err == nil || errors.Is(err, bot.ErrRefused) || status(err) != 500 {
		t.Errorf("post answered 500 past the retries: %v, want a 500 that is not a refusal", err)
	}
	if got := len(fd.BotMessages(random)); got != 1 {
		t.Errorf("%d posts in #random, want 1", got)
	}
	if got := len(fd.BotMessages(general)); got != 0 {
		t.Errorf("%d posts in #general, want 0", got)
	}
}
