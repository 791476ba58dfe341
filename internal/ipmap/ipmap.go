package ipmap

import (
	"context"
	"io/fs"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/pxe"
)

// Bounds of the Map's memory and of its lookups in the store.
const (
	// MaxEntries bounds the addresses remembered; past it, a new address
	// takes the place of an arbitrary old one.
	MaxEntries = 65536
	// MaxMisses bounds the addresses remembered as unknown to the store.
	MaxMisses = 4096
	// MissTTL is how long an address the store did not know is not asked
	// about again.
	MissTTL = 5 * time.Second
	// LookupTimeout bounds one lookup in the store.
	LookupTimeout = time.Second
	// MaxLookups is how many store lookups run at once; a request past it
	// goes on without a name rather than wait.
	MaxLookups = 4
)

// Map knows which machine holds each address. The zero value is empty and
// ready; it is safe for concurrent use.
type Map struct {
	// Lookup, if set, reads the lease of an address from the shared lease
	// store (postgres.Store.Get), for Holder to ask on a miss.
	Lookup func(ctx context.Context, ip netip.Addr) (lease.Lease, bool, error)
	// Now is the clock misses are remembered by; time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	byIP    map[[16]byte]pxe.MACKey  // key: netip.Addr.As16, no pointer for the collector to scan
	missed  map[netip.Addr]time.Time // address → when the store did not know it
	looking int                      // store lookups running
}

// key is the one form of an address the Map files it under: a leased
// address has no zone, and an IPv4-mapped one is the IPv4 client's (a
// dual-stack socket's view of it).
func key(ip netip.Addr) netip.Addr { return ip.Unmap().WithZone("") }

// learned is what a boot event teaches the Map: the address a DHCPACK
// (or a ProxyDHCP ACK, RFC 2131 §4.3.5 / PXE 2.1: the client's own
// address; or a BOOTREPLY) gave a MAC (events.Kind.Acknowledges). Any
// other event teaches nothing.
func learned(e events.Event) (netip.Addr, net.HardwareAddr, bool) {
	if !e.Kind.Acknowledges() || len(e.MAC) == 0 || !e.IP.IsValid() {
		return netip.Addr{}, nil, false
	}
	return key(e.IP), e.MAC, true
}

// fromLease is what a lease of the store says of its address: held by
// mac while bound; held by nobody once released or declined (RFC 2131
// §4.3.3, §4.3.4). A lease past its expiry still names its last holder:
// the machine asking from that address is most likely it, and the store's
// row is replaced when the address goes to another.
func fromLease(l lease.Lease) (ip netip.Addr, mac net.HardwareAddr, held bool) {
	return key(l.IP), l.MAC, l.State == lease.Bound && len(l.MAC) > 0
}

// Record implements events.Recorder: the Map learns from the local DHCP
// server's acknowledgements.
func (m *Map) Record(e events.Event) {
	if ip, mac, ok := learned(e); ok {
		m.set(ip, mac)
	}
}

// Observe learns from a lease of the shared store (postgres.Store.Follow's
// apply; it never blocks).
func (m *Map) Observe(l lease.Lease) {
	ip, mac, held := fromLease(l)
	if !ip.IsValid() {
		return
	}
	if held {
		m.set(ip, mac)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.byIP[ip.As16()]; ok && k == pxe.KeyOf(l.MAC) {
		delete(m.byIP, ip.As16())
	}
}

func (m *Map) set(ip netip.Addr, mac net.HardwareAddr) {
	k := pxe.KeyOf(mac)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byIP == nil {
		m.byIP = map[[16]byte]pxe.MACKey{}
	}
	if _, ok := m.byIP[ip.As16()]; !ok && len(m.byIP) >= MaxEntries {
		for old := range m.byIP { // Go's map order: an arbitrary one
			delete(m.byIP, old)
			break
		}
	}
	m.byIP[ip.As16()] = k
	delete(m.missed, ip)
}

// MAC is the machine known to hold ip, from memory alone: it never waits.
func (m *Map) MAC(ip netip.Addr) (net.HardwareAddr, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.byIP[key(ip).As16()]
	if !ok {
		return nil, false
	}
	return k.HardwareAddr(), true
}

// Holder is the machine holding ip: from memory, else (when Lookup is set)
// from the shared lease store, asked at most once per MissTTL for an
// address it does not know, for at most LookupTimeout, with at most
// MaxLookups lookups running at once.
func (m *Map) Holder(ctx context.Context, ip netip.Addr) (net.HardwareAddr, bool) {
	ip = key(ip)
	if !ip.IsValid() {
		return nil, false
	}
	if !m.mayAsk(ip) {
		return m.MAC(ip)
	}
	defer m.asked()
	ctx, cancel := context.WithTimeout(ctx, LookupTimeout)
	defer cancel()
	l, found, err := m.Lookup(ctx, ip)
	switch {
	case err != nil:
		return nil, false // not remembered: the next request asks again
	case found:
		m.Observe(l)
	}
	if mac, ok := m.MAC(ip); ok {
		return mac, true
	}
	m.miss(ip)
	return nil, false
}

// mayAsk reports whether Holder should ask the store about ip: it has a
// store, ip is not known, nor known to be unknown, and a lookup slot is
// free (taken when true; asked gives it back).
func (m *Map) mayAsk(ip netip.Addr) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Lookup == nil || m.looking >= MaxLookups {
		return false
	}
	if _, ok := m.byIP[ip.As16()]; ok {
		return false
	}
	if at, ok := m.missed[ip]; ok && m.now().Sub(at) < MissTTL {
		return false
	}
	m.looking++
	return true
}

func (m *Map) asked() {
	m.mu.Lock()
	m.looking--
	m.mu.Unlock()
}

func (m *Map) miss(ip netip.Addr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.missed == nil || len(m.missed) >= MaxMisses {
		m.missed = map[netip.Addr]time.Time{}
	}
	m.missed[ip] = m.now()
}

func (m *Map) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Named returns a Recorder that lets the Map learn from each event, names
// the machine of an event that came without a MAC (a file fetched by
// address) when the Map knows it, and passes the event on to next. It
// never waits: what Holder has looked up (WhoAsks, before the file was
// opened) is in memory by the time the transfer's event comes.
func (m *Map) Named(next events.Recorder) events.Recorder {
	return recorder{m, next}
}

type recorder struct {
	m    *Map
	next events.Recorder
}

func (r recorder) Record(e events.Event) {
	r.m.Record(e)
	if len(e.MAC) == 0 && e.IP.IsValid() {
		if mac, ok := r.m.MAC(e.IP); ok {
			e.MAC = mac
		}
	}
	r.next.Record(e)
}

// WhoAsks is an Opener that serves nothing (fs.ErrNotExist, so that
// bootfs.Chain asks the next): placed first, it makes sure the Map knows
// who is asking (Holder) before any file is opened, so that a machine that
// another instance leased its address to is named in this transfer's
// events, however soon after its DHCPACK it asks.
func (m *Map) WhoAsks() bootfs.Opener {
	return bootfs.OpenerFunc(func(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
		m.Holder(ctx, r.Remote.Addr())
		return nil, fs.ErrNotExist
	})
}
