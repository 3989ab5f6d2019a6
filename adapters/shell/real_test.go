package shell

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// realSession runs a script through the real core on the bbolt file at path,
// opened and closed around the run as a tipbot process would, and returns
// the output.
func realSession(t *testing.T, path string, cfg bot.Config, script string) string {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Check(); err != nil {
			t.Errorf("check %s: %v", path, err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: cfg, Store: db, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a := New(Options{Bot: b, Store: db, In: strings.NewReader(script), Out: &out, Admins: cfg.Admins})
	b.Attach(bot.Shell, a)
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Wait()
	return out.String()
}

// tipOf returns the tip captured from a shell message.
func tipOf(t *testing.T, path, messageID string) bot.Tip {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tip bot.Tip
	err = db.View(context.Background(), local, func(tx bot.ReadTx) error {
		var err error
		tip, err = tx.TipByMessage("#general", messageID)
		return err
	})
	if err != nil {
		t.Fatalf("tip of message %s: %v", messageID, err)
	}
	return tip
}

// TestRealCore runs the scenario of issue 2 through the real core and a
// real bbolt file, then restarts on the same file.
func TestRealCore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	cfg := bot.DefaultConfig()
	out := realSession(t, path, cfg, `/as alice
tip: use git bisect to find regressions #git
/as bob
/react 1 💡
/as alice
/react 1 bulb
/as carol
/react 1 +1
/react 1 :bulb:
/unreact 1 +1
/tips top
`)
	for _, want := range []string{
		"[1] #general alice: tip: use git bisect to find regressions #git\n[1] tipbot reacted :bulb:\n",
		"[1] bob reacted :bulb:\n",
		"[1] alice reacted :bulb:\n",
		"[1] carol removed :+1:\n(private to carol) ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if top := out[strings.LastIndex(out, "(private to carol)"):]; !strings.Contains(top, "use git bisect to find regressions #git") ||
		!strings.Contains(top, "[1]") {
		t.Errorf("/tips top does not show the tip with its message id:\n%s", out)
	}
	tip := tipOf(t, path, "1")
	if tip.UsefulVotes != 2 || tip.AuthorID != "alice" || !slices.Equal(tip.Topics, []string{"git"}) {
		t.Errorf("tip = %+v, want alice's with 2 votes on git", tip)
	}

	// After a restart, ids go on and new events are not taken for old ones.
	out = realSession(t, path, cfg, `/tips top
/as dave
/react 1 star
/react 1 star
/reply 1 thanks!
`)
	if !strings.HasPrefix(out, "(private to you) ") || !strings.Contains(out, "use git bisect") {
		t.Errorf("/tips top after restart:\n%s", out)
	}
	if !strings.Contains(out, "dave already reacted :star: to [1]\n  ↳ [2] #general dave (reply to [1]): thanks!\n") {
		t.Errorf("after restart:\n%s", out)
	}
	if tip := tipOf(t, path, "1"); tip.UsefulVotes != 3 {
		t.Errorf("after dave's vote, the tip has %d votes, want 3", tip.UsefulVotes)
	}
}

// TestRealCapture checks the other ways to capture a tip, editing and
// deleting, through the real core.
func TestRealCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	out := realSession(t, path, bot.DefaultConfig(), `/as alice
rebase often
/as bob
/react 1 bookmark
/as carol
restart the printer twice
/save 2
/as bob
/tip pair on hard bugs #teamwork
/react 3 bulb
/as alice
/edit 1 rebase often, merge rarely #git
/as carol
/delete 2
`)
	for _, want := range []string{
		"[1] bob reacted :bookmark:\n[1] tipbot reacted :bulb:\n",
		"[2] #general carol: restart the printer twice\n",
		"[2] tipbot reacted :bulb:\n(private to carol) ",
		"[3] #general tipbot: ",
		"[3] tipbot reacted :bulb:\n(private to bob) ",
		"[1] #general alice (edited): rebase often, merge rarely #git\n",
		"[2] deleted by carol\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if tip := tipOf(t, path, "1"); tip.AuthorID != "alice" || tip.Source != bot.SourceReaction ||
		tip.Text != "rebase often, merge rarely #git" || tip.CapturedBy != "bob" {
		t.Errorf("tip of message 1 = %+v", tip)
	}
	if tip := tipOf(t, path, "3"); tip.AuthorID != "bob" || tip.Source != bot.SourceCommand || tip.UsefulVotes != 0 {
		t.Errorf("tip of message 3 = %+v (its author's vote must not count)", tip)
	}
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(context.Background(), local, func(tx bot.ReadTx) error {
		_, err := tx.TipByMessage("#general", "2")
		return err
	})
	if !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the tip of the deleted message 2: %v, want ErrNotFound", err)
	}
}
