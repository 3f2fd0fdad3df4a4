// Package cache is a map guarded by a mutex. Freeze stands for a refresh that failed
// and returned without unlocking: every later lookup goroutine waits in
// sync.Mutex.Lock forever.
package cache

import "sync"

// Cache is a string map with a mutex and a flush barrier.
type Cache struct {
	mu      sync.Mutex
	m       map[string]string
	flushed sync.WaitGroup
}

// New returns an empty cache with one flush in flight (see flush.go).
func New() *Cache {
	c := &Cache{m: make(map[string]string)}
	c.flushed.Add(1)
	return c
}

// Freeze takes the lock and never releases it.
func (c *Cache) Freeze() {
	c.mu.Lock()
}

// Lookup starts a goroutine that reads key; after Freeze it waits forever.
func (c *Cache) Lookup(key string, parked func()) {
	go c.get(key, parked)
}

func (c *Cache) get(key string, parked func()) string {
	parked()
	c.mu.Lock() // site: mutex
	defer c.mu.Unlock()
	return c.m[key]
}
