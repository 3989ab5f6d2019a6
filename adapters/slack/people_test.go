package slack

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/adapters/slack/slacktest"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// dirWorld is the real core on a real bbolt file behind an adapter, for
// the directory of people; restart starts a new adapter and core on the
// same file.
type dirWorld struct {
	t    *testing.T
	s    *slacktest.Server
	path string
	db   *store.DB
	bot  *bot.Bot
	a    *Adapter
	stop func()
}

func newDirWorld(t *testing.T, o slacktest.Options) *dirWorld {
	t.Helper()
	w := &dirWorld{t: t, s: newFake(t, o), path: filepath.Join(t.TempDir(), "tipbot.db")}
	w.s.Join(general, alice, bob, carol, dave, admin)
	w.open()
	t.Cleanup(w.close)
	return w
}

func (w *dirWorld) open() {
	t := w.t
	t.Helper()
	db, err := store.Open(w.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, _ := testLogger(t)
	b, err := bot.New(bot.Options{Platforms: []bot.PlatformSpec{Spec()}, Config: bot.DefaultConfig(), Store: db, Now: func() time.Time { return time.Now().UTC() },
		Cron: cron.Parse, Logger: log.With("component", "core")})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: w.s.URL(), Logger: log}, b)
	if err != nil {
		t.Fatal(err)
	}
	a.lookupPace = gcra{} // the fake has no tiers
	b.Attach(Platform, a)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	w.db, w.bot, w.a = db, b, a
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		b.Wait()
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}
	if !w.s.WaitFor(5*time.Second, func() bool { return a.Connected() && w.s.Connected() }) {
		t.Fatal("adapter did not connect")
	}
}

func (w *dirWorld) close() {
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}

func (w *dirWorld) restart() {
	w.t.Helper()
	w.close()
	w.open()
}

func (w *dirWorld) listed() bool {
	at, err := w.bot.DirectoryListedAt(context.Background(), team)
	return err == nil && !at.IsZero()
}

// tip returns the tip captured from a message of #general.
func (w *dirWorld) tip(ts string) bot.Tip {
	w.t.Helper()
	var tip bot.Tip
	if err := w.db.View(context.Background(), team, func(tx bot.ReadTx) error {
		var err error
		tip, err = tx.TipByMessage(general, ts)
		return err
	}); err != nil {
		w.t.Fatalf("tip of %s: %v", ts, err)
	}
	return tip
}

// 10,000 reactions from 10,000 people the directory has never met are
// all acknowledged, and counted, while users.info answers nobody: no ack
// waits on a lookup. The lookups come after, one per person, and the few
// who are bots lose their votes.
func TestTenThousandNewPeopleWaitOnNoLookup(t *testing.T) {
	const people, botEvery = 10_000, 1000
	w := newDirWorld(t, slacktest.Options{RedeliverAfter: 5 * time.Minute})
	s := w.s
	waitFor(t, s, "the directory listed", w.listed)
	ts := s.Say(general, alice, "tip: bisect before you guess #git")
	waitFor(t, s, "the tip acknowledged", func() bool { return len(s.Unacked()) == 0 })
	if got := w.tip(ts).AuthorName; got != "Alice" {
		t.Fatalf("author = %q, want Alice from the directory", got)
	}

	// They joined without tipbot hearing of it (no team_join).
	ids := make([]string, people)
	for i := range ids {
		ids[i] = fmt.Sprintf("U9%08d", i)
		s.AddUser(slacktest.User{ID: ids[i], Name: "p" + ids[i], DisplayName: "Person " + ids[i], Bot: i%botEvery == botEvery-1})
	}
	s.HoldUsersInfo()
	for _, id := range ids {
		s.React(general, ts, id, "+1")
	}
	if !s.WaitFor(3*time.Minute, func() bool { return len(s.Unacked()) == 0 }) {
		t.Fatalf("%d reactions not acknowledged while users.info is held", len(s.Unacked()))
	}
	if n := s.UsersInfoAnswered(); n != 0 {
		t.Fatalf("users.info answered %d times before the acks", n)
	}
	if got := w.tip(ts).UsefulVotes; got != people {
		t.Fatalf("votes = %d after the acks, want %d: every reaction counts", got, people)
	}

	s.ReleaseUsersInfo()
	want := people - people/botEvery
	if !s.WaitFor(3*time.Minute, func() bool { return w.tip(ts).UsefulVotes == want }) {
		t.Fatalf("votes = %d once people were looked up, want %d (bots' votes removed)", w.tip(ts).UsefulVotes, want)
	}
	if !s.WaitFor(time.Minute, func() bool { return s.UsersInfoAnswered() >= people }) {
		t.Fatalf("users.info answered %d times, want %d", s.UsersInfoAnswered(), people)
	}
	// One call each; a call held longer than the client's timeout (a
	// loaded machine) is asked again, so a few more are allowed.
	calls := s.Calls("users.info")
	asked := map[string]bool{}
	for _, c := range calls {
		asked[c.Params.Get("user")] = true
	}
	if len(asked) != people || len(calls) > people+people/100 {
		t.Errorf("users.info called %d times for %d distinct people of %d, want about one call each", len(calls), len(asked), people)
	}
	var m bot.Member
	if err := w.db.View(context.Background(), team, func(tx bot.ReadTx) error {
		var err error
		m, err = tx.Member(ids[botEvery-1])
		return err
	}); err != nil || !m.Bot || m.Name != "Person "+ids[botEvery-1] {
		t.Errorf("directory entry of a bot = %+v, %v", m, err)
	}
}

