package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// The durable outbox.
//
// Every message the core owes (a tip's post and its acknowledgement
// reaction, a prompt, reminder or recap, a hall of fame post, a thank-you,
// a digest, a notice to an author or a trainer) is written as a parcel
// record in the same transaction as the change that caused it. Once that
// transaction is committed, a delivery lane sends it through the platform's
// Chat, then, in another transaction, records what the platform answered
// (a tip's message id, a session's prompt id) and removes the parcel. At
// start, Run resumes whatever parcels are left. So a crash loses nothing
// owed; it may repeat only a parcel that was being sent at that moment.
//
// Lanes: one per destination (a channel, or a person for private messages),
// each sending one parcel at a time, so a burst in one channel never holds
// up another. Inside a lane, urgent parcels (prompts, reminders, recaps,
// notices) go first, then people's parcels round-robin: one person's
// hundred tips cannot delay another person's.
//
// Failures: a network error or a 5xx is retried with backoff, as long as it
// takes; rate limits are waited out by the Chat. An error that wraps
// ErrRefused (channel gone, bot not in the channel) drops the parcel for
// good: it is logged once and counted, a /tip whose post was refused is
// withdrawn and its author told, and the trainer whose prompt or recap was
// refused is told privately.

// recOutbox is the outbox's record kind (key: padded sequence → parcel JSON).
const recOutbox = "outbox"

// Counters of the outbox, per workspace (ReadTx.Counter): messages waiting
// to be sent, and messages the platform refused for good since the
// workspace began.
const (
	CounterOutboxPending = "outbox:pending"
	CounterOutboxFailed  = "outbox:failed"
)

// Retry pacing for parcels that failed with a temporary error.
const (
	firstRetry = time.Second
	maxRetry   = time.Minute
)

// parcelKind is what a parcel asks of the Chat.
type parcelKind string

const (
	parcelPost   parcelKind = "post"
	parcelReact  parcelKind = "react"
	parcelDirect parcelKind = "direct"
)

// parcel is one message owed, as kept in the outbox.
type parcel struct {
	Seq  uint64     `json:"seq"`
	Kind parcelKind `json:"kind"`
	// What names the parcel for logs and notices: tip, ack, prompt,
	// reminder, recap, hall-of-fame, thanks, digest, notice.
	What    string   `json:"what"`
	Channel string   `json:"channel,omitempty"` // post, react
	To      string   `json:"to,omitempty"`      // direct: the person
	Message *Message `json:"message,omitempty"` // post, direct
	Target  string   `json:"target,omitempty"`  // react: the message
	Thread  string   `json:"thread,omitempty"`  // react: the target's thread (MessageRef.Thread)
	Emoji   string   `json:"emoji,omitempty"`   // react
	// ThreadOf posts in the thread of that session's prompt, looked up when
	// sent (the prompt, queued earlier in the same lane, is posted first).
	ThreadOf SessionID `json:"thread_of,omitempty"`
	// LinkTip makes the post that tip's message once sent (a /tip post).
	LinkTip TipID `json:"link_tip,omitempty"`
	// LinkPrompt makes the post that session's prompt once sent.
	LinkPrompt SessionID `json:"link_prompt,omitempty"`
	// Session names the session a prompt, reminder or recap belongs to.
	Session SessionID `json:"session,omitempty"`
	// Tell is the person told privately if the platform refuses the parcel.
	Tell string `json:"tell,omitempty"`
	// By is the person whose action caused the parcel (lanes take turns
	// between people); Urgent parcels go before everyone's.
	By     string    `json:"by,omitempty"`
	Urgent bool      `json:"urgent,omitempty"`
	Queued time.Time `json:"queued"`

	// resumed: read back from the store at start, so it may have been
	// sent just before the previous run stopped (not stored).
	resumed bool
}

