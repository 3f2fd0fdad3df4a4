// Package gate is a condition that callers wait on until it opens. Nothing ever opens
// the gate here, so every waiter blocks in sync.Cond.Wait forever. No CODEOWNERS rule
// names this directory: its owner comes from the catch-all `*` rule.
package gate

import "sync"

// Gate is closed until Open; Wait blocks while it is closed.
type Gate struct {
	mu   sync.Mutex
	cond *sync.Cond
	open bool
}

// New returns a closed gate.
func New() *Gate {
	g := &Gate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Open opens the gate and wakes every waiter.
func (g *Gate) Open() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
	g.cond.Broadcast()
}

// Await starts a goroutine that waits for the gate to open.
func (g *Gate) Await(parked func()) {
	go g.wait(parked)
}

func (g *Gate) wait(parked func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	parked()
	for !g.open {
		g.cond.Wait() // site: cond
	}
}
