// Package shell is tipbot's terminal adapter: a local chat where anyone can
// try every feature without a Slack or Discord token.
//
// It reads lines from a terminal, or from any reader until end of input so it
// can be scripted. A plain line is a message from the current user in the
// current channel (at start `you` in `#general`); lines starting with '/' are
// the shell's verbs (/as, /in, /reply, /react, /unreact, /edit, /delete,
// /save, /help, /quit) or commands for the bot (/tip, /tips). Every message,
// the user's and the bot's, is printed with its id in brackets; reactions
// and private replies are printed too, private ones marked as such.
//
// The chat history lives in the store as opaque records (kinds shell.msg and
// shell.state), so ids keep increasing across restarts and messages of an
// earlier run can still be reacted to, replied to, edited or deleted.
// Adapter implements bot.Chat for the bot's outbound messages. Output is
// deterministic for scripts: after each line the shell waits for the bot's
// background posts before reading the next one.
package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tipbot/tipbot/bot"
)

// WorkspaceID is the id of the shell's only workspace, "local".
const WorkspaceID = "local"

// BotName is the name under which the bot speaks in the shell.
const BotName = "tipbot"

// maxLine is the longest line accepted, in bytes (Slack's message limit).
const maxLine = 40000

// Handler handles the events the shell produces; *bot.Bot satisfies it.
type Handler interface {
	// Handle applies an event and returns the private reply for its author.
	Handle(ctx context.Context, ev bot.Event) (bot.Reply, error)
	// Wait blocks until the outbound messages the bot started are delivered.
	Wait()
}

// Options are what New needs. Bot, Store and In are required.
type Options struct {
	Bot   Handler
	Store bot.Store
	In    io.Reader
	Out   io.Writer // nil discards the output
	// Admins are the user names that are admins; when empty, the first user
	// "you" is admin.
	Admins []string
	// Locale of the shell's own lines: "en" (default) or "fr".
	Locale string
	Logger *slog.Logger // nil discards logs
	// Advance, when set, moves the bot's clock forward by d, does what
	// fell due and returns the new time (/advance; tests only: see
	// TIPBOT_FAKE_NOW). Nil: /advance is refused.
	Advance func(ctx context.Context, d time.Duration) (time.Time, error)
}

// Adapter is the terminal chat. Its Chat methods may be called from any
// goroutine; Run is called once.
type Adapter struct {
	bot     Handler
	advance func(ctx context.Context, d time.Duration) (time.Time, error)
	store   bot.Store
	in      io.Reader
	out     io.Writer
	admins  map[string]bool
	t       *texts
	log     *slog.Logger
	ws      bot.Workspace

	// mu serializes the message log and every write to out, so messages
	// appear in id order and lines never interleave.
	mu       sync.Mutex
	writeErr error

	// The current user and channel, used by Run only.
	user, channel string
	// announced holds the channels told to the bot's directory of
	// channels in this run (used by Run only).
	announced map[string]bool
}

