package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/cron"
	"github.com/tipbot/tipbot/bot"
	"github.com/tipbot/tipbot/store"
)

// recordingChat is a bot.Chat that records what the core sends.
type recordingChat struct {
	mu        sync.Mutex
	seq       int
	posts     []post
	reactions []string // "channel/message:emoji"
	directs   []post
	// failPosts makes Post fail, as if tipbot died before posting.
	failPosts bool
	// refuse, when set, says whether the platform refuses for good a call
	// to that channel (or person, for directs).
	refuse func(dest string) bool
	// postDelay is how long each post takes (a platform pacing posts).
	postDelay time.Duration
}

type post struct {
	Channel string // user id for directs
	ID      string
	Message bot.Message
	At      time.Time
}

func (c *recordingChat) Post(_ context.Context, _ bot.Workspace, channel string, m bot.Message) (string, error) {
	c.mu.Lock()
	delay := c.postDelay
	c.mu.Unlock()
	time.Sleep(delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failPosts {
		return "", errors.New("post failed")
	}
	if c.refuse != nil && c.refuse(channel) {
		return "", fmt.Errorf("post: %w: not_in_channel", bot.ErrRefused)
	}
	c.seq++
	id := fmt.Sprintf("bot-%d", c.seq)
	c.posts = append(c.posts, post{channel, id, m, time.Now()})
	return id, nil
}

func (c *recordingChat) React(_ context.Context, _ bot.Workspace, channel, msg, emoji string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reactions = append(c.reactions, channel+"/"+msg+":"+emoji)
	return nil
}

func (c *recordingChat) Direct(_ context.Context, _ bot.Workspace, user string, m bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refuse != nil && c.refuse(user) {
		return fmt.Errorf("direct: %w: cannot_dm", bot.ErrRefused)
	}
	c.directs = append(c.directs, post{user, "", m, time.Now()})
	return nil
}

func (c *recordingChat) snapshot() (posts []post, reactions []string, directs []post) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]post(nil), c.posts...), append([]string(nil), c.reactions...), append([]post(nil), c.directs...)
}

// harness drives a real Bot on a real bbolt file with a controllable clock.
type harness struct {
	t    testing.TB
	bot  *bot.Bot
	db   *store.DB
	chat *recordingChat
	ws   bot.Workspace
	cfg  bot.Config
	path string
	mu   sync.Mutex
	now  time.Time
	// offset, when set, makes the clock time.Now()+offset: inside a
	// testing/synctest bubble that is a fake clock starting at a chosen date.
	offset time.Duration
	seq    int
	msgs   map[string]bot.MessageInfo // message id → what was posted
	// wrap, when set before open, interposes on the Bot's store.
	wrap func(bot.Store) bot.Store
	// announced holds the channels handle told the directory of: like the
	// shell, the harness's channels are public unless a test says not.
	announced map[string]bool
}

func newHarness(t testing.TB, configure func(*bot.Config)) *harness {
	t.Helper()
	h := &harness{t: t, chat: &recordingChat{}, ws: bot.Workspace{Platform: bot.Shell, ID: "local"},
		now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), msgs: map[string]bot.MessageInfo{},
		path: filepath.Join(t.TempDir(), "tipbot.db"), cfg: bot.DefaultConfig()}
	h.cfg.MaxPerMinute = 0 // tests post many tips at one instant; TestCaptureRate sets it
	if configure != nil {
		configure(&h.cfg)
	}
	h.open()
	t.Cleanup(h.close)
	return h
}

// newSyncHarness is newHarness for tests inside a synctest bubble: its
// clock is the bubble's fake clock, shifted to start at start.
func newSyncHarness(t *testing.T, start time.Time, configure func(*bot.Config)) *harness {
	t.Helper()
	h := &harness{t: t, chat: &recordingChat{}, ws: bot.Workspace{Platform: bot.Shell, ID: "local"},
		offset: time.Until(start), msgs: map[string]bot.MessageInfo{},
		path: filepath.Join(t.TempDir(), "tipbot.db"), cfg: bot.DefaultConfig()}
	h.cfg.Admins = []string{"trainer"}
	h.cfg.MaxPerMinute = 0
	if configure != nil {
		configure(&h.cfg)
	}
	h.open()
	t.Cleanup(h.close)
	return h
}

