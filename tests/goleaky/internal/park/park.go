// Package park counts goroutines that were started to block and have reached their
// blocking operation, so the service can say when every one of them is parked and a
// profile taken then shows exact counts.
package park

import (
	"sync/atomic"
	"time"
)

// Counter tracks one kind of blocked goroutine: how many were started and how many
// have reached the line just before their blocking operation.
type Counter struct {
	started atomic.Int64
	parked  atomic.Int64
}

// Start records that one more goroutine of this kind is about to be started.
func (c *Counter) Start() { c.started.Add(1) }

// Parked is called by the goroutine itself right before it blocks.
func (c *Counter) Parked() { c.parked.Add(1) }

// Started returns how many goroutines of this kind were started.
func (c *Counter) Started() int64 { return c.started.Load() }

// Settled reports whether every started goroutine has reached its blocking operation.
func (c *Counter) Settled() bool { return c.parked.Load() == c.started.Load() }

// WaitSettled waits until all counters are settled and then lets the last goroutines
// move from "about to block" to blocked; false when timeout passes first.
func WaitSettled(timeout time.Duration, counters ...*Counter) bool {
	deadline := time.Now().Add(timeout)
	for {
		all := true
		for _, c := range counters {
			if !c.Settled() {
				all = false
				break
			}
		}
		if all {
			time.Sleep(50 * time.Millisecond)
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
