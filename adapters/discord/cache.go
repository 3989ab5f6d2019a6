package discord

import (
	"container/list"
	"sync"
)

// lru is a bounded map that forgets the least recently used entries, safe
// for concurrent use.
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recent; values are K
	items map[K]*lruItem[K, V]
}

type lruItem[K comparable, V any] struct {
	value V
	elem  *list.Element
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), items: make(map[K]*lruItem[K, V])}
}

// get returns the value kept for k.
func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(it.elem)
	return it.value, true
}

// put keeps v for k, forgetting the oldest entry when full.
func (c *lru[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.items[k]; ok {
		it.value = v
		c.order.MoveToFront(it.elem)
		return
	}
	c.items[k] = &lruItem[K, V]{value: v, elem: c.order.PushFront(k)}
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(K))
	}
}

// remove forgets k.
func (c *lru[K, V]) remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.items[k]; ok {
		c.order.Remove(it.elem)
		delete(c.items, k)
	}
}
