package slack

import (
	"sync"
	"time"
)

// cache is a small bounded map with an optional time to live. When full,
// the oldest entries go first.
type cache[V any] struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration // 0 = entries never expire
	now   func() time.Time
	items map[string]cacheItem[V]
	order []string // insertion order, for eviction
}

type cacheItem[V any] struct {
	v       V
	expires time.Time
}

func newCache[V any](max int, ttl time.Duration, now func() time.Time) *cache[V] {
	return &cache[V]{max: max, ttl: ttl, now: now, items: make(map[string]cacheItem[V])}
}

func (c *cache[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[k]
	if !ok || (c.ttl > 0 && c.now().After(it.expires)) {
		var zero V
		return zero, false
	}
	return it.v, true
}

// put stores v for the cache's ttl (or for ttl when given).
func (c *cache[V]) put(k string, v V, ttl ...time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.ttl
	if len(ttl) > 0 {
		d = ttl[0]
	}
	if _, ok := c.items[k]; !ok {
		c.order = append(c.order, k)
	}
	c.items[k] = cacheItem[V]{v: v, expires: c.now().Add(d)}
	for len(c.items) > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		delete(c.items, old)
	}
	if len(c.order) > 2*c.max+16 { // deleted keys linger in order; compact
		keep := c.order[:0]
		for _, k := range c.order {
			if _, ok := c.items[k]; ok {
				keep = append(keep, k)
			}
		}
		c.order = keep
	}
}

func (c *cache[V]) delete(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, k)
}

func msgKey(channel, ts string) string { return channel + "/" + ts }
