// Flush barrier of the cache: New registers a flush that is never marked done, so
// every goroutine waiting for it blocks in sync.WaitGroup.Wait forever.
package cache

// AwaitFlush starts a goroutine that waits for the pending flush.
func (c *Cache) AwaitFlush(parked func()) {
	go c.awaitFlush(parked)
}

func (c *Cache) awaitFlush(parked func()) {
	parked()
	c.flushed.Wait() // site: wg
}
