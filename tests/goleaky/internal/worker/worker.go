// Package worker runs requests on goroutines. Two of its functions leak by design: a
// request whose reply never comes leaves its waiter in "chan receive" (the reply
// channel is never sent to nor closed), and a reply waiter without a timeout case
// blocks in "select" forever. Its pool and heartbeat goroutines block too, but their
// number stays flat: they are not leaks.
package worker

import (
	"sync/atomic"
	"time"
)

type job struct {
	id   int64
	done chan struct{}
}

var nextID atomic.Int64

// Abandon starts a request whose caller gives up before the reply: its waiter
// goroutine blocks on a channel nobody will ever close.
func Abandon(parked func()) {
	j := &job{id: nextID.Add(1), done: make(chan struct{})}
	go j.await(parked)
}

func (j *job) await(parked func()) {
	parked()
	<-j.done // site: recv
}

// Forget starts a reply waiter that has neither a reply nor a cancel signal coming,
// and no timeout case in its select.
func Forget(parked func()) {
	reply := make(chan int)
	cancel := make(chan struct{})
	go waitReply(reply, cancel, parked)
}

func waitReply(reply <-chan int, cancel <-chan struct{}, parked func()) int {
	parked()
	select { // site: select
	case v := <-reply:
		return v
	case <-cancel:
		return -1
	}
}

// Pool is a fixed set of workers receiving functions to run; idle workers block in
// "chan receive" on the job channel, a constant number of them.
type Pool struct {
	jobs chan func()
	size int
}

// NewPool starts n workers; parked is called by each as it starts receiving.
func NewPool(n int, parked func()) *Pool {
	p := &Pool{jobs: make(chan func()), size: n}
	for i := 0; i < n; i++ {
		go p.run(parked)
	}
	return p
}

func (p *Pool) run(parked func()) {
	parked()
	for f := range p.jobs { // site: pool
		f()
	}
}

// Do runs f on a worker and waits for it.
func (p *Pool) Do(f func()) {
	done := make(chan struct{})
	p.jobs <- func() { f(); close(done) }
	<-done
}

// Size returns the number of workers.
func (p *Pool) Size() int { return p.size }

// Beats counts the ticks seen by all heartbeat goroutines.
var Beats atomic.Int64

// Heartbeat ticks every interval until stop is closed: a select with a ticker case,
// blocked but never leaked.
func Heartbeat(every time.Duration, stop <-chan struct{}, parked func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	parked()
	for {
		select { // site: ticker
		case <-t.C:
			Beats.Add(1)
		case <-stop:
			return
		}
	}
}
