package inflight

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMax is how many running transfers a Registry tracks at once by
// default: above the TFTP server's own cap (256) with room for HTTP.
const DefaultMax = 1024

// Transfer is a running transfer as it stands.
type Transfer struct {
	ID     uint64
	Proto  string // tftp, http, https
	File   string
	Client netip.AddrPort
	// Size is what the client was told it will get: the TFTP tsize (the
	// file's size), the HTTP Content-Length (of the range, for a Range
	// request); -1 when it was told none (a netascii TFTP transfer).
	Size    int64
	Sent    int64 // payload bytes sent so far
	Started time.Time
}

// Registry tracks running transfers. Its zero value is usable; it is safe
// for concurrent use.
type Registry struct {
	// Max bounds the transfers tracked at once (DefaultMax if 0).
	Max int
	// Now is the clock (time.Now if nil).
	Now func() time.Time

	mu        sync.Mutex
	next      uint64
	running   map[uint64]*entry
	untracked atomic.Uint64
}

type entry struct {
	t    Transfer // fixed once begun, but for Sent
	sent atomic.Int64
}

// Begin tracks a transfer that starts now. sent reports the bytes sent so
// far (called from the transfer's goroutine as often as it likes: it is
// one atomic store); end removes the transfer, and may be called more than
// once. When Max transfers are running already, both do nothing and the
// transfer is counted as untracked.
func (r *Registry) Begin(proto, file string, client netip.AddrPort, size int64) (sent func(int64), end func()) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		r.running = map[uint64]*entry{}
	}
	if len(r.running) >= cmp.Or(r.Max, DefaultMax) {
		r.untracked.Add(1)
		return func(int64) {}, func() {}
	}
	r.next++
	id := r.next
	e := &entry{t: Transfer{ID: id, Proto: proto, File: file, Client: client, Size: size, Started: now()}}
	r.running[id] = e
	return func(n int64) { e.sent.Store(n) }, func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
	}
}

// List returns the running transfers, the oldest first.
func (r *Registry) List() []Transfer {
	r.mu.Lock()
	out := make([]Transfer, 0, len(r.running))
	for _, e := range r.running {
		t := e.t
		t.Sent = e.sent.Load()
		out = append(out, t)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Transfer) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Untracked counts the transfers that ran untracked because Max were
// running already.
func (r *Registry) Untracked() uint64 { return r.untracked.Load() }
