package discord

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/bot"
)

func noLink(bot.MessageRef) string { return "" }

func TestRenderShapes(t *testing.T) {
	t.Parallel()
	link := func(r bot.MessageRef) string { return jumpURL(guildID, r.Channel, r.MessageID) }

	if got := render(bot.Message{Lines: []bot.Line{{Text: "Usage: /tips top [week|month]"}}}, link); len(got) != 1 ||
		got[0].Content != "Usage: /tips top [week|month]" || got[0].Embeds != nil {
		t.Errorf("one line = %+v", got)
	}
	if got := render(bot.Message{}, link); got != nil {
		t.Errorf("empty message = %+v", got)
	}
	got := render(bot.Message{Lines: []bot.Line{{Text: "first\nline"}, {Text: "t3", Ref: &bot.MessageRef{Channel: general, MessageID: "5"}}}}, link)
	if len(got) != 1 || got[0].Content != "first\nline" || len(got[0].Embeds) != 1 || got[0].Embeds[0].Title != "" ||
		got[0].Embeds[0].Description != "t3 [↗](https://discord.com/channels/"+guildID+"/"+general+"/5)" {
		t.Errorf("untitled lines = %+v %+v", got, got[0].Embeds)
	}
	got = render(bot.Message{Title: "Top", Lines: []bot.Line{{Text: "1. a"}, {Text: "2. b"}}}, link)
	if len(got) != 1 || got[0].Content != "Top" || len(got[0].Embeds) != 1 || got[0].Embeds[0].Title != "" || got[0].Embeds[0].Description != "1. a\n2. b" {
		t.Errorf("titled lines = %+v %+v", got, got[0].Embeds)
	}
	got = render(bot.Message{Lines: []bot.Line{{Text: "see", Ref: &bot.MessageRef{Channel: general, MessageID: "5"}}}}, noLink)
	if len(got) != 1 || got[0].Content != "" || got[0].Embeds[0].Description != "see" {
		t.Errorf("a line whose link is unknown = %+v", got)
	}
	got = render(bot.Message{Title: "Export", File: &bot.File{Name: "tips.csv", Data: []byte("a,b\n")}}, link)
	if len(got) != 1 || len(got[0].Files) != 1 || got[0].Files[0].ContentType != "application/octet-stream" || got[0].Content != "Export" {
		t.Errorf("file = %+v", got)
	}
	if b, _ := io.ReadAll(got[0].Files[0].Reader); string(b) != "a,b\n" {
		t.Errorf("file data = %q", b)
	}
	if got := render(bot.Message{Lines: []bot.Line{{Text: "bad \xff byte"}}}, link); got[0].Content != "bad � byte" {
		t.Errorf("invalid UTF-8 = %q", got[0].Content)
	}
}

// TestRenderSplitsWithinDiscordLimits: a long report is split into embeds
// of at most 4096 units, at most 6000 per message and 10 embeds each,
// keeping every line once and in order.
func TestRenderSplitsWithinDiscordLimits(t *testing.T) {
	t.Parallel()
	var m bot.Message
	m.Title = strings.Repeat("T", 300)
	var want []string
	for i := range 400 {
		line := strings.Repeat("é", 40) + " tip 🎉 " + string(rune('a'+i%26))
		m.Lines = append(m.Lines, bot.Line{Text: line})
		want = append(want, line)
	}
	m.Lines = append(m.Lines, bot.Line{Text: strings.Repeat("x", 5000)})
	out := render(m, noLink)
	var lines []string
	for i, om := range out {
		total := 0
		if len(om.Embeds) > maxEmbeds || units(om.Content) > maxContent {
			t.Errorf("message %d: %d embeds, content %d", i, len(om.Embeds), units(om.Content))
		}
		for _, e := range om.Embeds {
			if units(e.Description) > maxDescription || units(e.Title) > maxTitle {
				t.Errorf("embed over limits: title %d description %d", units(e.Title), units(e.Description))
			}
			total += units(e.Title) + units(e.Description)
			if e.Description != "" {
				lines = append(lines, strings.Split(e.Description, "\n")...)
			}
		}
		if total > maxEmbedTotal {
			t.Errorf("message %d: %d units of embeds", i, total)
		}
	}
	if len(out) < 2 || units(out[0].Content) != maxTitle {
		t.Errorf("%d messages, title %d units", len(out), units(out[0].Content))
	}
	if len(lines) != len(want)+1 {
		t.Fatalf("%d lines out, want %d", len(lines), len(want)+1)
	}
	for i, l := range want {
		if lines[i] != l {
			t.Fatalf("line %d = %q, want %q", i, lines[i], l)
		}
	}
	if last := lines[len(lines)-1]; units(last) != maxDescription || !strings.HasSuffix(last, "…") {
		t.Errorf("huge line kept %d units", units(last))
	}
}