// PostFinder is an optional capability of a Chat: finding a message the bot
// already posted, so that the outbox does not post twice a message that
// may have been sent just before a crash, or whose answer a network error
// lost (Slack has no idempotency key for posts).
type PostFinder interface {
	// FindPost returns the id of a message the bot posted in channel (in
	// m.Thread when set) at or after since with m's text, or "" when there
	// is none.
	FindPost(ctx context.Context, ws Workspace, channel string, m Message, since time.Time) (string, error)
}

// lane returns the destination that orders the parcel's delivery.
func (p parcel) lane() string {
	if p.Kind == parcelDirect {
		return "@" + p.To
	}
	return "#" + p.Channel
}

func outboxKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// owe writes a parcel in tx and queues it for delivery once tx commits.
func (b *Bot) owe(tx Tx, out *outbox, p parcel) error {
	seq, err := nextSequence(tx, recOutbox)
	if err != nil {
		return err
	}
	p.Seq, p.Queued = seq, b.now()
	if p.Message != nil {
		m := *p.Message
		m.Key = "tipbot-" + outboxKey(seq)
		p.Message = &m
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("bot: encode outbox parcel: %w", err)
	}
	if err := tx.PutRecord(recOutbox, outboxKey(seq), raw); err != nil {
		return err
	}
	if err := tx.AddCounter(CounterOutboxPending, 1); err != nil {
		return err
	}
	out.parcels = append(out.parcels, p)
	return nil
}

// owePost owes a post of m in channel.
func (b *Bot) owePost(tx Tx, out *outbox, what, channel string, m Message, p parcel) error {
	p.Kind, p.What, p.Channel, p.Message = parcelPost, what, channel, &m
	return b.owe(tx, out, p)
}

// oweDirect owes a private message to a person.
func (b *Bot) oweDirect(tx Tx, out *outbox, what, to string, m Message) error {
	return b.owe(tx, out, parcel{Kind: parcelDirect, What: what, To: to, Message: &m, By: to})
}

