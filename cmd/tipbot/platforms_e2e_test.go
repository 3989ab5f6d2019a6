package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/discord/discordtest"
	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// These tests are issues 3 and 4's "Done when", tried as a new user would:
// the real tipbot binary (with the race detector under go test -race),
// configured by a YAML file and tokens in the environment, talks to a fake
// Slack and a fake Discord on 127.0.0.1 through slack.api_url and
// discord.api_url. What they check is what a user sees: the bot's
// reactions and posts, the private answers to commands, /healthz, the exit
// code, the log, and the export after a stop.

// The fake Slack workspace.
const (
	psTeam    = "T0TEAM001" // slacktest's default team
	psAlice   = "U0ALICE01"
	psBob     = "U0BOB0001"
	psCarol   = "U0CAROL01"
	psDave    = "U0DAVE001"
	psGeneral = "C0GENERAL"
	psFame    = "C0FAME001"
	psBotUser = "U0TIPBOT1" // slacktest's default bot user
	// Secrets of the fakes: they must reach Slack and never the log.
	psBotToken = "xoxb-e2e-5ecret-bot-token"
	psAppToken = "xapp-e2e-5ecret-app-token"
	psSigning  = "e2e5ecret0signing0secret0abcdef1"
)

// The fake Discord server.
const (
	pdGuild   = "930000000000000001"
	pdGeneral = "931000000000000001"
	pdFame    = "931000000000000002"
	pdAlice   = "830000000000000001"
	pdBob     = "830000000000000002"
	pdCarol   = "830000000000000003"
)

// TestPlatformsEndToEnd builds tipbot once and runs the scenarios on it, in
// parallel.
func TestPlatformsEndToEnd(t *testing.T) {
	t.Parallel()
	start := time.Now()
	bin := platBuild(t)
	t.Logf("go build (race detector %v): %v", platRace(), time.Since(start).Round(time.Millisecond))
	t.Run("SlackSocketAndDiscordOneDatabase", func(t *testing.T) {
		t.Parallel()
		testSlackAndDiscord(t, bin)
	})
	t.Run("SlackHTTPMode", func(t *testing.T) {
		t.Parallel()
		testSlackHTTP(t, bin)
	})
	t.Run("ForcedReconnects", func(t *testing.T) {
		t.Parallel()
		testReconnects(t, bin)
	})
}

