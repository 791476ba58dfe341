package logsink

import (
	"io"
	"sync"
)

// maxPending is how many bytes may wait for the flusher before Write blocks
// (backpressure, never a dropped line).
const maxPending = 1 << 20

// Sink is an io.Writer that writes through w from one flusher goroutine.
// Lines still queued when the process is killed are lost; Close (or Flush)
// writes them.
type Sink struct {
	w io.Writer

	mu       sync.Mutex
	cond     *sync.Cond // signalled when pending shrinks or a flush ends
	pending  []byte
	flushing bool
	closed   bool
	err      error // the last write error, reported to the next Write
	wake     chan struct{}
	done     chan struct{}
}

// New returns a Sink writing to w and starts its flusher. A regular file
// is written with raw system calls (rawFile).
func New(w io.Writer) *Sink {
	if r := rawFile(w); r != nil {
		w = r
	}
	s := &Sink{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	go s.flusher()
	return s
}

// Write queues p (a whole log line: slog handlers write each record in one
// call) and returns at once unless maxPending bytes are already waiting.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	for len(s.pending) >= maxPending && !s.closed {
		s.cond.Wait()
	}
	if s.closed {
		s.mu.Unlock()
		return s.w.Write(p)
	}
	s.pending = append(s.pending, p...)
	err := s.err
	s.err = nil
	s.poke()
	s.mu.Unlock()
	return len(p), err
}

// poke wakes the flusher; called with mu held, so never after Close.
func (s *Sink) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sink) flusher() {
	defer close(s.done)
	var buf []byte
	for open := true; open; {
		_, open = <-s.wake
		s.mu.Lock()
		buf, s.pending = s.pending, buf[:0]
		s.flushing = len(buf) > 0
		s.cond.Broadcast()
		s.mu.Unlock()
		if len(buf) > 0 {
			_, err := s.w.Write(buf)
			s.mu.Lock()
			if err != nil {
				s.err = err
			}
			s.flushing = false
			s.cond.Broadcast()
			s.mu.Unlock()
		}
		if len(buf) > 4*maxPending {
			buf = nil // do not keep a burst's buffer for good
		}
	}
}

// Flush waits until every line queued before it has been written.
func (s *Sink) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for (len(s.pending) > 0 || s.flushing) && !s.closed {
		s.poke()
		s.cond.Wait()
	}
}

// Close writes what is queued and stops the flusher; later writes go
// straight to w.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.wake) // the flusher writes what is pending, then ends
	s.cond.Broadcast()
	s.mu.Unlock()
	<-s.done
	return nil
}
