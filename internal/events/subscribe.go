package events

import (
	"errors"
	"sync/atomic"
)

// ErrTooManySubscribers is returned by Subscribe when Limits.Subscribers
// followers are already subscribed.
var ErrTooManySubscribers = errors.New("too many live event followers")

// Subscription is one live follower of the Log: every event recorded after
// Subscribe arrives on C, in order. A follower that falls more than
// Limits.SubscriberQueue events behind is dropped (C is closed and Dropped
// reports true) rather than slowing the servers that record.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	g       *Log
	dropped atomic.Bool
}

// Subscribe starts a live follower. Close it when done.
func (g *Log) Subscribe() (*Subscription, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.subs) >= g.limits.Subscribers {
		return nil, ErrTooManySubscribers
	}
	c := make(chan Event, g.limits.SubscriberQueue)
	s := &Subscription{C: c, c: c, g: g}
	g.subs[s] = struct{}{}
	return s, nil
}

// Dropped reports whether the Log ended the subscription because the
// follower fell behind.
func (s *Subscription) Dropped() bool { return s.dropped.Load() }

// Close ends the subscription; C is closed. Safe to call more than once.
func (s *Subscription) Close() {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	if _, ok := s.g.subs[s]; ok {
		delete(s.g.subs, s)
		close(s.c)
	}
}

// publish hands e to every subscriber without waiting; g.mu is held.
func (g *Log) publish(e Event) {
	for s := range g.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Store(true)
			delete(g.subs, s)
			close(s.c)
		}
	}
}