// The directory is listed at first start, survives a restart without
// being listed again, and user_change and team_join keep it fresh: a
// renamed author shows their new name on their tips.
func TestDirectoryListedOnceAndKeptFresh(t *testing.T) {
	w := newDirWorld(t, slacktest.Options{})
	s := w.s
	waitFor(t, s, "the directory listed", w.listed)
	if n := len(s.Calls("users.list")); n != 1 {
		t.Errorf("users.list called %d times for 6 people, want 1 page", n)
	}
	ts := s.Say(general, carol, "tip: name your branches after the ticket #git")
	waitFor(t, s, "the tip acknowledged", func() bool { return len(s.Unacked()) == 0 })
	if got := w.tip(ts).AuthorName; got != "Carol" {
		t.Errorf("author = %q, want Carol", got)
	}

	w.restart()
	// The restarted adapter has read the directory's listing time before
	// it connected: a fresh directory is not listed again.
	if n := w.a.listings.Load(); n != 0 {
		t.Errorf("the restarted adapter started %d listings", n)
	}
	renamed := s.UpdateUser(slacktest.User{ID: carol, Name: "carol", DisplayName: "Carol Ann"})
	newcomer := s.Welcome(slacktest.User{ID: "U0ERIN001", Name: "erin", RealName: "Erin Blake", Admin: true})
	waitFor(t, s, "user_change and team_join acknowledged", func() bool { return s.Acked(renamed) && s.Acked(newcomer) })
	if got := w.tip(ts).AuthorName; got != "Carol Ann" {
		t.Errorf("author = %q after user_change, want Carol Ann", got)
	}
	in := s.Command(general, carol, "/tips", "top")
	ack, _, ok := in.Ack(5 * time.Second)
	if !ok || !strings.Contains(ack.Text, "Carol Ann") {
		t.Errorf("/tips top = %+v, want the new name", ack)
	}
	// The newcomer is an admin from their first command, without a lookup.
	in = s.Command(general, "U0ERIN001", "/tips", "trainer add <@"+bob+"|bob>")
	ack, _, ok = in.Ack(5 * time.Second)
	if !ok || !strings.Contains(ack.Text, "is now a trainer") {
		t.Errorf("/tips trainer add by a new admin = %+v", ack)
	}
	if n := len(s.Calls("users.list")); n != 1 {
		t.Errorf("users.list called %d times in all, want 1: a restart with a known directory lists nobody", n)
	}
	if n := len(s.Calls("users.info")); n != 0 {
		t.Errorf("users.info called %d times for people the directory knows", n)
	}
}
