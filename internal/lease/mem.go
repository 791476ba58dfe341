package lease

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Mem is a Store in memory, for tests. It applies the same conflict rule as
// the durable stores.
type Mem struct {
	Now func() time.Time

	mu     sync.Mutex
	leases map[netip.Addr]Lease
}

// NewMem returns an empty in-memory store using clock now.
func NewMem(now func() time.Time) *Mem {
	return &Mem{Now: now, leases: map[netip.Addr]Lease{}}
}

func (m *Mem) Commit(_ context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.leases[l.IP]; ok && conflicts(prev, l, m.Now()) {
		return ErrConflict
	}
	m.leases[l.IP] = l
	return nil
}

func (m *Mem) Get(_ context.Context, ip netip.Addr) (Lease, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leases[ip]
	return l, ok, nil
}

func (m *Mem) All(context.Context) ([]Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedLeases(m.leases), nil
}

func (m *Mem) Close() error { return nil }

func sortedLeases(m map[netip.Addr]Lease) []Lease {
	out := make([]Lease, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Lease) int { return a.IP.Compare(b.IP) })
	return out
}
