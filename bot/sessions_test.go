package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tipbot/tipbot/bot"
)

var trainer = bot.User{ID: "trainer", Name: "Trainer"}

// runScheduler starts Bot.Run and returns a function that stops it.
func (h *harness) runScheduler() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := h.bot.Run(ctx); err != nil {
			h.t.Errorf("Run: %v", err)
		}
	})
	return func() { cancel(); wg.Wait(); h.bot.Wait() }
}

// postsWith returns the posts whose text contains s.
func (h *harness) postsWith(s string) []post {
	posts, _, _ := h.chat.snapshot()
	var out []post
	for _, p := range posts {
		if strings.Contains(p.Message.Text(), s) {
			out = append(out, p)
		}
	}
	return out
}

func (h *harness) reply(thread string, u bot.User, text string) string {
	return h.postIn("#general", thread, u, text)
}

func TestSessionPromptRepliesDeadlineRecap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), nil)
		stop := h.runScheduler()
		defer stop()

		if out := h.command(alice, "tips", "prompt in 1m Git basics"); !strings.Contains(out, "Only trainers") {
			t.Errorf("member prompt: %q", out)
		}
		if out := h.command(trainer, "tips", "prompt in 1m Git basics"); !strings.Contains(out, "s1") {
			t.Fatalf("prompt reply: %q", out)
		}
		prompts := h.postsWith("What did you retain from «Git basics»")
		if len(prompts) != 1 {
			t.Fatalf("prompts = %+v", prompts)
		}
		p := prompts[0].ID
		r1 := h.reply(p, alice, "git bisect finds the bad commit")
		r2 := h.reply(p, bob, "tip: rebase -i squashes commits")
		h.reply(p, carol, "worktrees!")
		h.postIn("#general", "", dave, "not an answer") // not in the thread
		h.react(carol, r2, "bulb")
		h.react(dave, r2, "+1")
		h.react(bob, r1, "bulb")
		if tip := h.tip(r2); tip.Source != bot.SourceSession || tip.SessionID != 1 || tip.Text != "rebase -i squashes commits" {
			t.Errorf("session tip = %+v", tip)
		}

		time.Sleep(61 * time.Second)
		synctest.Wait()
		h.bot.Wait()
		recaps := h.postsWith("Recap of «Git basics»")
		if len(recaps) != 2 || recaps[0].Message.Thread != p || recaps[1].Message.Thread != "" {
			t.Fatalf("recaps = %+v", recaps)
		}
		text := recaps[0].Message.Text()
		for _, want := range []string{"3 answers from 3 participants", "Alice", "Bob", "Carol"} {
			if !strings.Contains(text, want) {
				t.Errorf("recap lacks %q:\n%s", want, text)
			}
		}
		if i, j := strings.Index(text, "rebase"), strings.Index(text, "bisect"); i < 0 || j < 0 || i > j {
			t.Errorf("top answer not first:\n%s", text)
		}
		// A reply after the close is no longer an answer; nothing posts twice.
		late := h.reply(p, dave, "late answer")
		if _, err := h.tryTip(late); err == nil {
			t.Error("a reply after the close was captured")
		}
		time.Sleep(48 * time.Hour)
		synctest.Wait()
		if n := len(h.postsWith("Recap of")); n != 2 {
			t.Errorf("recaps after two days = %d", n)
		}
		if out := h.command(trainer, "tips", "close s1"); !strings.Contains(out, "already closed") {
			t.Errorf("second close: %q", out)
		}
		if out := h.command(trainer, "tips", "sessions"); !strings.Contains(out, "s1 «Git basics»") || !strings.Contains(out, "3 answers") {
			t.Errorf("sessions:\n%s", out)
		}
	})
}

