package shell

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/tipbot/tipbot/bot"
)

// memStore is an in-memory bot.Store holding records only: enough for the
// shell's log. Like a group-committing store, Update may run fn more than
// once; it always runs it once on a scratch copy first, so any effect
// outside tx would show.
type memStore struct {
	mu   sync.Mutex
	recs map[string][]byte // kind + "/" + key → value
	ws   map[bot.Workspace]bool
	fail error // when set, Update returns it
}

func newMemStore() *memStore {
	return &memStore{recs: map[string][]byte{}, ws: map[bot.Workspace]bool{}}
}

func (s *memStore) Update(ctx context.Context, ws bot.Workspace, fn func(tx bot.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws[ws] = true
	if s.fail != nil {
		return s.fail
	}
	if err := fn(&memTx{recs: maps.Clone(s.recs)}); err != nil {
		return fmt.Errorf("mem: %w", err)
	}
	tx := &memTx{recs: maps.Clone(s.recs)}
	if err := fn(tx); err != nil {
		return fmt.Errorf("mem: %w", err)
	}
	s.recs = tx.recs
	return nil
}

func (s *memStore) View(ctx context.Context, ws bot.Workspace, fn func(tx bot.ReadTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws[ws] = true
	return fn(&memTx{recs: maps.Clone(s.recs)})
}

func (s *memStore) Workspaces(ctx context.Context) ([]bot.Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.ws)), nil
}

// memTx implements the record methods of bot.Tx; the others panic.
type memTx struct {
	bot.Tx
	recs map[string][]byte
}

func (t *memTx) Record(kind, key string) ([]byte, error) {
	v, ok := t.recs[kind+"/"+key]
	if !ok {
		return nil, bot.ErrNotFound
	}
	return slices.Clone(v), nil
}

func (t *memTx) ForEachRecord(kind string, fn func(key string, value []byte) error) error {
	for _, k := range slices.Sorted(maps.Keys(t.recs)) {
		if rest, ok := strings.CutPrefix(k, kind+"/"); ok {
			if err := fn(rest, slices.Clone(t.recs[k])); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *memTx) PutRecord(kind, key string, value []byte) error {
	t.recs[kind+"/"+key] = slices.Clone(value)
	return nil
}

func (t *memTx) DeleteRecord(kind, key string) error {
	delete(t.recs, kind+"/"+key)
	return nil
}

// recorder is a fake bot: it records events and answers like a tiny core.
// A message starting with "tip:" gets the bot's bulb and a thread reply,
// delivered in the background as the real core does; a command gets a
// private reply echoing it; "/tips fail" fails.
type recorder struct {
	chat bot.Chat

	mu       sync.Mutex
	events   []bot.Event
	channels []bot.ChannelsUpdated // what the shell told the directory of channels, kept apart from events
	errs     []error               // from the background deliveries
	wg       sync.WaitGroup
}

func (r *recorder) Handle(ctx context.Context, ev bot.Event) (bot.Reply, error) {
	r.mu.Lock()
	if c, ok := ev.(*bot.ChannelsUpdated); ok {
		r.channels = append(r.channels, *c)
		r.mu.Unlock()
		return nil, nil
	}
	r.events = append(r.events, ev)
	r.mu.Unlock()
	switch ev := ev.(type) {
	case *bot.MessagePosted:
		if strings.HasPrefix(ev.Text, "tip:") {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				err := r.chat.React(ctx, ev.Workspace, ev.Channel, ev.MessageID, "bulb")
				if err == nil {
					_, err = r.chat.Post(ctx, ev.Workspace, ev.Channel, bot.Message{
						Thread: ev.MessageID, Lines: []bot.Line{{Text: "Saved as t1"}},
					})
				}
				if err != nil {
					r.mu.Lock()
					r.errs = append(r.errs, err)
					r.mu.Unlock()
				}
			}()
		}
	case *bot.CommandInvoked:
		if ev.Text == "fail" {
			return nil, fmt.Errorf("store: disk full")
		}
		return &bot.Message{Lines: []bot.Line{{Text: "/" + ev.Name + " " + ev.Text}}}, nil
	}
	return nil, nil
}

func (r *recorder) Wait() { r.wg.Wait() }

func (r *recorder) taken() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.events
	r.events = nil
	return evs
}