// New returns a shell adapter. Run reports missing options.
func New(o Options) *Adapter {
	a := &Adapter{
		bot:     o.Bot,
		advance: o.Advance,
		store:   o.Store,
		in:      o.In,
		out:     o.Out,
		admins:  map[string]bool{},
		t:       &english,
		log:     o.Logger,
		ws:      bot.Workspace{Platform: bot.Shell, ID: WorkspaceID},
		user:    "you",
		channel: "#general",
	}
	if a.out == nil {
		a.out = io.Discard
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if t, ok := catalog[o.Locale]; ok {
		a.t = t
	}
	for _, n := range o.Admins {
		a.admins[strings.TrimPrefix(strings.TrimSpace(n), "@")] = true
	}
	if len(a.admins) == 0 {
		a.admins["you"] = true
	}
	return a
}

// input is one line read, or the read error that ended the input.
type input struct {
	text    string
	tooLong bool
	err     error
}

// Run reads and handles lines until end of input, /quit or the end of ctx,
// and then returns nil. It returns an error when options are missing or
// reading or writing fails.
func (a *Adapter) Run(ctx context.Context) error {
	switch {
	case a.bot == nil:
		return errors.New("shell: no bot handler")
	case a.store == nil:
		return errors.New("shell: no store")
	case a.in == nil:
		return errors.New("shell: no input")
	}
	interactive := isTerminal(a.in)
	lines := make(chan input)
	done := make(chan struct{})
	defer close(done)
	go readLines(a.in, lines, done)
	if interactive {
		a.say(fmt.Sprintf(a.t.banner, a.user, a.channel))
	}
	for {
		if interactive {
			a.write(a.user + " " + a.channel + "> ")
		}
		if err := a.outErr(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case in, ok := <-lines:
			if !ok {
				return a.outErr()
			}
			if in.err != nil {
				return fmt.Errorf("shell: read input: %w", in.err)
			}
			if in.tooLong {
				a.say(fmt.Sprintf(a.t.tooLong, maxLine))
				continue
			}
			if a.handleLine(ctx, in.text) {
				return a.outErr()
			}
		}
	}
}

// readLines sends every line of r, then closes out. Lines longer than
// maxLine are reported, not kept.
func readLines(r io.Reader, out chan<- input, done <-chan struct{}) {
	defer close(out)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		var buf []byte
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !tooLong && len(buf)+len(chunk) > maxLine+2 {
				tooLong, buf = true, nil
			}
			if !tooLong {
				buf = append(buf, chunk...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		text := strings.TrimRight(string(buf), "\r\n")
		if len(text) > maxLine {
			text, tooLong = "", true
		}
		in := input{text: text, tooLong: tooLong}
		if err != nil && err != io.EOF {
			in = input{err: err}
		}
		if err == nil || in.err != nil || in.text != "" || in.tooLong {
			select {
			case out <- in:
			case <-done:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// handleLine applies one line and reports whether the shell should stop.
func (a *Adapter) handleLine(ctx context.Context, line string) (quit bool) {
	line = strings.TrimSpace(strings.ToValidUTF8(line, "\uFFFD"))
	if line == "" {
		return false
	}
	if !strings.HasPrefix(line, "/") {
		a.postLine(ctx, line)
		return false
	}
	verb, rest := cutWord(line[1:])
	verb = strings.ToLower(verb)
	switch verb {
	case "quit", "exit":
		return true
	case "help":
		a.say(a.t.help)
	case "as":
		a.switchUser(rest)
	case "in":
		a.switchChannel(rest)
	case "private":
		a.makePrivate(ctx, rest)
	case "reply":
		a.reply(ctx, rest)
	case "react":
		a.react(ctx, rest, true)
	case "unreact":
		a.react(ctx, rest, false)
	case "edit":
		a.edit(ctx, rest)
	case "delete":
		a.delete(ctx, rest)
	case "save":
		a.save(ctx, rest)
	case "advance":
		a.advanceClock(ctx, rest)
	case "":
		a.say(fmt.Sprintf(a.t.unknown, verb))
	default:
		// /tip, /tips and any other command go to the bot, which answers
		// unknown ones with a usage line (SPEC, Shell).
		a.command(ctx, verb, rest)
	}
	return false
}

// cutWord splits s at its first run of white space.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

func (a *Adapter) switchUser(arg string) {
	name, extra := cutWord(arg)
	name = strings.TrimPrefix(name, "@")
	switch {
	case name == "" || extra != "":
		a.say(fmt.Sprintf(a.t.usageAs, a.user))
	case !bot.ArgName(name):
		a.say(fmt.Sprintf(a.t.badName, name))
	case strings.EqualFold(name, BotName):
		a.say(fmt.Sprintf(a.t.botName, name))
	default:
		a.user = name
		a.say(fmt.Sprintf(a.t.now, a.user, a.channel))
	}
}

func (a *Adapter) switchChannel(arg string) {
	name, extra := cutWord(arg)
	if name == "" || extra != "" {
		a.say(fmt.Sprintf(a.t.usageIn, a.channel))
		return
	}
	ch := "#" + strings.ToLower(strings.TrimPrefix(name, "#"))
	if !bot.ArgName(ch[1:]) {
		a.say(fmt.Sprintf(a.t.badChannel, name))
		return
	}
	a.channel = ch
	a.say(fmt.Sprintf(a.t.now, a.user, a.channel))
}

// isAdmin reports whether a shell user is an admin.
func (a *Adapter) isAdmin(name string) bool { return a.admins[name] }

// person returns the core's view of a shell user.
func (a *Adapter) person(name string) bot.User {
	return bot.User{ID: name, Name: name, Admin: a.isAdmin(name)}
}

// authorOf returns the core's view of a message's author.
func (a *Adapter) authorOf(m message) bot.User {
	if m.Bot {
		return bot.User{ID: m.Author, Name: m.Author, Bot: true}
	}
	return a.person(m.Author)
}

func (a *Adapter) meta(event uint64) bot.EventMeta {
	return bot.EventMeta{ID: "shell-" + strconv.FormatUint(event, 10), Workspace: a.ws}
}

// record runs fn in a store transaction with the shell's sequences, then,
// when it committed, print; both under mu so that messages are printed in
// id order.
func (a *Adapter) record(ctx context.Context, fn func(tx bot.Tx, st *state) error, print func()) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.store.Update(ctx, a.ws, func(tx bot.Tx) error {
		st, err := readState(tx)
		if err != nil {
			return err
		}
		if err := fn(tx, &st); err != nil {
			return err
		}
		return writeState(tx, st)
	})
	if err == nil && print != nil {
		print()
	}
	return err
}

// refuse prints what went wrong with a verb: the refusal for bad input, a
// short failure line (and a log line) otherwise.
func (a *Adapter) refuse(err error) {
	var r *refusal
	if errors.As(err, &r) {
		a.say(r.text)
		return
	}
	a.log.Error("shell: record", "err", err)
	a.say(fmt.Sprintf(a.t.storeFailed, err))
}

// announce tells the bot's directory of channels about a shell channel;
// with ifUnknown only when the directory does not know it yet.
func (a *Adapter) announce(ctx context.Context, c bot.Channel, ifUnknown bool) bool {
	if a.announced == nil {
		a.announced = map[string]bool{}
	}
	ev := &bot.ChannelsUpdated{EventMeta: bot.EventMeta{Workspace: a.ws}, Channels: []bot.Channel{c}, IfUnknown: ifUnknown}
	if _, err := a.bot.Handle(ctx, ev); err != nil {
		a.log.Error("shell: handle event", "err", err)
		a.say(fmt.Sprintf(a.t.failed, err))
		return false
	}
	a.announced[c.ID] = true
	return true
}

// makePrivate makes a shell channel private: its tips are restricted to it.
func (a *Adapter) makePrivate(ctx context.Context, arg string) {
	name, extra := cutWord(arg)
	if name == "" || extra != "" {
		a.say(a.t.usagePriv)
		return
	}
	ch := "#" + strings.ToLower(strings.TrimPrefix(name, "#"))
	if !bot.ArgName(ch[1:]) {
		a.say(fmt.Sprintf(a.t.badChannel, name))
		return
	}
	if a.announce(ctx, bot.Channel{ID: ch, Name: ch[1:], Kind: bot.ChannelPrivate}, false) {
		a.say(fmt.Sprintf(a.t.madePrivate, ch))
	}
}

// deliver hands an event to the bot, waits for its outbound messages and
// prints its private reply.
func (a *Adapter) deliver(ctx context.Context, ev bot.Event) {
	if ch := bot.ChannelOf(ev); ch != "" && !a.announced[ch] {
		// Shell channels are public unless made private (/private).
		a.announce(ctx, bot.Channel{ID: ch, Name: ch[1:], Kind: bot.ChannelPublic}, true)
	}
	reply, err := a.bot.Handle(ctx, ev)
	a.bot.Wait()
	if err != nil {
		a.log.Error("shell: handle event", "err", err)
		a.say(fmt.Sprintf(a.t.failed, err))
		return
	}
	if reply != nil {
		a.printPrivate(a.user, *reply)
	}
}

func (a *Adapter) postLine(ctx context.Context, text string) {
	a.post(ctx, func(bot.Tx) (message, error) {
		return message{Channel: a.channel, Author: a.user, Text: text}, nil
	})
}

// post records the message compose returns as the next one (compose may
// read the transcript), prints it and sends it to the core as posted.
func (a *Adapter) post(ctx context.Context, compose func(tx bot.Tx) (message, error)) {
	var m message
	var ev uint64
	err := a.record(ctx, func(tx bot.Tx, st *state) error {
		var err error
		if m, err = compose(tx); err != nil {
			return err
		}
		st.LastMessage++
		st.LastEvent++
		m.ID = st.LastMessage
		ev = st.LastEvent
		return writeMessage(tx, m)
	}, func() { a.printMessage(m, "") })
	if err != nil {
		a.refuse(err)
		return
	}
	a.deliver(ctx, &bot.MessagePosted{
		EventMeta: a.meta(ev), Channel: m.Channel, MessageID: m.idString(), ThreadID: m.Thread,
		Author: a.person(m.Author), Text: m.Text,
	})
}

func (a *Adapter) reply(ctx context.Context, args string) {
	idArg, text := cutWord(args)
	parent, ok := parseID(idArg)
	if !ok || text == "" {
		a.say(a.t.usageReply)
		return
	}
	a.post(ctx, func(tx bot.Tx) (message, error) {
		p, err := readMessage(tx, parent, a.t)
		if err != nil {
			return message{}, err
		}
		thread := p.Thread // threads are one level deep, as on Slack
		if thread == "" {
			thread = p.idString()
		}
		return message{Channel: p.Channel, Author: a.user, Text: text, Thread: thread}, nil
	})
}

func (a *Adapter) react(ctx context.Context, args string, add bool) {
	idArg, emojiArg := cutWord(args)
	id, ok := parseID(idArg)
	emoji, emojiOK := emojiName(emojiArg)
	if !ok || emojiArg == "" || strings.ContainsFunc(emojiArg, unicode.IsSpace) {
		if add {
			a.say(a.t.usageReact)
		} else {
			a.say(a.t.usageUnrect)
		}
		return
	}
	if !emojiOK {
		a.say(fmt.Sprintf(a.t.badEmoji, emojiArg))
		return
	}
	m, ev, ok := a.changeMessage(ctx, id, func(tx bot.Tx, m *message) error {
		if add && !m.addReaction(emoji, a.user) {
			return &refusal{fmt.Sprintf(a.t.already, a.user, emoji, m.idString())}
		}
		if !add && !m.removeReaction(emoji, a.user) {
			return &refusal{fmt.Sprintf(a.t.notReacted, a.user, emoji, m.idString())}
		}
		return writeMessage(tx, *m)
	}, func(m message) {
		format := a.t.reacted
		if !add {
			format = a.t.unreacted
		}
		a.sayf("[%d] %s", m.ID, fmt.Sprintf(format, a.user, emoji))
	})
	if !ok {
		return
	}
	if add {
		a.deliver(ctx, &bot.ReactionAdded{
			EventMeta: a.meta(ev), Channel: m.Channel, MessageID: m.idString(),
			User: a.person(a.user), Emoji: emoji,
			Message: bot.MessageInfo{Author: a.authorOf(m), Text: m.Text, ThreadID: m.Thread},
		})
		return
	}
	a.deliver(ctx, &bot.ReactionRemoved{
		EventMeta: a.meta(ev), Channel: m.Channel, MessageID: m.idString(),
		User: a.person(a.user), Emoji: emoji,
	})
}

// changeMessage runs a verb on message id: in one transaction it reads the
// message, lets change check and alter it (change returns a *refusal to
// refuse), and takes the next event number; then echo prints. It returns
// the message as changed and the event number, or false when the verb was
// refused or failed (already answered).
func (a *Adapter) changeMessage(ctx context.Context, id uint64, change func(tx bot.Tx, m *message) error, echo func(m message)) (message, uint64, bool) {
	var m message
	var ev uint64
	err := a.record(ctx, func(tx bot.Tx, st *state) error {
		var err error
		if m, err = readMessage(tx, id, a.t); err != nil {
			return err
		}
		if err := change(tx, &m); err != nil {
			return err
		}
		st.LastEvent++
		ev = st.LastEvent
		return nil
	}, func() {
		if echo != nil {
			echo(m)
		}
	})
	if err != nil {
		a.refuse(err)
		return m, 0, false
	}
	return m, ev, true
}

func (a *Adapter) edit(ctx context.Context, args string) {
	idArg, text := cutWord(args)
	id, ok := parseID(idArg)
	if !ok || text == "" {
		a.say(a.t.usageEdit)
		return
	}
	m, ev, ok := a.changeMessage(ctx, id, func(tx bot.Tx, m *message) error {
		if m.Bot || m.Author != a.user {
			return &refusal{fmt.Sprintf(a.t.notAuthor, m.idString())}
		}
		m.Text = text
		return writeMessage(tx, *m)
	}, func(m message) { a.printMessage(m, a.t.edited) })
	if !ok {
		return
	}
	a.deliver(ctx, &bot.MessageEdited{
		EventMeta: a.meta(ev), Channel: m.Channel, MessageID: m.idString(), ThreadID: m.Thread,
		Author: a.person(m.Author), Text: m.Text,
	})
}

func (a *Adapter) delete(ctx context.Context, args string) {
	idArg, extra := cutWord(args)
	id, ok := parseID(idArg)
	if !ok || extra != "" {
		a.say(a.t.usageDelete)
		return
	}
	m, ev, ok := a.changeMessage(ctx, id, func(tx bot.Tx, m *message) error {
		if (m.Bot || m.Author != a.user) && !a.isAdmin(a.user) {
			return &refusal{fmt.Sprintf(a.t.notAllowed, m.idString())}
		}
		if err := tx.DeleteRecord(kindMessage, messageKey(m.ID)); err != nil {
			return fmt.Errorf("shell: delete message %d: %w", m.ID, err)
		}
		return nil
	}, func(m message) { a.sayf("[%d] %s", m.ID, fmt.Sprintf(a.t.deleted, a.user)) })
	if !ok {
		return
	}
	a.deliver(ctx, &bot.MessageDeleted{EventMeta: a.meta(ev), Channel: m.Channel, MessageID: m.idString()})
}

func (a *Adapter) save(ctx context.Context, args string) {
	idArg, extra := cutWord(args)
	id, ok := parseID(idArg)
	if !ok || extra != "" {
		a.say(a.t.usageSave)
		return
	}
	m, ev, ok := a.changeMessage(ctx, id, func(bot.Tx, *message) error { return nil }, nil)
	if !ok {
		return
	}
	a.deliver(ctx, &bot.SaveAsTip{
		EventMeta: a.meta(ev), Channel: m.Channel, MessageID: m.idString(),
		User:    a.person(a.user),
		Message: bot.MessageInfo{Author: a.authorOf(m), Text: m.Text, ThreadID: m.Thread},
	})
}

func (a *Adapter) command(ctx context.Context, name, text string) {
	var ev uint64
	err := a.record(ctx, func(tx bot.Tx, st *state) error {
		st.LastEvent++
		ev = st.LastEvent
		return nil
	}, nil)
	if err != nil {
		a.refuse(err)
		return
	}
	a.deliver(ctx, &bot.CommandInvoked{
		EventMeta: a.meta(ev), Channel: a.channel, User: a.person(a.user), Name: name, Text: text,
	})
}

// Post prints the bot's message in a channel (in a thread when m.Thread is
// set) and returns its new id. It fails when the store cannot record it.
func (a *Adapter) Post(ctx context.Context, ws bot.Workspace, channel string, m bot.Message) (string, error) {
	var msg message
	err := a.record(ctx, func(tx bot.Tx, st *state) error {
		st.LastMessage++
		msg = message{ID: st.LastMessage, Channel: channel, Author: BotName, Bot: true, Text: m.Render(refMarkup).Text(), Thread: m.Thread}
		return writeMessage(tx, msg)
	}, func() { a.printBot(msg, m) })
	if err != nil {
		return "", fmt.Errorf("shell: post in %s: %w", channel, err)
	}
	return msg.idString(), nil
}

// React prints the bot's reaction to a message. Reacting twice with the same
// emoji is not an error. It fails when the message does not exist.
func (a *Adapter) React(ctx context.Context, ws bot.Workspace, channel, messageID, emoji string) error {
	id, ok := parseID(messageID)
	if !ok {
		return fmt.Errorf("shell: react to %q: %w", messageID, bot.ErrNotFound)
	}
	emoji = strings.Trim(emoji, ":")
	added := false
	var m message
	err := a.record(ctx, func(tx bot.Tx, st *state) error {
		var err error
		if m, err = readMessage(tx, id, a.t); err != nil {
			return err
		}
		if added = m.addReaction(emoji, BotName); !added {
			return nil
		}
		return writeMessage(tx, m)
	}, func() {
		if added {
			a.sayf("[%d] %s", m.ID, fmt.Sprintf(a.t.reacted, BotName, emoji))
		}
	})
	var r *refusal
	if errors.As(err, &r) {
		return fmt.Errorf("shell: react to %s: %w", messageID, bot.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("shell: react to %s: %w", messageID, err)
	}
	return nil
}

// Direct prints a private message to a user. It never fails.
func (a *Adapter) Direct(ctx context.Context, ws bot.Workspace, userID string, m bot.Message) error {
	a.printPrivate(userID, m)
	return nil
}

// isTerminal reports whether r is a terminal, to show a prompt.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// advanceClock moves a test clock forward and waits until what fell due
// (a session's close, follow-ups) is done and printed.
func (a *Adapter) advanceClock(ctx context.Context, arg string) {
	if a.advance == nil {
		a.say(a.t.noClock)
		return
	}
	d, err := bot.ParseDuration(arg)
	if err != nil {
		a.say(a.t.usageAdv)
		return
	}
	at, err := a.advance(ctx, d)
	if err != nil {
		a.say(fmt.Sprintf(a.t.failed, err))
		return
	}
	a.say(fmt.Sprintf(a.t.advanced, at.Format("2006-01-02 15:04 MST")))
}