func TestSessionCloseEarlyAndReminder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), func(c *bot.Config) { c.Reminder = time.Hour })
		stop := h.runScheduler()
		defer stop()
		h.command(trainer, "tips", "prompt in 2h Onboarding")
		h.command(trainer, "tips", "prompt #general Security day")
		p := h.postsWith("Onboarding")[0].ID
		h.reply(p, alice, "the VPN needs 2FA")

		time.Sleep(61 * time.Minute)
		synctest.Wait()
		h.bot.Wait()
		reminders := h.postsWith("⏰")
		if len(reminders) != 1 || reminders[0].Message.Thread != p || !strings.Contains(reminders[0].Message.Text(), "1 answer") {
			t.Fatalf("reminders = %+v", reminders)
		}
		if out := h.command(trainer, "tips", "close s1"); !strings.Contains(out, "closed with 1 answer") {
			t.Errorf("close: %q", out)
		}
		if out := h.command(trainer, "tips", "close s9"); !strings.Contains(out, "no session") {
			t.Errorf("close unknown: %q", out)
		}
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		if n := len(h.postsWith("Recap of «Onboarding»")); n != 2 {
			t.Errorf("recaps of the early-closed session = %d, want 2 (thread + channel)", n)
		}
		if n := len(h.postsWith("Recap of «Security day»")); n != 0 {
			t.Errorf("the 24h session recapped early")
		}
		if n := len(h.postsWith("⏰")); n != 1 {
			t.Errorf("reminders = %d, want 1 (the 24h session's is not due yet)", n)
		}
	})
}

// A Friday 17:00 Paris schedule fires at 17:00 Paris time on both sides of
// the daylight-saving changes; New York likewise.
func TestScheduleAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start time.Time
		spec  string
		zone  string
		want  []time.Time
	}{
		{"Paris March", time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC), "CRON_TZ=Europe/Paris 0 17 * * FRI", "Europe/Paris", []time.Time{
			time.Date(2026, 3, 20, 16, 0, 0, 0, time.UTC), time.Date(2026, 3, 27, 16, 0, 0, 0, time.UTC), time.Date(2026, 4, 3, 15, 0, 0, 0, time.UTC)}},
		{"Paris October", time.Date(2026, 10, 23, 10, 0, 0, 0, time.UTC), "CRON_TZ=Europe/Paris 0 17 * * FRI", "Europe/Paris", []time.Time{
			time.Date(2026, 10, 23, 15, 0, 0, 0, time.UTC), time.Date(2026, 10, 30, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC)}},
		{"New York March", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), "CRON_TZ=America/New_York 0 17 * * MON", "America/New_York", []time.Time{
			time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 21, 0, 0, 0, time.UTC), time.Date(2026, 3, 16, 21, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newSyncHarness(t, tc.start, nil)
				stop := h.runScheduler()
				defer stop()
				out := h.command(trainer, "tips", `schedule add "`+tc.spec+`" #general Weekly retro`)
				if !strings.Contains(out, "c1") || !strings.Contains(out, tc.zone) || !strings.Contains(out, tc.want[0].In(mustLoad(t, tc.zone)).Format("2006-01-02 15:04")) {
					t.Errorf("schedule add: %q", out)
				}
				if out := h.command(trainer, "tips", "schedule list"); !strings.Contains(out, tc.spec) || !strings.Contains(out, "17:00") {
					t.Errorf("schedule list: %q", out)
				}
				time.Sleep(tc.want[len(tc.want)-1].Sub(tc.start) + time.Minute)
				synctest.Wait()
				h.bot.Wait()
				prompts := h.postsWith("What did you retain from «Weekly retro»")
				if len(prompts) != len(tc.want) {
					t.Fatalf("prompts = %d, want %d", len(prompts), len(tc.want))
				}
				for i, p := range prompts {
					if at := p.At.Add(h.offset).UTC(); !at.Equal(tc.want[i]) {
						t.Errorf("prompt %d at %v, want %v", i, at, tc.want[i])
					}
				}
				if out := h.command(trainer, "tips", "schedule remove c1"); !strings.Contains(out, "removed") {
					t.Errorf("remove: %q", out)
				}
			})
		})
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestRestartClosesMissedDeadlineOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), nil)
		stop := h.runScheduler()
		h.command(trainer, "tips", "prompt in 1h Kubernetes")
		h.reply(h.postsWith("Kubernetes")[0].ID, alice, "kubectl explain is great")
		stop()
		h.close() // tipbot stops before the deadline

		time.Sleep(3 * time.Hour)
		h.open()
		stop = h.runScheduler()
		synctest.Wait()
		h.bot.Wait()
		if n := len(h.postsWith("Recap of «Kubernetes»")); n != 2 {
			t.Fatalf("recaps after restart = %d, want 2 (thread + channel)", n)
		}
		stop()
		h.close()
		h.open() // a second restart posts nothing again
		stop = h.runScheduler()
		defer stop()
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := len(h.postsWith("Recap of «Kubernetes»")); n != 2 {
			t.Errorf("recaps after second restart = %d", n)
		}
	})
}