// testSlackAndDiscord is one tipbot process serving a Slack workspace (in
// socket mode) and a Discord server from one database: captures, votes
// with a duplicate delivery and a removal, the hall of fame once, /tips top
// answered privately on each platform with that platform's tips only, the
// Discord commands registered, a clean stop and the export.
func testSlackAndDiscord(t *testing.T, bin string) {
	began := time.Now()
	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := platSlack(t)
	fd := platDiscord(t, discordtest.Options{})
	p := startTipbot(t, bin, dir, fmt.Sprintf(`# tipbot on Slack and Discord at once
store:
  path: %s
slack:
  enabled: true
  mode: socket
  bot_token: ${SLACK_BOT_TOKEN}
  app_token: ${SLACK_APP_TOKEN}
  api_url: %s
discord:
  enabled: true
  token: ${DISCORD_BOT_TOKEN}
  api_url: %s
  guild_ids: ["%s"]
recognition:
  threshold: 2
  hall_of_fame_channel: {slack: %s, discord: "%s"}
http:
  addr: 127.0.0.1:0
`, db, s.URL(), fd.URL, pdGuild, psFame, pdFame),
		"SLACK_BOT_TOKEN="+psBotToken, "SLACK_APP_TOKEN="+psAppToken, "DISCORD_BOT_TOKEN="+discordtest.Token)
	health := p.waitHealthy(t)
	e2eContains(t, "/healthz", health, "store: ok", "slack: connected", "discord: connected")
	t.Logf("tipbot healthy after %v", time.Since(began).Round(time.Millisecond))
	e2eContains(t, "tipbot's log", p.log(), "https://discord.com/oauth2/authorize?client_id="+discordtest.AppID)

	// The Discord commands are registered in the configured guild.
	fd.Wait(t, "the commands to be registered in the guild", func() bool { return fd.Commands(pdGuild) != nil })
	var cmds []struct {
		Name string `json:"name"`
		Type int    `json:"type"`
	}
	if err := json.Unmarshal(fd.Commands(pdGuild), &cmds); err != nil {
		t.Fatalf("registered commands: %v", err)
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	for _, want := range []string{"tip", "tips", "Save as tip"} {
		if !slices.Contains(names, want) {
			t.Errorf("registered commands %v lack %q", names, want)
		}
	}

	// Slack: a tip by prefix, another by the 🔖 reaction on someone's
	// message, each acknowledged with 💡 once committed.
	bisect := s.Say(psGeneral, psAlice, "tip: use git bisect to find regressions #git")
	small := s.Say(psGeneral, psCarol, "keep pull requests small")
	s.React(psGeneral, small, psDave, "bookmark")
	platSlackAck(t, s, "the prefix tip", bisect)
	platSlackAck(t, s, "the reaction tip", small)
	// Votes: bob and carol (skin tone folded), not alice on her own tip;
	// dave's star is taken back. Then Slack delivers bob's vote and dave's
	// (removed) star again, with the same event ids: nothing changes.
	platSlackSettle(t, s)
	bobVote := platSlackReact(t, s, bisect, psBob, "bulb")
	s.React(psGeneral, bisect, psCarol, "+1::skin-tone-3")
	s.React(psGeneral, bisect, psAlice, "bulb")
	daveVote := platSlackReact(t, s, bisect, psDave, "star")
	s.Unreact(psGeneral, bisect, psDave, "star")
	s.React(psGeneral, small, psAlice, "+1")
	platSlackSettle(t, s)
	for _, id := range []string{bobVote, daveVote} {
		s.Redeliver(id)
	}
	platSlackSettle(t, s)
	for _, id := range []string{bobVote, daveVote} {
		if n := s.Deliveries(id); n != 2 || !s.AllAcked(id) {
			t.Errorf("Slack event %s: delivered %d times, all acknowledged %v; want 2, true", id, n, s.AllAcked(id))
		}
	}

	// Discord: a tip by prefix, votes 💡 and 👍, the author's own vote and
	// a removed ⭐ that do not count.
	testing1 := fd.Say(pdGeneral, pdAlice, "tip: write the test before the fix #testing")
	fd.Wait(t, "the 💡 on the Discord tip", func() bool { return fd.HasReaction(testing1.ID, "💡") })
	fd.React(testing1.ID, pdBob, "💡")
	fd.React(testing1.ID, pdCarol, "👍")
	fd.React(testing1.ID, pdAlice, "💡")
	fd.React(testing1.ID, pdCarol, "⭐")
	fd.Unreact(testing1.ID, pdCarol, "⭐")
	// The "Save as tip" context-menu command on someone's message.
	squash := fd.Say(pdGeneral, pdCarol, "squash fixups before merging")
	saved := platDiscordAnswer(t, fd, discordtest.Command{Guild: pdGuild, Channel: pdGeneral, User: pdBob, Name: "Save as tip", Target: squash.ID})
	e2eContains(t, "the answer to Save as tip", saved, "t2")
	fd.Wait(t, "the 💡 on the saved tip", func() bool { return fd.HasReaction(squash.ID, "💡") })
	// Events of a channel are applied in order: once the next tip is
	// acknowledged, every vote before it is counted.
	branches := fd.Say(pdGeneral, pdBob, "tip: name branches after tickets")
	fd.Wait(t, "the 💡 on the last Discord tip", func() bool { return fd.HasReaction(branches.ID, "💡") })

	// The hall of fame, once on each platform, with that platform's tip.
	fd.Wait(t, "the Discord hall of fame", func() bool { return len(fd.BotMessages(pdFame)) > 0 })
	if !s.WaitFor(10*time.Second, func() bool { return len(s.BotMessages(psFame)) > 0 }) {
		t.Errorf("no Slack hall of fame post")
	}

	// /tips top, privately, each platform with its own tips and exact votes.
	slackTop := platSlackAnswer(t, s, s.Command(psGeneral, psBob, "/tips", "top"))
	platVotes(t, "Slack /tips top", slackTop.Text, map[string]int{"use git bisect to find regressions": 2, "keep pull requests small": 1})
	platLacks(t, "Slack /tips top", slackTop.Text, "write the test", "name branches")
	discordTop := platDiscordAnswer(t, fd, discordtest.Command{Guild: pdGuild, Channel: pdGeneral, User: pdCarol, Name: "tips",
		Options: []discordtest.Option{discordtest.Sub("top")}})
	platVotes(t, "Discord /tips top", discordTop, map[string]int{"write the test before the fix": 2, "squash fixups": 0, "name branches after tickets": 0})
	platLacks(t, "Discord /tips top", discordTop, "git bisect", "pull requests")
	// Search and the other read-only commands: private, and blind to the
	// other platform's workspace.
	for _, c := range []struct{ text, want, lacks string }{
		{"help", "/tips top", ""},
		{"top week", "git bisect", "write the test"},
		{"search bisect", "git bisect", ""},
		{"search branches", "", "name branches"},
		{"me", "", "write the test"},
		{"experts git", "Alice", ""},
	} {
		got := platSlackAnswer(t, s, s.Command(psGeneral, psAlice, "/tips", c.text)).Text
		e2eContains(t, "Slack /tips "+c.text, got, c.want)
		if c.lacks != "" {
			platLacks(t, "Slack /tips "+c.text, got, c.lacks)
		}
	}
	for _, c := range []struct {
		sub         discordtest.Option
		want, lacks string
	}{
		{discordtest.Sub("help"), "/tips top", ""},
		{discordtest.Sub("top", discordtest.Str("period", "week")), "write the test", "git bisect"},
		{discordtest.Sub("search", discordtest.Str("words", "branches")), "name branches", ""},
		{discordtest.Sub("search", discordtest.Str("words", "bisect")), "", "git bisect"},
		{discordtest.Sub("me"), "", "git bisect"},
		{discordtest.Sub("experts", discordtest.Str("topic", "testing")), "alice", ""},
	} {
		got := platDiscordAnswer(t, fd, discordtest.Command{Guild: pdGuild, Channel: pdGeneral, User: pdAlice, Name: "tips",
			Options: []discordtest.Option{c.sub}})
		e2eContains(t, "Discord /tips "+c.sub.Name, got, c.want)
		if c.lacks != "" {
			platLacks(t, "Discord /tips "+c.sub.Name, got, c.lacks)
		}
	}
	// Nothing was posted in the channels but the tips' acknowledgements.
	for _, m := range s.BotMessages(psGeneral) {
		t.Errorf("Slack: bot message in #general: %q", m.Text)
	}
	for _, m := range fd.BotMessages(pdGeneral) {
		t.Errorf("Discord: bot message in #general: %q", m.Text())
	}

	// The stop, then the hall of fame was posted once on each platform.
	p.stop(t)
	platOnce(t, "Slack hall of fame", platSlackTexts(s.BotMessages(psFame)), "git bisect")
	platOnce(t, "Discord hall of fame", platDiscordTexts(fd.BotMessages(pdFame)), "write the test")
	platSlackClean(t, s)

	got := platExport(t, bin, dir, db)
	platWantTips(t, got, []platTip{
		{"slack", psTeam, psGeneral, bisect, "use git bisect to find regressions #git", "prefix", 2},
		{"slack", psTeam, psGeneral, small, "keep pull requests small", "reaction", 1},
		{"discord", pdGuild, pdGeneral, testing1.ID, "write the test before the fix #testing", "prefix", 2},
		{"discord", pdGuild, pdGeneral, squash.ID, "squash fixups before merging", "shortcut", 0},
		{"discord", pdGuild, pdGeneral, branches.ID, "name branches after tickets", "prefix", 0},
	})
	t.Logf("Slack and Discord scenario: %v", time.Since(began).Round(time.Millisecond))
}

// testSlackHTTP runs Slack in http mode: every request signed; forged,
// stale and unsigned ones refused with 401 and changing nothing; a retried
// delivery counted once; the shortcut and the slash commands answered
// privately.
func testSlackHTTP(t *testing.T, bin string) {
	began := time.Now()
	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := platSlack(t)
	p := startTipbot(t, bin, dir, fmt.Sprintf(`store: {path: %s}
slack:
  enabled: true
  mode: http
  bot_token: ${SLACK_BOT_TOKEN}
  signing_secret: ${SLACK_SIGNING_SECRET}
  api_url: %s
recognition:
  threshold: 2
  hall_of_fame_channel: {slack: %s}
http: {addr: "127.0.0.1:0"}
`, db, s.URL(), psFame), "SLACK_BOT_TOKEN="+psBotToken, "SLACK_SIGNING_SECRET="+psSigning)
	e2eContains(t, "/healthz", p.waitHealthy(t), "store: ok", "slack: connected")
	endpoint := "http://" + p.addr(t) + "/slack/events"

	// Slack checks the URL when it is entered in the app's settings.
	challenge := `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	if code, body := platPost(t, endpoint, []byte(challenge), "application/json", time.Now(), psSigning, nil); code != http.StatusOK ||
		strings.TrimSpace(body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %q, want 200 and the challenge", code, body)
	}

	// Slack's requests go through a recorder, to replay one as a retry.
	rec := &platRecorder{target: endpoint}
	proxy := httptest.NewServer(rec)
	t.Cleanup(proxy.Close)
	s.DeliverHTTP(proxy.URL, psSigning)

	bisect := s.Say(psGeneral, psAlice, "tip: use git bisect to find regressions #git")
	platSlackAck(t, s, "the prefix tip", bisect)
	platSlackSettle(t, s)
	bobVote := platSlackReact(t, s, bisect, psBob, "bulb")
	carolVote := platSlackReact(t, s, bisect, psCarol, "+1")
	daveVote := platSlackReact(t, s, bisect, psDave, "star")
	s.Unreact(psGeneral, bisect, psDave, "star")
	platSlackSettle(t, s)

	// Forged, stale and unsigned requests: 401, nothing changes. Each
	// would be a vote by dave.
	forged := platReactionEvent("EvFORGED01", psDave, bisect, psAlice)
	for _, c := range []struct {
		what   string
		at     time.Time
		secret string
		omit   bool
	}{
		{"a forged signature", time.Now(), "not-the-signing-secret", false},
		{"a stale request (6 minutes old)", time.Now().Add(-6 * time.Minute), psSigning, false},
		{"a request from the future (6 minutes ahead)", time.Now().Add(6 * time.Minute), psSigning, false},
		{"no signature", time.Now(), "", true},
	} {
		hdr := http.Header{}
		if c.omit {
			hdr.Set("X-Slack-Signature", "")
			hdr.Set("X-Slack-Request-Timestamp", "")
		}
		if code, body := platPost(t, endpoint, forged, "application/json", c.at, c.secret, hdr); code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d %q, want 401", c.what, code, body)
		}
	}

	// Retried deliveries: Slack's retry of carol's vote, the same body
	// and event_id with X-Slack-Retry-Num, signed anew; and bob's vote and
	// dave's removed star delivered again by the fake.
	body := rec.body(carolVote)
	if body == nil {
		t.Fatalf("carol's vote %s did not go through the recorder", carolVote)
	}
	hdr := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}
	if code, got := platPost(t, endpoint, body, "application/json", time.Now(), psSigning, hdr); code != http.StatusOK {
		t.Errorf("the retry of %s: answered %d %q, want 200", carolVote, code, got)
	}
	s.Redeliver(bobVote)
	s.Redeliver(daveVote)
	platSlackSettle(t, s)
	for _, id := range []string{bobVote, daveVote} {
		if n := s.Deliveries(id); n != 2 || !s.AllAcked(id) {
			t.Errorf("Slack event %s: delivered %d times, all answered 200 %v; want 2, true", id, n, s.AllAcked(id))
		}
	}

	// The "Save as tip" shortcut on someone's message, answered privately.
	worktree := s.Say(psGeneral, psCarol, "git worktree keeps a hotfix apart from your work")
	platSlackSettle(t, s)
	shortcut := platSlackAnswer(t, s, s.Shortcut(psGeneral, worktree, psDave, "save_tip"))
	t.Logf("shortcut answer: %q", shortcut.Text)
	platSlackAck(t, s, "the saved tip", worktree)

	// /tip: answered privately, the tip posted in the channel for votes.
	recorded := platSlackAnswer(t, s, s.Command(psGeneral, psBob, "/tip", "pin your dependencies #go"))
	t.Logf("/tip answer: %q", recorded.Text)
	var post slacktest.Message
	if !s.WaitFor(10*time.Second, func() bool {
		for _, m := range s.BotMessages(psGeneral) {
			if strings.Contains(m.Text, "pin your dependencies") {
				post = m
				return true
			}
		}
		return false
	}) {
		t.Fatal("no post of the /tip tip in #general")
	}
	platSlackAck(t, s, "the /tip post", post.TS)
	platSlackSettle(t, s)
	s.React(psGeneral, post.TS, psCarol, "star")
	platSlackSettle(t, s)

	// Slash commands are answered in the response body, privately.
	help := platSlackAnswer(t, s, s.Command(psGeneral, psDave, "/tips", "help"))
	e2eContains(t, "/tips help", help.Text, "/tips top")
	top := platSlackAnswer(t, s, s.Command(psGeneral, psBob, "/tips", "top"))
	platVotes(t, "/tips top", top.Text, map[string]int{"use git bisect to find regressions": 2, "git worktree keeps a hotfix": 0,
		"pin your dependencies": 1})
	if !s.WaitFor(10*time.Second, func() bool { return len(s.BotMessages(psFame)) > 0 }) {
		t.Errorf("no hall of fame post")
	}

	p.stop(t)
	platOnce(t, "hall of fame", platSlackTexts(s.BotMessages(psFame)), "git bisect")
	for _, m := range s.BotMessages(psGeneral) {
		if m.TS != post.TS {
			t.Errorf("bot message in #general: %q", m.Text)
		}
	}
	platSlackClean(t, s)
	if bad := rec.failures(); len(bad) > 0 {
		t.Errorf("tipbot refused Slack's genuine requests: %v", bad)
	}
	platWantTips(t, platExport(t, bin, dir, db), []platTip{
		{"slack", psTeam, psGeneral, bisect, "use git bisect to find regressions #git", "prefix", 2},
		{"slack", psTeam, psGeneral, worktree, "git worktree keeps a hotfix apart from your work", "shortcut", 0},
		{"slack", psTeam, psGeneral, post.TS, "pin your dependencies #go", "command", 1},
	})
	t.Logf("Slack http mode scenario: %v", time.Since(began).Round(time.Millisecond))
}

// testReconnects forces reconnections in the middle of the votes: Slack's
// Socket Mode connection dropped, then retired with a disconnect frame;
// Discord's gateway told to reconnect (op 7), then cut, resuming with
// events it had already seen replayed. Every event after them is handled
// and the tallies are exact.
func testReconnects(t *testing.T, bin string) {
	began := time.Now()
	dir := t.TempDir()
	db := filepath.Join(dir, "tipbot.db")
	s := platSlack(t)
	fd := platDiscord(t, discordtest.Options{ReplayOverlap: 20})
	p := startTipbot(t, bin, dir, fmt.Sprintf(`store: {path: %s}
slack: {enabled: true, mode: socket, api_url: "%s"}
discord: {enabled: true, api_url: "%s", guild_ids: ["%s"]}
http: {addr: "127.0.0.1:0"}
`, db, s.URL(), fd.URL, pdGuild),
		"SLACK_BOT_TOKEN="+psBotToken, "SLACK_APP_TOKEN="+psAppToken, "DISCORD_BOT_TOKEN="+discordtest.Token)
	p.waitHealthy(t)

	// Slack: a drop, then a disconnect frame, in the middle of the votes.
	bisect := s.Say(psGeneral, psAlice, "tip: use git bisect to find regressions #git")
	platSlackAck(t, s, "the tip", bisect)
	s.React(psGeneral, bisect, psBob, "bulb")
	s.Drop() // the network fails: what happens now waits for the next connection
	s.React(psGeneral, bisect, psCarol, "star")
	if !s.WaitFor(15*time.Second, func() bool { return s.Connections() >= 2 && s.Connected() }) {
		t.Fatalf("no new Socket Mode connection after the drop (%d connections)", s.Connections())
	}
	s.Disconnect() // Slack retires the connection
	s.React(psGeneral, bisect, psDave, "+1")
	if !s.WaitFor(15*time.Second, func() bool { return s.Connections() >= 3 && s.Connected() }) {
		t.Fatalf("no new Socket Mode connection after the disconnect frame (%d connections)", s.Connections())
	}
	s.Unreact(psGeneral, bisect, psBob, "bulb")
	small := s.Say(psGeneral, psCarol, "tip: keep pull requests small")
	platSlackAck(t, s, "the tip after the reconnects", small)
	s.React(psGeneral, small, psAlice, "bulb")
	platSlackSettle(t, s)
	for _, id := range s.EventIDs() {
		if !s.Acked(id) {
			t.Errorf("Slack event %s (%s) never acknowledged", id, s.EventType(id))
		}
	}

	// Discord: op 7 then a cut connection, each resumed with a replay.
	testing1 := fd.Say(pdGeneral, pdAlice, "tip: write the test before the fix #testing")
	fd.Wait(t, "the 💡 on the Discord tip", func() bool { return fd.HasReaction(testing1.ID, "💡") })
	fd.React(testing1.ID, pdBob, "💡")
	fd.Reconnect() // op 7: resume, replaying what came before too
	fd.React(testing1.ID, pdCarol, "👍")
	fd.Wait(t, "the gateway to resume", func() bool { return fd.Resumes() >= 1 && fd.Connected() })
	fd.Drop()
	fd.Unreact(testing1.ID, pdBob, "💡")
	fd.React(testing1.ID, pdBob, "⭐")
	fd.Wait(t, "the gateway to resume again", func() bool { return fd.Resumes() >= 2 && fd.Connected() })
	branches := fd.Say(pdGeneral, pdBob, "tip: name branches after tickets")
	fd.Wait(t, "the 💡 on the tip after the reconnects", func() bool { return fd.HasReaction(branches.ID, "💡") })
	if n := len(fd.Identifies()); n != 1 {
		t.Errorf("Discord: %d identifies; the reconnects should have resumed the session", n)
	}
	e2eContains(t, "/healthz after the reconnects", p.waitHealthy(t), "slack: connected", "discord: connected")

	platVotes(t, "Slack /tips top", platSlackAnswer(t, s, s.Command(psGeneral, psDave, "/tips", "top")).Text,
		map[string]int{"use git bisect to find regressions": 2, "keep pull requests small": 1})
	platVotes(t, "Discord /tips top", platDiscordAnswer(t, fd, discordtest.Command{Guild: pdGuild, Channel: pdGeneral, User: pdBob,
		Name: "tips", Options: []discordtest.Option{discordtest.Sub("top")}}),
		map[string]int{"write the test before the fix": 2, "name branches after tickets": 0})

	p.stop(t)
	platSlackClean(t, s)
	// Replays acknowledged nothing twice.
	for _, id := range []string{testing1.ID, branches.ID} {
		if got := fd.Reactions(id); len(got) != 1 {
			t.Errorf("Discord: the bot's reactions on %s = %v, want one 💡", id, got)
		}
	}
	for _, ts := range []string{bisect, small} {
		if got := s.Reactions(psGeneral, ts)["bulb"]; !slices.Contains(got, psBotUser) {
			t.Errorf("Slack: no 💡 by the bot on %s: %v", ts, got)
		}
	}
	platWantTips(t, platExport(t, bin, dir, db), []platTip{
		{"slack", psTeam, psGeneral, bisect, "use git bisect to find regressions #git", "prefix", 2},
		{"slack", psTeam, psGeneral, small, "keep pull requests small", "prefix", 1},
		{"discord", pdGuild, pdGeneral, testing1.ID, "write the test before the fix #testing", "prefix", 2},
		{"discord", pdGuild, pdGeneral, branches.ID, "name branches after tickets", "prefix", 0},
	})
	t.Logf("reconnects scenario: %v (%d Socket Mode connections, %d gateway resumes)",
		time.Since(began).Round(time.Millisecond), s.Connections(), fd.Resumes())
}

// --- the binary ---

// platBuild builds tipbot into a temporary folder, with the race detector
// when the tests run with it (the packages are then already compiled so).
func platBuild(t testing.TB) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build tipbot: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "tipbot")
	args := []string{"build", "-o", bin, "."}
	if platRace() {
		args = []string{"build", "-race", "-o", bin, "."}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goTool, args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// platRace reports whether the test binary was built with -race.
func platRace() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// tipbotProc is a running "tipbot run".
type tipbotProc struct {
	cmd     *exec.Cmd
	stderr  *syncBuffer
	exited  chan struct{}
	err     error // cmd.Wait's result, once exited is closed
	secrets []string
}

// startTipbot writes config to dir/tipbot.yaml and starts "tipbot run
// -config FILE" in dir, with the environment variables env (the tokens)
// and nothing else of ours. It is killed when the test ends if still
// running; its log is shown when the test fails.
func startTipbot(t testing.TB, bin, dir, config string, env ...string) *tipbotProc {
	t.Helper()
	path := filepath.Join(dir, "tipbot.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "-config", path)
	cmd.Dir = dir
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TIPBOT_") || strings.HasPrefix(kv, "SLACK_") || strings.HasPrefix(kv, "DISCORD_") ||
			strings.HasPrefix(kv, "GORACE=")
	})
	cmd.Env = append(append(cmd.Env, env...), "GORACE=halt_on_error=1")
	p := &tipbotProc{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	for _, kv := range env {
		_, v, _ := strings.Cut(kv, "=")
		p.secrets = append(p.secrets, v)
	}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("tipbot's output:\n%s", p.log())
		}
	})
	return p
}

func (p *tipbotProc) log() string { return p.stderr.String() }

var platListening = regexp.MustCompile(`msg="http listening" addr=(\S+)`)

// addr returns the address the HTTP server listens on, from the log line
// tipbot writes once it listens (http.addr is 127.0.0.1:0).
func (p *tipbotProc) addr(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := platListening.FindStringSubmatch(p.log()); m != nil {
			return m[1]
		}
		select {
		case <-p.exited:
			t.Fatalf("tipbot exited before listening: %v", p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("tipbot does not say where it listens")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitHealthy polls /healthz until it answers 200 and returns its body.
func (p *tipbotProc) waitHealthy(t testing.TB) string {
	t.Helper()
	url := "http://" + p.addr(t) + "/healthz"
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for {
		res, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return string(b)
			}
			last = fmt.Sprintf("%d %s", res.StatusCode, b)
		} else {
			last = err.Error()
		}
		select {
		case <-p.exited:
			t.Fatalf("tipbot exited before being healthy: %v", p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200; last: %s", last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks that tipbot exits 0 in time, that its log
// shows no error, no data race and no secret.
func (p *tipbotProc) stop(t *testing.T) {
	t.Helper()
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(shutdownTimeout + 10*time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatal("tipbot did not stop after SIGTERM")
	}
	if p.err != nil {
		t.Errorf("tipbot run after SIGTERM: %v, want exit status 0", p.err)
	}
	t.Logf("stopped in %v", time.Since(began).Round(time.Millisecond))
	log := p.log()
	e2eContains(t, "tipbot's log", log, "store closed")
	for _, bad := range []string{"DATA RACE", "level=ERROR", "panic:"} {
		if strings.Contains(log, bad) {
			t.Errorf("tipbot's log has %q", bad)
		}
	}
	for _, s := range p.secrets {
		if strings.Contains(log, s) {
			t.Errorf("tipbot's log shows a secret (%.8s…)", s)
		}
	}
}

// platExport runs "tipbot export -format jsonl" on the stopped tipbot's
// database.
func platExport(t *testing.T, bin, dir, db string) []map[string]any {
	t.Helper()
	out := e2eRun(t, bin, dir, "", "export", "-db", db, "-format", "jsonl")
	var recs []map[string]any
	for line := range strings.Lines(out) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// platTip is a tip the export must hold.
type platTip struct {
	platform, workspace, channel, messageID, text, source string
	votes                                                 int
}

// platWantTips checks the export holds exactly these tips, in any order.
func platWantTips(t *testing.T, got []map[string]any, want []platTip) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("export has %d tips, want %d: %v", len(got), len(want), got)
	}
	for _, w := range want {
		var rec map[string]any
		for _, r := range got {
			if r["platform"] == w.platform && r["message_id"] == w.messageID {
				rec = r
			}
		}
		if rec == nil {
			t.Errorf("export lacks the %s tip %q (message %s): %v", w.platform, w.text, w.messageID, got)
			continue
		}
		for k, v := range map[string]any{"workspace": w.workspace, "channel": w.channel, "text": w.text, "source": w.source,
			"useful_votes": float64(w.votes), "status": "published"} {
			if rec[k] != v {
				t.Errorf("export: %s tip %q: %s = %v, want %v", w.platform, w.text, k, rec[k], v)
			}
		}
	}
}

// --- the fakes ---

// platSlack starts a fake Slack with the workspace's people and channels.
func platSlack(t *testing.T) *slacktest.Server {
	t.Helper()
	s := slacktest.NewServer(slacktest.Options{BotToken: psBotToken, AppToken: psAppToken, RedeliverAfter: time.Second})
	t.Cleanup(s.Close)
	s.AddUser(slacktest.User{ID: psAlice, Name: "alice", DisplayName: "Alice", RealName: "Alice Martin"})
	s.AddUser(slacktest.User{ID: psBob, Name: "bob", DisplayName: "Bob"})
	s.AddUser(slacktest.User{ID: psCarol, Name: "carol", DisplayName: "Carol"})
	s.AddUser(slacktest.User{ID: psDave, Name: "dave", DisplayName: "Dave"})
	s.AddChannel(psGeneral, "general")
	s.AddChannel(psFame, "hall-of-fame")
	s.Join(psGeneral, psAlice, psBob, psCarol, psDave)
	return s
}

// platDiscord starts a fake Discord with one server.
func platDiscord(t *testing.T, o discordtest.Options) *discordtest.Server {
	t.Helper()
	o.Guilds = []discordtest.Guild{{
		ID: pdGuild, Name: "Acme", OwnerID: pdAlice,
		Channels: []discordtest.Channel{{ID: pdGeneral, Name: "general"}, {ID: pdFame, Name: "hall-of-fame"}},
		Members:  []discordtest.Member{{ID: pdAlice, Name: "alice"}, {ID: pdBob, Name: "bob"}, {ID: pdCarol, Name: "carol"}},
	}}
	return discordtest.New(t, o)
}

// platSlackAck waits for the bot's 💡 (bulb) on a Slack message.
func platSlackAck(t *testing.T, s *slacktest.Server, what, ts string) {
	t.Helper()
	if !s.WaitFor(10*time.Second, func() bool { return slices.Contains(s.Reactions(psGeneral, ts)["bulb"], psBotUser) }) {
		t.Fatalf("Slack: no 💡 acknowledgement on %s", what)
	}
}

// platSlackSettle waits until Slack has every event acknowledged (tipbot
// acknowledges after the commit) and nothing moves for a while.
func platSlackSettle(t *testing.T, s *slacktest.Server) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if len(s.Unacked()) > 0 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		calls, events := len(s.Calls("")), len(s.EventIDs())
		time.Sleep(150 * time.Millisecond)
		if len(s.Unacked()) == 0 && len(s.Calls("")) == calls && len(s.EventIDs()) == events {
			return
		}
	}
	t.Fatalf("Slack: events left unacknowledged: %v", s.Unacked())
}

// platSlackReact adds a user's reaction and returns the id of the event
// it caused. Call it when tipbot is not about to react itself (after a
// settle, or after a vote): its acknowledgements are reaction events too.
func platSlackReact(t *testing.T, s *slacktest.Server, ts, user, emoji string) string {
	t.Helper()
	before := len(s.EventIDs())
	s.React(psGeneral, ts, user, emoji)
	var ids []string
	for _, id := range s.EventIDs()[before:] {
		if s.EventType(id) == "reaction_added" {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("Slack: %s's %s caused reaction events %v, want one", user, emoji, ids)
	}
	return ids[0]
}

// platSlackAnswer waits for the private answer to a slash command or a
// shortcut: the acknowledgement's payload (socket mode) or response body
// (http mode), within Slack's 3 seconds, or the response_url message for
// slower work.
func platSlackAnswer(t *testing.T, s *slacktest.Server, in *slacktest.Interaction) slacktest.Response {
	t.Helper()
	ack, after, ok := in.Ack(10 * time.Second)
	if !ok {
		t.Fatal("Slack: interaction never acknowledged")
	}
	if after > 3*time.Second {
		t.Errorf("Slack: interaction acknowledged after %v, past Slack's 3 s", after)
	}
	answer := ack
	if strings.TrimSpace(ack.Text) == "" || strings.Contains(ack.Text, "Working on it") {
		if !s.WaitFor(10*time.Second, func() bool { return len(in.Responses()) > 0 }) {
			t.Fatalf("Slack: no answer to the interaction (ack %+v)", ack)
		}
		answer = in.Responses()[0]
	}
	if answer.ResponseType != "ephemeral" {
		t.Errorf("Slack: answer is not private: %+v", answer)
	}
	if strings.Contains(answer.Text, "did not work") {
		t.Errorf("Slack: answer is a failure: %q", answer.Text)
	}
	return answer
}

// platDiscordAnswer runs an application command and returns the text of
// its answer, checking it is private.
func platDiscordAnswer(t *testing.T, fd *discordtest.Server, c discordtest.Command) string {
	t.Helper()
	id := fd.Run(c)
	ans := fd.Answer(t, id)
	if !ans.Ephemeral() {
		t.Errorf("Discord: answer to /%s is public: %+v", c.Name, ans)
	}
	return ans.Text()
}

// platSlackClean fails the test for requests the fake Slack found wrong.
func platSlackClean(t *testing.T, s *slacktest.Server) {
	t.Helper()
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("the fake Slack saw bad requests:\n%s", strings.Join(errs, "\n"))
	}
	if n := s.RateLimited(); n > 0 {
		t.Errorf("the fake Slack answered %d requests with 429", n)
	}
}

func platSlackTexts(ms []slacktest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func platDiscordTexts(ms []discordtest.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text())
	}
	return out
}

// platOnce checks that exactly one post mentions want.
func platOnce(t *testing.T, what string, posts []string, want string) {
	t.Helper()
	n := 0
	for _, p := range posts {
		if strings.Contains(p, want) {
			n++
		}
	}
	if n != 1 || len(posts) != 1 {
		t.Errorf("%s: want one post about %q, got %q", what, want, posts)
	}
}

var platVoteCount = regexp.MustCompile(`(\d+) useful votes?`)

// platVotes checks that a leaderboard lists each tip (by a part of its
// text) on a line with its exact number of useful votes.
func platVotes(t *testing.T, what, text string, want map[string]int) {
	t.Helper()
	for tip, votes := range want {
		found := false
		for line := range strings.Lines(text) {
			if !strings.Contains(line, tip) {
				continue
			}
			found = true
			m := platVoteCount.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: no vote count on the line of %q: %q", what, tip, line)
			} else if n, _ := strconv.Atoi(m[1]); n != votes {
				t.Errorf("%s: %q has %d useful votes, want %d (line %q)", what, tip, n, votes, line)
			}
		}
		if !found {
			t.Errorf("%s lacks %q:\n%s", what, tip, text)
		}
	}
}

// platLacks checks that text mentions none of the parts.
func platLacks(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("%s mentions %q, from another platform:\n%s", what, p, text)
		}
	}
}

// --- Slack over HTTP ---

// platPost sends a request to tipbot's Slack endpoint signed with secret
// at time at, with extra headers, and returns the status and body.
func platPost(t *testing.T, url string, body []byte, ctype string, at time.Time, secret string, extra http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slacktest.Sign(secret, ts, body))
	for k, vs := range extra {
		if len(vs) == 1 && vs[0] == "" {
			req.Header.Del(k)
			continue
		}
		req.Header[k] = vs
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// platReactionEvent is an Events API reaction_added callback.
func platReactionEvent(eventID, user, ts, author string) []byte {
	b, _ := json.Marshal(map[string]any{
		"token": "fake-verification-token", "team_id": psTeam, "api_app_id": "A0APP0001", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "reaction_added", "user": user, "reaction": "bulb", "item_user": author,
			"item": map[string]any{"type": "message", "channel": psGeneral, "ts": ts}, "event_ts": ts},
	})
	return b
}

// platRecorder passes Slack's requests on to tipbot, keeping the bodies of
// events by event_id and the answers other than 200.
type platRecorder struct {
	target string
	mu     sync.Mutex
	events map[string][]byte
	bad    []string
}

func (r *platRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var ev struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(body, &ev) == nil && ev.EventID != "" {
		r.mu.Lock()
		if r.events == nil {
			r.events = map[string][]byte{}
		}
		r.events[ev.EventID] = body
		r.mu.Unlock()
	}
	out, err := http.NewRequestWithContext(req.Context(), req.Method, r.target, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = req.Header.Clone()
	res, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		r.mu.Lock()
		r.bad = append(r.bad, fmt.Sprintf("%d %s", res.StatusCode, b))
		r.mu.Unlock()
	}
	for k, vs := range res.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(b)
}

func (r *platRecorder) body(eventID string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[eventID]
}

func (r *platRecorder) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bad)
}