// OutboxStatus returns how many messages the outbox holds across every
// workspace, and how many the platforms refused for good since the
// database was created.
func (b *Bot) OutboxStatus(ctx context.Context) (pending, failed int64, err error) {
	workspaces, err := b.store.Workspaces(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, ws := range workspaces {
		err := b.view(ctx, ws, func(tx ReadTx) error {
			p, err := tx.Counter(CounterOutboxPending)
			if err != nil {
				return err
			}
			f, err := tx.Counter(CounterOutboxFailed)
			pending, failed = pending+p, failed+f
			return err
		})
		if err != nil {
			return 0, 0, err
		}
	}
	return pending, failed, nil
}

// dispatcher holds the delivery lanes in memory.
type dispatcher struct {
	mu      sync.Mutex
	lanes   map[laneKey]*lane
	known   map[parcelRef]bool // parcels in a lane and not settled
	active  int                // lanes with a parcel they can send now
	idle    sync.Cond          // signalled when active drops to 0
	ctx     context.Context    // the lanes' lifetime
	cancel  context.CancelFunc
	running sync.WaitGroup // lane goroutines
}

type laneKey struct {
	ws   Workspace
	dest string
}

type parcelRef struct {
	ws  Workspace
	seq uint64
}

// lane is one destination's queue: urgent parcels first, then people's in
// turns.
type lane struct {
	urgent []parcel
	people map[string][]parcel
	turns  []string // people with parcels, next first
}

func (l *lane) push(p parcel) {
	if p.Urgent {
		l.urgent = append(l.urgent, p)
		return
	}
	if l.people == nil {
		l.people = map[string][]parcel{}
	}
	q, ok := l.people[p.By]
	if !ok {
		l.turns = append(l.turns, p.By)
	}
	l.people[p.By] = append(q, p)
}

func (l *lane) pop() (parcel, bool) {
	if len(l.urgent) > 0 {
		p := l.urgent[0]
		l.urgent = l.urgent[1:]
		return p, true
	}
	if len(l.turns) == 0 {
		return parcel{}, false
	}
	who := l.turns[0]
	q := l.people[who]
	p := q[0]
	if len(q) == 1 {
		delete(l.people, who)
		l.turns = l.turns[1:]
	} else {
		l.people[who] = q[1:]
		l.turns = append(l.turns[1:], who)
	}
	return p, true
}

func (d *dispatcher) init() {
	d.lanes = map[laneKey]*lane{}
	d.known = map[parcelRef]bool{}
	d.idle.L = &d.mu
	d.ctx, d.cancel = context.WithCancel(context.Background())
}

// dispatch hands committed parcels of ws to their lanes, starting the lanes
// that are not running. Parcels already in a lane are skipped.
func (b *Bot) dispatch(ws Workspace, parcels []parcel) {
	if len(parcels) == 0 {
		return
	}
	d := &b.out
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx.Err() != nil {
		return // shut down: the parcels wait in the store for the next start
	}
	for _, p := range parcels {
		ref := parcelRef{ws, p.Seq}
		if d.known[ref] {
			continue
		}
		d.known[ref] = true
		k := laneKey{ws, p.lane()}
		l, running := d.lanes[k]
		if !running {
			l = &lane{}
			d.lanes[k] = l
			d.active++
			d.running.Add(1)
			go b.runLane(k, l)
		}
		l.push(p)
	}
}

// runLane sends a lane's parcels one at a time until it is empty.
func (b *Bot) runLane(k laneKey, l *lane) {
	d := &b.out
	defer d.running.Done()
	for {
		d.mu.Lock()
		p, ok := l.pop()
		if !ok || d.ctx.Err() != nil {
			delete(d.lanes, k)
			if ok {
				// Shut down: what is left stays in the store.
				for ok {
					delete(d.known, parcelRef{k.ws, p.Seq})
					p, ok = l.pop()
				}
			}
			d.active--
			if d.active == 0 {
				d.idle.Broadcast()
			}
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		b.deliverParcel(k.ws, p)
		d.mu.Lock()
		delete(d.known, parcelRef{k.ws, p.Seq})
		d.mu.Unlock()
	}
}

// errNoChat: the parcel's platform has no Chat attached in this process.
var errNoChat = errors.New("bot: no chat attached for the platform")

// deliverParcel sends one parcel, retrying temporary failures with backoff
// until it is sent, refused, or the bot shuts down (then it stays in the
// store for the next start).
func (b *Bot) deliverParcel(ws Workspace, p parcel) {
	d := &b.out
	ctx := d.ctx
	wait := firstRetry
	doubt := p.resumed // it may have gone out already
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return
		}
		msgID, err := b.sendParcel(ctx, ws, p, doubt)
		switch {
		case err == nil:
			b.settle(ws, p, msgID)
			return
		case errors.Is(err, errSettled):
			return
		case errors.Is(err, errNoThread):
			b.settle(ws, p, "") // nothing to send: the prompt was refused
			return
		case errors.Is(err, ErrRefused):
			b.refuseParcel(ws, p, err)
			return
		case errors.Is(err, errNoChat):
			b.log.Warn("outbox: no chat for this platform; the message waits for the next start",
				"workspace", ws.Key(), "what", p.What)
			return
		}
		if ctx.Err() != nil {
			return
		}
		doubt = true // the failed call may have reached the platform
		if attempt == 1 || attempt%10 == 0 {
			b.log.Warn("outbox: sending failed; retrying", "workspace", ws.Key(), "what", p.What,
				"attempt", attempt, "retry_in", wait.String(), "err", err)
		}
		// A lane waiting to retry is not busy: Wait does not wait for it.
		d.mu.Lock()
		d.active--
		if d.active == 0 {
			d.idle.Broadcast()
		}
		d.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		d.mu.Lock()
		d.active++
		d.mu.Unlock()
		wait = min(2*wait, maxRetry)
	}
}

// errSettled: the parcel is no longer in the outbox (sent by another lane
// before a restart's resume saw it, or its workspace was erased).
var errSettled = errors.New("bot: parcel already settled")