func TestRestartMissedScheduledRuns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  string
		down  time.Duration // how long tipbot is down, from 10:10 UTC
		fires int
	}{
		{"hourly, missed 20 minutes ago: fires once", "0 * * * *", 70 * time.Minute, 1}, // due 11:00, back 11:20
		{"hourly, missed twice, fires once", "0 * * * *", 130 * time.Minute, 1},         // due 11:00 and 12:00, back 12:20
		{"daily, missed 90 minutes ago: skipped", "0 11 * * *", 140 * time.Minute, 0},   // due 11:00, back 12:30
		{"daily, missed 59 minutes ago: fires", "0 11 * * *", 109 * time.Minute, 1},     // due 11:00, back 11:59
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newSyncHarness(t, time.Date(2026, 11, 27, 10, 10, 0, 0, time.UTC), func(c *bot.Config) { c.CatchUp = time.Hour })
				h.command(trainer, "tips", `schedule add "`+tc.spec+`" Standup`)
				h.close()
				time.Sleep(tc.down)
				h.open()
				stop := h.runScheduler()
				synctest.Wait()
				h.bot.Wait()
				stop()
				if n := len(h.postsWith("«Standup»")); n != tc.fires {
					t.Errorf("prompts at restart = %d, want %d", n, tc.fires)
				}
			})
		})
	}
}

// If tipbot dies after recording a scheduled run and before posting its
// prompt, the prompt waits in the durable outbox and is posted once at
// restart; the session's recap follows in its thread.
func TestKillBetweenRecordAndPost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 11, 27, 10, 50, 0, 0, time.UTC), nil)
		h.command(trainer, "tips", `schedule add "0 11 * * *" Daily`)
		stop := h.runScheduler()
		h.chat.mu.Lock()
		h.chat.failPosts = true
		h.chat.mu.Unlock()
		time.Sleep(11 * time.Minute)
		synctest.Wait()
		stop()
		h.close()
		h.chat.mu.Lock()
		h.chat.failPosts = false
		h.chat.mu.Unlock()
		if n := len(h.postsWith("What did you retain from «Daily»")); n != 0 {
			t.Fatalf("prompts while posts fail = %d, want 0", n)
		}

		h.open()
		stop = h.runScheduler()
		defer stop()
		synctest.Wait()
		h.bot.Wait()
		first := h.postsWith("What did you retain from «Daily»")
		if len(first) != 1 {
			t.Fatalf("prompts at restart = %d, want 1 (the one owed)", len(first))
		}
		time.Sleep(25 * time.Hour)
		synctest.Wait()
		h.bot.Wait()
		prompts := h.postsWith("What did you retain from «Daily»")
		if len(prompts) != 2 {
			t.Fatalf("prompts = %d, want 2 (the one owed, then the next day's)", len(prompts))
		}
		if at := prompts[1].At.Add(h.offset).UTC(); !at.Equal(time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)) {
			t.Errorf("second prompt at %v", at)
		}
		recaps := h.postsWith("Recap of «Daily» (s1)")
		if len(recaps) != 2 || recaps[0].Message.Thread != first[0].ID {
			t.Errorf("recaps of s1 = %+v, want one in the thread of %s and one in the channel", recaps, first[0].ID)
		}
	})
}

// The monthly digest posts the previous month's top tips and contributors,
// once per run, crediting authors.
func TestMonthlyDigest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newSyncHarness(t, time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC), func(c *bot.Config) {
			c.DigestSchedule = "0 9 1 * *"
			c.DigestChannel[bot.Shell] = "#announcements"
		})
		stop := h.runScheduler()
		defer stop()
		m := h.post(alice, "tip: October's best trick #git")
		h.react(bob, m, "bulb")
		h.react(carol, m, "bulb")
		h.post(bob, "tip: a quieter October tip")
		time.Sleep(48 * time.Hour) // past 1 November 09:00 UTC
		synctest.Wait()
		h.bot.Wait()
		digests := h.postsWith("Digest — last month")
		if len(digests) != 1 || digests[0].Channel != "#announcements" {
			t.Fatalf("digests = %+v", digests)
		}
		text := digests[0].Message.Text()
		if i, j := strings.Index(text, "October's best trick"), strings.Index(text, "quieter"); i < 0 || j < 0 || i > j || !strings.Contains(text, "1. Alice — 1 tip, 2 useful votes") {
			t.Errorf("digest:\n%s", text)
		}
		if at := digests[0].At.Add(h.offset).UTC(); !at.Equal(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("digest at %v", at)
		}
	})
}
