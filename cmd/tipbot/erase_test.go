package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// fillWorkspace gives a workspace tips by prefix and /tip, votes, a pending
// vote, a session, a schedule and outbox parcels (no chat is attached, so
// the posts stay owed).
func fillWorkspace(t *testing.T, b *bot.Bot, ws bot.Workspace, tag string) {
	t.Helper()
	ctx := context.Background()
	seq := 0
	meta := func() bot.EventMeta {
		seq++
		return bot.EventMeta{ID: fmt.Sprintf("%s-%d", tag, seq), Workspace: ws, At: time.Date(2026, 12, 1, 10, seq, 0, 0, time.UTC)}
	}
	alice := bot.User{ID: "UALICE", Name: "alice"}
	boss := bot.User{ID: "UBOSS", Name: "boss", Admin: true}
	events := []bot.Event{
		&bot.MessagePosted{EventMeta: meta(), Channel: "C1", MessageID: "m1", Author: alice, Text: "tip: " + tag + " use git bisect #git"},
		&bot.ReactionAdded{EventMeta: meta(), Channel: "C1", MessageID: "m1", User: bot.User{ID: "UBOB", Name: "bob"}, Emoji: "+1"},
		&bot.ReactionAdded{EventMeta: meta(), Channel: "C1", MessageID: "m9", User: bot.User{ID: "UBOB", Name: "bob"}, Emoji: "+1"},
		&bot.CommandInvoked{EventMeta: meta(), Channel: "C1", User: alice, Name: "tip", Text: tag + " rebase often #git"},
		&bot.CommandInvoked{EventMeta: meta(), Channel: "C1", User: boss, Name: "tips", Text: "prompt in 2h " + tag + " retro"},
		&bot.CommandInvoked{EventMeta: meta(), Channel: "C1", User: boss, Name: "tips", Text: `schedule add "0 17 * * FRI" ` + tag + " weekly"},
	}
	for _, ev := range events {
		if _, err := b.Handle(ctx, ev); err != nil {
			t.Fatalf("%T: %v", ev, err)
		}
	}
}

func TestEraseWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "tipbot.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Options{Platforms: platforms(), Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }, Cron: cron.Parse})
	if err != nil {
		t.Fatal(err)
	}
	gone := bot.Workspace{Platform: slackPlatform, ID: "T0GONE"}
	kept := bot.Workspace{Platform: discordPlatform, ID: "900000000000000001"}
	fillWorkspace(t, b, gone, "gone")
	fillWorkspace(t, b, kept, "kept")
	b.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	before := mustCLI(t, "", "export", "-db", path, "-workspace", kept.ID)
	if strings.Count(before, "\n") != 2 || !strings.Contains(mustCLI(t, "", "export", "-db", path, "-workspace", gone.ID), "gone use git bisect") {
		t.Fatalf("export before:\n%s", before)
	}

	// No -yes: refused without a terminal, and a wrong answer erases nothing.
	if code, _, errOut := cli(t, context.Background(), "", "erase-workspace", "-db", path, "-workspace", gone.ID); code != exitError ||
		!strings.Contains(errOut, "not a terminal") {
		t.Errorf("erase without -yes nor terminal: exit %d, %s", code, errOut)
	}
	code, _, errOut := cliTerminal(t, "T0OTHER\n", "erase-workspace", "-db", path, "-workspace", gone.ID)
	if code != exitError || !strings.Contains(errOut, "Type the workspace id") || !strings.Contains(errOut, "not confirmed") {
		t.Errorf("erase with a wrong confirmation: exit %d, %s", code, errOut)
	}
	if got := mustCLI(t, "", "export", "-db", path, "-workspace", gone.ID); !strings.Contains(got, "gone use git bisect") {
		t.Fatalf("tips erased without confirmation: %q", got)
	}
	if code, _, errOut := cli(t, context.Background(), "", "erase-workspace", "-db", path); code != exitUsage || !strings.Contains(errOut, "-workspace ID is required") {
		t.Errorf("erase without -workspace: exit %d, %s", code, errOut)
	}

	// Confirmed at the terminal: everything of the workspace goes.
	code, out, errOut := cliTerminal(t, gone.ID+"\n", "erase-workspace", "-db", path, "-workspace", gone.ID)
	if code != exitOK {
		t.Fatalf("erase: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"erased workspace T0GONE (slack)", "tips", "votes", "pending votes", "people", "counters",
		"records: outbox", "records: session", "records: schedule"} {
		if !strings.Contains(out, want) {
			t.Errorf("erase output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("erase-workspace printed:\n%s", out)
	if got := mustCLI(t, "", "export", "-db", path, "-workspace", kept.ID); got != before {
		t.Errorf("the other workspace's export changed:\nbefore:\n%s\nafter:\n%s", before, got)
	}
	if code, got, errOut := cli(t, context.Background(), "", "export", "-db", path, "-workspace", gone.ID); code == exitOK || got != "" ||
		!strings.Contains(errOut, "no workspace") {
		t.Errorf("export of the erased workspace: exit %d, %q, %s", code, got, errOut)
	}
	if got := mustCLI(t, "", "export", "-db", path); got != before {
		t.Errorf("export of all after erasing = %q, want the kept workspace's only", got)
	}

	// The store holds nothing of it: no counter, no record, no outbox.
	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(context.Background(), gone, func(tx bot.ReadTx) error {
		n, err := tx.Counter(bot.CounterOutboxPending)
		if err != nil || n != 0 {
			return fmt.Errorf("outbox:pending = %d, %v", n, err)
		}
		for _, kind := range []string{"outbox", "session", "schedule"} {
			if err := tx.ForEachRecord(kind, func(k string, _ []byte) error { return fmt.Errorf("record %s/%s left", kind, k) }); err != nil {
				return err
			}
		}
		return tx.ForEachTip(func(t bot.Tip) error { return fmt.Errorf("tip %s left", t.ID) })
	}); err != nil {
		t.Error(err)
	}
	if err := db.View(context.Background(), kept, func(tx bot.ReadTx) error {
		n, err := tx.Counter(bot.CounterOutboxPending)
		if err == nil && n == 0 {
			err = fmt.Errorf("the kept workspace's outbox is empty")
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
	wss, _ := db.Workspaces(context.Background())
	if len(wss) != 1 || wss[0] != kept {
		t.Errorf("workspaces after erasing = %v, want %v", wss, kept)
	}
}

// terminalReader is standard input as a terminal.
type terminalReader struct{ *strings.Reader }

func (terminalReader) Terminal() bool { return true }

// cliTerminal runs tipbot with stdin as a terminal typing input.
func cliTerminal(t *testing.T, input string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	e := &env{stdin: terminalReader{strings.NewReader(input)}, stdout: &out, stderr: &errOut, lookup: envOf()}
	code = e.run(context.Background(), args)
	return code, out.String(), errOut.String()
}