// errNoThread: a parcel for a session's thread whose prompt was never
// posted (the platform refused it).
var errNoThread = errors.New("bot: the session's prompt was never posted")

// sendParcel makes the Chat call a parcel asks for and returns the new
// message's id for posts. When in doubt whether an earlier attempt went
// out, a post is first looked for (PostFinder) and not made again.
func (b *Bot) sendParcel(ctx context.Context, ws Workspace, p parcel, doubt bool) (string, error) {
	c := b.chat(ws.Platform)
	if c == nil {
		return "", errNoChat
	}
	thread := ""
	err := b.view(ctx, ws, func(tx ReadTx) error {
		if _, err := tx.Record(recOutbox, outboxKey(p.Seq)); err != nil {
			if errors.Is(err, ErrNotFound) {
				return errSettled
			}
			return err
		}
		if p.ThreadOf == 0 {
			return nil
		}
		s, err := getSession(tx, p.ThreadOf)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		thread = s.PromptID
		return nil
	})
	if err != nil {
		return "", err
	}
	switch p.Kind {
	case parcelPost:
		m := *p.Message
		if p.ThreadOf != 0 {
			if thread == "" {
				return "", errNoThread
			}
			m.Thread = thread
		}
		if f, ok := c.(PostFinder); ok && doubt {
			since := p.Queued.Add(-time.Minute) // a little clock skew
			id, err := f.FindPost(ctx, ws, p.Channel, m, since)
			if err != nil {
				return "", fmt.Errorf("bot: looking for an earlier post: %w", err)
			}
			if id != "" {
				b.log.Info("outbox: the message had been sent before the restart; not sent again", "workspace", ws.Key(), "what", p.What)
				return id, nil
			}
		}
		return c.Post(ctx, ws, p.Channel, m)
	case parcelReact:
		if rc, ok := c.(RefReactor); ok && p.Thread != "" {
			return "", rc.ReactTo(ctx, ws, MessageRef{Channel: p.Channel, MessageID: p.Target, Thread: p.Thread}, p.Emoji)
		}
		return "", c.React(ctx, ws, p.Channel, p.Target, p.Emoji)
	case parcelDirect:
		return "", c.Direct(ctx, ws, p.To, *p.Message)
	}
	return "", fmt.Errorf("bot: outbox parcel of unknown kind %q: %w", p.Kind, ErrRefused)
}

// settleTimeout bounds the transaction that records a sent parcel. It is
// not cut short by shutdown: a message sent should be recorded as sent.
const settleTimeout = 30 * time.Second

// settle records what the platform answered for a sent parcel and removes
// it from the outbox, then dispatches what that owes in turn (a tip's
// acknowledgement reaction, a hall of fame post).
func (b *Bot) settle(ws Workspace, p parcel, msgID string) {
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	var out outbox
	err := b.store.Update(ctx, ws, func(tx Tx) error {
		out = outbox{}
		if done, err := b.removeParcel(tx, p); done || err != nil {
			return err
		}
		switch {
		case p.LinkTip != 0 && msgID != "":
			return b.linkTipPost(tx, &out, ws, p.LinkTip, msgID)
		case p.LinkPrompt != 0 && msgID != "":
			return linkPrompt(tx, p.LinkPrompt, p.Channel, msgID)
		}
		return nil
	})
	if err != nil {
		// Sent but not recorded: it is sent again at the next start.
		b.log.Error("outbox: a sent message could not be recorded as sent", "workspace", ws.Key(), "what", p.What, "err", err)
		return
	}
	b.dispatch(ws, out.parcels)
}

// removeParcel deletes a parcel from the outbox in tx; done is true when
// it was no longer there.
func (b *Bot) removeParcel(tx Tx, p parcel) (done bool, err error) {
	key := outboxKey(p.Seq)
	if _, err := tx.Record(recOutbox, key); errors.Is(err, ErrNotFound) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	if err := tx.DeleteRecord(recOutbox, key); err != nil {
		return false, err
	}
	return false, tx.AddCounter(CounterOutboxPending, -1)
}

