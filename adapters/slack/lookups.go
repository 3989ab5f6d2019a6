package slack

import (
	"context"
	"sync"

	"github.com/tipbot/tipbot/bot"
)

// lookup is one id to ask Slack about, in its workspace.
type lookup struct {
	ws bot.Workspace
	id string
}

// lookupQueue queues the ids the core asked the adapter to look up
// (people, channels): each once, however many events named it meanwhile.
// add never blocks; the loop that answers the lookups takes them and waits
// for more.
type lookupQueue struct {
	mu     sync.Mutex
	queue  []lookup
	queued map[string]bool
	wake   chan struct{}
}

func newLookupQueue() lookupQueue {
	return lookupQueue{queued: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// add queues the ids not queued yet and wakes the loop.
func (q *lookupQueue) add(ws bot.Workspace, ids []string) {
	q.mu.Lock()
	for _, id := range ids {
		if id != "" && !q.queued[id] {
			q.queued[id] = true
			q.queue = append(q.queue, lookup{ws, id})
		}
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take removes up to n queued lookups, oldest first.
func (q *lookupQueue) take(n int) []lookup {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.queue))
	out := make([]lookup, n)
	copy(out, q.queue)
	q.queue = append(q.queue[:0:0], q.queue[n:]...)
	for _, l := range out {
		delete(q.queued, l.id)
	}
	return out
}

// wait returns when lookups may have been added (true) or ctx ended
// (false).
func (q *lookupQueue) wait(ctx context.Context) bool {
	select {
	case <-q.wake:
		return true
	case <-ctx.Done():
		return false
	}
}
