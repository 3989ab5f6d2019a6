package bot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// resolvingChat is a recordingChat that can look people up: it records
// what the core asks it to resolve.
type resolvingChat struct {
	recordingChat
	rmu   sync.Mutex
	asked [][]string
}

func (c *resolvingChat) Resolve(_ bot.Workspace, ids []string) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.asked = append(c.asked, slices.Clone(ids))
}

func (c *resolvingChat) takeAsked() [][]string {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	a := c.asked
	c.asked = nil
	return a
}

func newDirectoryHarness(t *testing.T) (*harness, *resolvingChat) {
	h := newHarness(t, nil)
	rc := &resolvingChat{}
	h.bot.Attach(bot.Shell, rc)
	return h, rc
}

func (h *harness) people(resolved bool, ms ...bot.Member) {
	h.t.Helper()
	h.handle(&bot.PeopleUpdated{EventMeta: h.meta(), Members: ms, Resolved: resolved})
}

func (h *harness) member(id string) (bot.Member, error) {
	var m bot.Member
	err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		m, err = tx.Member(id)
		return err
	})
	return m, err
}

// Names and flags of people named by id only come from the directory;
// people it does not know are asked about once their event is committed.
func TestDirectoryFillsNamesAndFlags(t *testing.T) {
	h, rc := newDirectoryHarness(t)
	h.people(false, bot.Member{ID: "ana", Name: "Ana Lima", Admin: true, Locale: "pt-BR"})
	if got := rc.takeAsked(); len(got) != 0 {
		t.Fatalf("PeopleUpdated asked to resolve %v", got)
	}
	msg := h.post(bot.User{ID: "ana"}, "tip: use git bisect #git")
	if got := h.tip(msg).AuthorName; got != "Ana Lima" {
		t.Errorf("author name = %q, want the directory's %q", got, "Ana Lima")
	}
	if got := rc.takeAsked(); len(got) != 0 {
		t.Errorf("a known person was asked about: %v", got)
	}
	// The directory's admin flag counts: an admin-only command works.
	if r := h.command(bot.User{ID: "ana"}, "tips", "trainer add bob"); strings.Contains(r, "Only admins") {
		t.Errorf("directory admin refused: %q", r)
	}
	if r := h.command(bot.User{ID: "eve"}, "tips", "trainer add bob"); !strings.Contains(r, "Only admins") {
		t.Errorf("a person the directory does not know ran an admin command: %q", r)
	}
	rc.takeAsked()
	// An unknown person's vote counts at once; they are asked about after
	// the commit, once per event.
	h.react(bot.User{ID: "zoe"}, msg, "+1")
	if got := h.votes(msg); got != 1 {
		t.Errorf("votes = %d, want 1: an unknown person's vote counts", got)
	}
	if got := rc.takeAsked(); !slices.EqualFunc(got, [][]string{{"zoe"}}, slices.Equal) {
		t.Errorf("asked %v, want [[zoe]]", got)
	}
	// A person whose event says they are a bot is not asked about.
	h.react(bot.User{ID: "ci", Bot: true}, msg, "+1")
	if got := rc.takeAsked(); len(got) != 0 {
		t.Errorf("a bot was asked about: %v", got)
	}
	// A failed event asks nothing.
	if _, err := h.bot.Handle(context.Background(), &bot.ReactionAdded{EventMeta: bot.EventMeta{ID: "x", Workspace: bot.Workspace{Platform: "irc", ID: "x"}},
		Channel: "#general", MessageID: msg, User: bot.User{ID: "max"}, Emoji: "+1"}); err == nil {
		t.Error("event of an unknown platform accepted")
	}
	if got := rc.takeAsked(); len(got) != 0 {
		t.Errorf("a failed event asked %v", got)
	}
}

// A new name shows where the old one did: the person's tips and their
// contributor record.
func TestDirectoryRenameFillsTips(t *testing.T) {
	h, rc := newDirectoryHarness(t)
	first := h.post(bot.User{ID: "bob"}, "tip: read the release notes #ops")
	second := h.post(bot.User{ID: "bob"}, "tip: pin your CI images #ops")
	if got := h.tip(first).AuthorName; got != "bob" {
		t.Fatalf("unknown author's name = %q, want their id", got)
	}
	if got := rc.takeAsked(); len(got) != 2 {
		t.Fatalf("asked %v, want bob twice (once per event; the adapter coalesces)", got)
	}
	h.people(true, bot.Member{ID: "bob", Name: "Bob Stone"})
	for _, m := range []string{first, second} {
		if got := h.tip(m).AuthorName; got != "Bob Stone" {
			t.Errorf("tip %s author = %q after the lookup, want Bob Stone", m, got)
		}
	}
	h.people(false, bot.Member{ID: "bob", Name: "Robert Stone"})
	if got := h.tip(first).AuthorName; got != "Robert Stone" {
		t.Errorf("after a rename: author = %q, want Robert Stone", got)
	}
	if r := h.command(user("amy"), "tips", "top"); !strings.Contains(r, "Robert Stone") || strings.Contains(r, "Bob Stone") {
		t.Errorf("rankings show the old name: %q", r)
	}
	var p bot.Person
	if err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		p, err = tx.Person("bob")
		return err
	}); err != nil || p.Name != "Robert Stone" {
		t.Errorf("person = %+v, %v; want the new name", p, err)
	}
}

