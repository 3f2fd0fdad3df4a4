// Package ncast is a small publish/subscribe bus: every event goes to every subscriber
// through an unbuffered channel, each send in its own goroutine so a slow subscriber
// does not delay the others. A subscriber that stops reading leaks one goroutine per
// event (the Dotmesh pattern): they block in "chan send" forever.
package ncast

import "sync"

// Bus holds the subscribers' channels.
type Bus struct {
	mu   sync.Mutex
	subs []chan string
}

// Subscribe registers a new subscriber and returns its channel.
func (b *Bus) Subscribe() <-chan string {
	ch := make(chan string)
	b.mu.Lock()
	b.subs = append(b.subs, ch)
	b.mu.Unlock()
	return ch
}

// Publish sends ev to every subscriber. parked is called by each sending goroutine
// right before it sends.
func (b *Bus) Publish(ev string, parked func()) {
	b.mu.Lock()
	subs := append([]chan string(nil), b.subs...)
	b.mu.Unlock()
	for _, s := range subs {
		go func(s chan string) {
			parked()
			s <- ev // site: send
		}(s)
	}
}

// Subscribers returns the number of subscribers, one sending goroutine per event each.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
