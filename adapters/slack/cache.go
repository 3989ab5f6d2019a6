package slack

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// ageLRU is a bounded LRU cache whose entries expire ttl after they were
// added, checked when read. It is golang-lru's expirable cache used
// without its own TTL: with a TTL, that cache starts a goroutine that never
// ends (golang-lru v2.0.7 has no way to stop it), one per adapter, which
// outlives tests and their synctest bubbles.
type ageLRU[V any] struct {
	lru *expirable.LRU[string, aged[V]]
	ttl time.Duration
}

type aged[V any] struct {
	v  V
	at time.Time
}

func newAgeLRU[V any](size int, ttl time.Duration) *ageLRU[V] {
	return &ageLRU[V]{lru: expirable.NewLRU[string, aged[V]](size, nil, 0), ttl: ttl}
}

// Get returns the value of key unless it is missing or older than the TTL.
func (c *ageLRU[V]) Get(key string) (V, bool) {
	e, ok := c.lru.Get(key)
	if !ok || time.Since(e.at) >= c.ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Add sets the value of key, dropping the least recently used beyond the size.
func (c *ageLRU[V]) Add(key string, v V) { c.lru.Add(key, aged[V]{v, time.Now()}) }

// Remove forgets key.
func (c *ageLRU[V]) Remove(key string) { c.lru.Remove(key) }