// A reaction by a person the directory does not know counts; when the
// lookup says they are a bot, their votes (on tips and pending) go.
func TestDirectoryBotVotesRemoved(t *testing.T) {
	h, _ := newDirectoryHarness(t)
	tip := h.post(user("ana"), "tip: small commits #git")
	plain := h.post(user("ana"), "just chatting")
	h.react(bot.User{ID: "ghost"}, tip, "+1")
	h.react(bot.User{ID: "ghost"}, plain, "+1")
	h.react(bot.User{ID: "bob"}, tip, "+1")
	if got := h.votes(tip); got != 2 {
		t.Fatalf("votes = %d, want 2", got)
	}
	h.people(true, bot.Member{ID: "ghost", Name: "Ghost", Bot: true}, bot.Member{ID: "bob", Name: "Bob"})
	if got := h.votes(tip); got != 1 {
		t.Errorf("votes = %d after the lookup said bot, want 1", got)
	}
	// The pending vote went too: capturing the message counts nobody.
	h.react(user("amy"), plain, "bookmark")
	if got := h.votes(plain); got != 0 {
		t.Errorf("captured message has %d votes, want 0: the bot's pending vote stayed", got)
	}
	// Now the directory knows: the bot's next reaction does not count.
	h.react(bot.User{ID: "ghost"}, tip, "heart")
	if got := h.votes(tip); got != 1 {
		t.Errorf("votes = %d after a known bot reacted, want 1", got)
	}
}

// Forget-me erases the person from the directory; a complete listing is
// noted with its time.
func TestDirectoryForgetAndListing(t *testing.T) {
	h, _ := newDirectoryHarness(t)
	ctx := context.Background()
	if at, err := h.bot.DirectoryListedAt(ctx, h.ws); err != nil || !at.IsZero() {
		t.Fatalf("DirectoryListedAt = %v, %v; want zero", at, err)
	}
	h.handle(&bot.PeopleUpdated{EventMeta: h.meta(), Listed: true,
		Members: []bot.Member{{ID: "ana", Name: "Ana"}, {ID: "bob", Name: "Bob"}}})
	if at, err := h.bot.DirectoryListedAt(ctx, h.ws); err != nil || !at.Equal(h.clock()) {
		t.Errorf("DirectoryListedAt = %v, %v; want %v", at, err, h.clock())
	}
	h.command(bot.User{ID: "ana"}, "tips", "forget-me confirm")
	if _, err := h.member("ana"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("after forget-me: Member(ana) = %v, want ErrNotFound", err)
	}
	if m, err := h.member("bob"); err != nil || m.Name != "Bob" {
		t.Errorf("Member(bob) = %+v, %v", m, err)
	}
	// The directory survives a restart.
	h.close()
	h.open()
	if m, err := h.member("bob"); err != nil || m.Name != "Bob" {
		t.Errorf("after restart: Member(bob) = %+v, %v", m, err)
	}
}

// viewCountingStore counts the read transactions the core opens.
type viewCountingStore struct {
	bot.Store
	views atomic.Int64
}

func (s *viewCountingStore) View(ctx context.Context, ws bot.Workspace, fn func(bot.ReadTx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, ws, fn)
}

// A plain vote (the hot path of ingest) reads the directory in its own
// write transaction, not in a read transaction before it, with the same
// outcome: a known person votes, a person the directory knows as a bot
// does not, and an unknown person votes and is asked about after the
// commit.
func TestDirectoryReadInTheVoteTransaction(t *testing.T) {
	h, rc := newDirectoryHarness(t)
	var st *viewCountingStore
	h.wrap = func(s bot.Store) bot.Store { st = &viewCountingStore{Store: s}; return st }
	h.close()
	h.open()
	h.bot.Attach(bot.Shell, rc)
	h.people(false, bot.Member{ID: "ana", Name: "Ana Lima"}, bot.Member{ID: "robo", Name: "Robo", Bot: true},
		bot.Member{ID: "bob", Name: "Bob"})
	msg := h.post(bot.User{ID: "bob"}, "tip: write the test first #testing")
	rc.takeAsked()
	before := st.views.Load()
	h.react(bot.User{ID: "ana"}, msg, "+1")
	h.react(bot.User{ID: "robo"}, msg, "+1")
	h.react(bot.User{ID: "zoe"}, msg, "+1")
	if n := st.views.Load() - before; n != 0 {
		t.Errorf("three votes opened %d read transactions, want 0", n)
	}
	if got := h.votes(msg); got != 2 {
		t.Errorf("votes = %d, want 2 (ana and zoe; robo is a bot)", got)
	}
	if got := rc.takeAsked(); !slices.EqualFunc(got, [][]string{{"zoe"}}, slices.Equal) {
		t.Errorf("asked %v, want [[zoe]]", got)
	}
	// The same person's second reaction on the tip changes nothing.
	h.react(bot.User{ID: "ana"}, msg, "bulb")
	if got := h.votes(msg); got != 2 {
		t.Errorf("votes = %d after ana's second useful reaction, want 2", got)
	}
}