func TestInviteURL(t *testing.T) {
	t.Parallel()
	a, err := New(Config{Token: discordtest.Token}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(a.InviteURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "discord.com" || u.Path != "/oauth2/authorize" || q.Get("client_id") != discordtest.AppID ||
		q.Get("scope") != "bot applications.commands" || q.Get("permissions") != "274878024768" {
		t.Errorf("invite URL = %s", a.InviteURL())
	}
	// View Channels, Send Messages, Send Messages in Threads, Embed Links,
	// Attach Files, Read Message History, Add Reactions.
	if want := int64(1<<10 | 1<<11 | 1<<38 | 1<<14 | 1<<15 | 1<<16 | 1<<6); InvitePermissions != want {
		t.Errorf("InvitePermissions = %d, want %d", InvitePermissions, want)
	}
	b, _ := New(Config{Token: "not-a-discord-token"}, &recorder{})
	if b.InviteURL() != "" {
		t.Errorf("invite URL without an application id = %q", b.InviteURL())
	}
}

func TestAPIEmoji(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"💡": "💡", " 👍 ": "👍", "<:tipbot:123>": "tipbot:123", "<a:party:456>": "party:456", ":tipbot:123": "tipbot:123", "tipbot:123": "tipbot:123",
	} {
		if got := apiEmoji(in); got != want {
			t.Errorf("apiEmoji(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRewriterSendsDiscordTrafficElsewhere: requests to discord.com reach
// the api_url host (with its path prefix); others are left alone.
func TestRewriterSendsDiscordTrafficElsewhere(t *testing.T) {
	t.Parallel()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Host+" "+r.URL.EscapedPath())
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/proxy/")
	c := &http.Client{Transport: newRewriter(base, newPacer(1000, 10), http.DefaultTransport)}
	for _, u := range []string{"https://discord.com/api/v9/users/@me", "https://discord.com/api/v9/channels/1/messages/2/reactions/%F0%9F%92%A1/@me", srv.URL + "/direct"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	want := []string{host + " /proxy/api/v9/users/@me", host + " /proxy/api/v9/channels/1/messages/2/reactions/%F0%9F%92%A1/@me", host + " /direct"}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
}

// TestPacerStaysUnderTheGlobalLimit (synctest: exact fake time): after a
// burst, requests go one per interval, any one-second window holds at most
// burst + rate of them; a long queue is waited out whatever the deadline,
// which fails a request only once reached; a cancelled wait returns at once.
func TestPacerStaysUnderTheGlobalLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(200, 5)
		began := time.Now()
		for i := range 60 {
			if err := p.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			// The first 5 at once, then one every 5 ms.
			if got, want := time.Since(began), time.Duration(max(i-4, 0))*5*time.Millisecond; got != want {
				t.Errorf("request %d went after %v, want %v", i, got, want)
			}
		}

		// The production pace: 2,000 requests at once go in 49.875 s
		// ((2000-5)/40), never more than 45 in one second.
		p = newPacer(globalRate, globalBurst)
		began = time.Now()
		went := make([]time.Duration, 2000)
		var wg sync.WaitGroup
		for i := range went {
			wg.Go(func() {
				if err := p.wait(context.Background()); err != nil {
					t.Error(err)
				}
				went[i] = time.Since(began)
			})
		}
		wg.Wait()
		slices.Sort(went)
		if last, want := went[len(went)-1], 49875*time.Millisecond; last != want {
			t.Errorf("last of 2000 requests went after %v, want %v", last, want)
		}
		for i := range went {
			n := 0
			for j := i; j < len(went) && went[j]-went[i] < time.Second; j++ {
				n++
			}
			if n > globalBurst+globalRate {
				t.Fatalf("%d requests within one second from %v", n, went[i])
			}
		}

		// 10 s of queue ahead and a 3 s deadline: the wait lasts 3 s.
		for range 400 {
			wg.Go(func() {
				if err := p.wait(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait() // all 400 are booked
		began = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := p.wait(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(began) != 3*time.Second {
			t.Errorf("wait past the deadline = %v after %v, want the deadline after 3s", err, time.Since(began))
		}
		ctx, cancel = context.WithCancel(context.Background())
		cancel()
		if err := p.wait(ctx); !errors.Is(err, context.Canceled) || time.Since(began) != 3*time.Second {
			t.Errorf("wait on a cancelled context = %v after %v", err, time.Since(began)-3*time.Second)
		}
		wg.Wait()
	})
}

// roundTripFunc is an http.RoundTripper that answers without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRequestTimeoutStartsAfterThePacer (synctest): a request that waited
// a minute for its turn still goes; one the server never answers fails
// requestTimeout after it went.
func TestRequestTimeoutStartsAfterThePacer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		began := time.Now()
		var wentAt []time.Duration
		hang := false
		next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			wentAt = append(wentAt, time.Since(began))
			if hang {
				<-r.Context().Done()
				return nil, r.Context().Err()
			}
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
		})
		c := &http.Client{Transport: newRewriter(nil, newPacer(1, 1), next)}
		for range 62 {
			resp, err := c.Get("https://discord.com/api/v9/users/@me")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if got := wentAt[len(wentAt)-1]; got != 61*time.Second {
			t.Errorf("62nd request at 1/s went after %v, want 61s", got)
		}
		hang = true
		began = time.Now()
		_, err := c.Get("https://discord.com/api/v9/users/@me")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("unanswered request = %v, want a timeout", err)
		}
		if got, want := time.Since(began), time.Second+requestTimeout; got != want {
			t.Errorf("unanswered request failed after %v, want %v (1 s in the pacer, then the timeout)", got, want)
		}
	})
}

// TestRenderReferenceParts: the people and channels a core message names
// are written in Discord's markup (<@1>, <#2>) when it is sent, and a post
// still pings only the person it credits (allowed_mentions).
func TestRenderReferenceParts(t *testing.T) {
	t.Parallel()
	m := bot.Message{
		TitleParts: []bot.Part{{Text: "Report, "}, bot.ChannelRef("200")},
		Lines:      []bot.Line{{Parts: []bot.Part{bot.Mention("100"), {Text: " and "}, bot.Mention("101"), {Text: " in "}, bot.ChannelRef("201")}}, {Text: "stored <#202>"}},
		Credit:     "101",
	}
	got := render(m, noLink)
	if len(got) != 1 || got[0].Content != "Report, <#200>" || len(got[0].Embeds) != 1 ||
		got[0].Embeds[0].Description != "<@100> and <@101> in <#201>\nstored <#202>" {
		t.Fatalf("render = %+v", got)
	}
	am := allowedMentions(m)
	if len(am.Parse) != 0 || len(am.Users) != 1 || am.Users[0] != "101" {
		t.Errorf("allowed mentions = %+v, want only the credited 101", am)
	}
	if am := allowedMentions(bot.Message{Lines: m.Lines}); len(am.Parse) != 0 || len(am.Users) != 0 || len(am.Roles) != 0 {
		t.Errorf("allowed mentions without credit = %+v, want nobody", am)
	}
}