// open opens the store file and starts a new Bot on it: a restart.
func (h *harness) open() {
	h.t.Helper()
	db, err := store.Open(h.path, store.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	var st bot.Store = db
	if h.wrap != nil {
		st = h.wrap(db)
	}
	h.bot, err = bot.New(bot.Options{Config: h.cfg, Store: st, Now: h.clock, Cron: cron.Parse, Platforms: bot.StandInPlatforms()})
	if err != nil {
		h.t.Fatal(err)
	}
	h.bot.Attach(bot.Shell, h.chat)
}

// close stops the Bot's deliveries and closes the store, checking it.
func (h *harness) close() {
	if h.db == nil {
		return
	}
	h.bot.Wait()
	h.bot.Shutdown(context.Background())
	if err := h.db.Check(); err != nil {
		h.t.Errorf("store check: %v", err)
	}
	if err := h.db.Close(); err != nil {
		h.t.Errorf("close: %v", err)
	}
	h.db = nil
}

func (h *harness) clock() time.Time {
	if h.offset != 0 {
		return time.Now().Add(h.offset).UTC()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

func (h *harness) nextID(kind string) string {
	h.seq++
	return fmt.Sprintf("%s-%d", kind, h.seq)
}

func user(name string) bot.User {
	return bot.User{ID: name, Name: strings.ToUpper(name[:1]) + name[1:]}
}

func (h *harness) handle(ev bot.Event) bot.Reply {
	h.t.Helper()
	if ch := bot.ChannelOf(ev); ch != "" && !h.announced[ch] {
		h.announce(bot.Channel{ID: ch, Name: ch, Kind: bot.ChannelPublic})
	}
	r, err := h.bot.Handle(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("handle %T: %v", ev, err)
	}
	h.bot.Wait()
	return r
}

// announce tells the directory of channels about a channel.
func (h *harness) announce(c bot.Channel) {
	h.t.Helper()
	if h.announced == nil {
		h.announced = map[string]bool{}
	}
	h.announced[c.ID] = true
	if _, err := h.bot.Handle(context.Background(), &bot.ChannelsUpdated{EventMeta: h.meta(), Channels: []bot.Channel{c}}); err != nil {
		h.t.Fatalf("announce %s: %v", c.ID, err)
	}
	h.bot.Wait()
}

func (h *harness) meta() bot.EventMeta { return bot.EventMeta{ID: h.nextID("ev"), Workspace: h.ws} }

// post posts a message in #general and returns its id.
func (h *harness) post(author bot.User, text string) string {
	return h.postIn("#general", "", author, text)
}

func (h *harness) postIn(channel, thread string, author bot.User, text string) string {
	id := h.nextID("m")
	h.msgs[id] = bot.MessageInfo{Author: author, Text: text, ThreadID: thread}
	h.handle(&bot.MessagePosted{EventMeta: h.meta(), Channel: channel, MessageID: id, ThreadID: thread, Author: author, Text: text})
	return id
}

func (h *harness) react(u bot.User, msg, emoji string) {
	h.handle(&bot.ReactionAdded{EventMeta: h.meta(), Channel: "#general", MessageID: msg, User: u, Emoji: emoji, Message: h.msgs[msg]})
}

func (h *harness) unreact(u bot.User, msg, emoji string) {
	h.handle(&bot.ReactionRemoved{EventMeta: h.meta(), Channel: "#general", MessageID: msg, User: u, Emoji: emoji})
}

func (h *harness) command(u bot.User, name, text string) string {
	h.t.Helper()
	r := h.handle(&bot.CommandInvoked{EventMeta: h.meta(), Channel: "#general", User: u, Name: name, Text: text})
	if r == nil {
		h.t.Fatalf("/%s %s: no reply", name, text)
	}
	return r.Text()
}

// tip returns the tip captured from a message, failing the test if none.
func (h *harness) tip(msg string) bot.Tip {
	h.t.Helper()
	t, err := h.tryTip(msg)
	if err != nil {
		h.t.Fatalf("tip of %s: %v", msg, err)
	}
	return t
}

func (h *harness) tryTip(msg string) (bot.Tip, error) {
	var t bot.Tip
	err := h.db.View(context.Background(), h.ws, func(tx bot.ReadTx) error {
		var err error
		t, err = tx.TipByMessage("#general", msg)
		return err
	})
	return t, err
}

func (h *harness) votes(msg string) int { h.t.Helper(); return h.tip(msg).UsefulVotes }