// refuseParcel drops a parcel the platform refused for good: it logs and
// counts it, withdraws a /tip whose post was refused (telling its author)
// and tells the person named in the parcel's Tell.
func (b *Bot) refuseParcel(ws Workspace, p parcel, cause error) {
	b.log.Warn("outbox: the platform refused a message for good; dropped", "workspace", ws.Key(), "what", p.What,
		"channel", p.Channel, "err", cause)
	ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
	defer cancel()
	var out outbox
	err := b.store.Update(ctx, ws, func(tx Tx) error {
		out = outbox{}
		if done, err := b.removeParcel(tx, p); done || err != nil {
			return err
		}
		if err := tx.AddCounter(CounterOutboxFailed, 1); err != nil {
			return err
		}
		if p.Kind == parcelDirect {
			return nil // nobody to tell about a private message that could not be sent
		}
		where := channelRef(p.Channel)
		if p.LinkTip != 0 {
			t, err := tx.Tip(p.LinkTip)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				return err
			case t.MessageID == "":
				if err := b.deleteTip(tx, t); err != nil {
					return err
				}
				note := Message{Lines: []Line{{Parts: b.tp("outbox.tip.refused", snippet(t.Text, 200), where)}}}
				if err := b.oweDirect(tx, &out, "notice", t.AuthorID, note); err != nil {
					return err
				}
			}
		}
		if p.Tell != "" {
			note := Message{Lines: []Line{{Parts: b.tp("outbox.refused."+p.What, p.Session, where)}}}
			return b.oweDirect(tx, &out, "notice", p.Tell, note)
		}
		return nil
	})
	if err != nil {
		b.log.Error("outbox: a refused message could not be dropped", "workspace", ws.Key(), "what", p.What, "err", err)
		return
	}
	b.dispatch(ws, out.parcels)
}

// resumeOutbox dispatches the parcels left in the store by a previous run,
// for every workspace whose platform has a Chat.
func (b *Bot) resumeOutbox(ctx context.Context) error {
	workspaces, err := b.store.Workspaces(ctx)
	if err != nil {
		return err
	}
	for _, ws := range workspaces {
		if b.chat(ws.Platform) == nil {
			continue
		}
		var parcels []parcel
		err := b.view(ctx, ws, func(tx ReadTx) error {
			return tx.ForEachRecord(recOutbox, func(key string, raw []byte) error {
				var p parcel
				if err := json.Unmarshal(raw, &p); err != nil {
					b.log.Error("outbox: undecodable parcel skipped", "workspace", ws.Key(), "key", key, "err", err)
					return nil
				}
				if seq, err := strconv.ParseUint(key, 10, 64); err == nil {
					p.Seq = seq
				}
				p.resumed = true
				parcels = append(parcels, p)
				return nil
			})
		})
		if err != nil {
			return err
		}
		if len(parcels) > 0 {
			b.log.Info("outbox: resuming messages owed before the restart", "workspace", ws.Key(), "count", len(parcels))
		}
		b.dispatch(ws, parcels)
	}
	return nil
}

// Wait blocks until no delivery lane has a message it can send now: every
// message owed so far has been handed to its Chat, or waits to be retried
// after a temporary failure. The shell calls it after each line.
func (b *Bot) Wait() {
	d := &b.out
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.active > 0 {
		d.idle.Wait()
	}
}

// Shutdown stops the delivery lanes: it lets them send what they can until
// ctx ends, then stops them and waits for them to exit. What is not sent
// stays in the outbox for the next start. Call it before closing the store.
func (b *Bot) Shutdown(ctx context.Context) {
	d := &b.out
	idle := make(chan struct{})
	go func() {
		b.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-ctx.Done():
		b.log.Warn("outbox: shutting down with messages still being sent; they are sent at the next start")
	}
	d.mu.Lock()
	d.cancel()
	d.mu.Unlock()
	d.running.Wait()
}
