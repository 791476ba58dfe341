package lease

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"net/netip"
	"time"
)

// State is where a lease stands.
type State uint8

const (
	// Bound: acknowledged to its client until Expires.
	Bound State = iota + 1
	// Released by its client (DHCPRELEASE); remembered so the client gets
	// the same address next time (RFC 2131 §4.3.1).
	Released
	// Declined: a client reported the address in use (DHCPDECLINE); it stays
	// out of the pool until Expires (RFC 2131 §4.3.3).
	Declined
)

func (s State) String() string {
	switch s {
	case Bound:
		return "bound"
	case Released:
		return "released"
	case Declined:
		return "declined"
	}
	return "unknown"
}

// Lease is one address and what pxed knows of its holder.
type Lease struct {
	IP       netip.Addr
	MAC      net.HardwareAddr
	ClientID []byte // DHCP option 61, when the client sent one
	Hostname string
	State    State
	Expires  time.Time
}

// Forever is the expiry of a lease that never ends on its own: a BOOTP
// client's (RFC 1534 §2: a BOOTP client does not know of leases, so the
// address it is given is its own until the operator takes it back). It is
// the latest time every store keeps exactly: the journal records
// nanoseconds since 1970 in 64 bits, PostgreSQL and the announcements to
// other instances microseconds (2262-04-11 23:47:16.854775 UTC).
var Forever = time.UnixMicro(math.MaxInt64 / 1000).UTC()

// Infinite reports whether l never expires on its own (Forever).
func (l Lease) Infinite() bool { return !l.Expires.Before(Forever) }

// Active reports whether the lease keeps its address from others at now.
func (l Lease) Active(now time.Time) bool {
	return (l.State == Bound || l.State == Declined) && now.Before(l.Expires)
}

// Client identifies a DHCP client: by its client identifier (option 61)
// when it sent one, else by its hardware address (RFC 2131 §4.2). A DHCPv6
// client is identified by its DUID and IAID, in ID with the prefix "v6:"
// (MAC set too when known): its Key is never a DHCPv4 client's key by MAC,
// so a machine booting over both families holds one lease in each.
type Client struct {
	MAC net.HardwareAddr
	ID  []byte
}

// Key is a map key for the client. A client identifier that is only the
// client's Ethernet address (type 1, RFC 2132 §9.14: what iPXE and udhcpc
// send) names the same client as that address alone (what a UEFI PXE
// client, or a DHCP client without option 61, sends): one machine whose
// boot stages differ in this keeps one address.
func (c Client) Key() string {
	if len(c.ID) == len(c.MAC)+1 && c.ID[0] == 1 && bytes.Equal(c.ID[1:], c.MAC) {
		return "hw:" + string(c.MAC)
	}
	if len(c.ID) > 0 {
		return "id:" + string(c.ID)
	}
	return "hw:" + string(c.MAC)
}

// V6ID splits the identity of a DHCPv6 client (ID "v6:", the DUID, the
// four octets of the IAID: RFC 8415 §12, an IA is named by the pair) into
// the DUID and the IAID. ok is false for a DHCPv4 client.
func (c Client) V6ID() (duid []byte, iaid uint32, ok bool) {
	const prefix = "v6:"
	if len(c.ID) < len(prefix)+4 || string(c.ID[:len(prefix)]) != prefix {
		return nil, 0, false
	}
	rest := c.ID[len(prefix):]
	n := len(rest) - 4
	return rest[:n], binary.BigEndian.Uint32(rest[n:]), true
}

// Holds reports whether l belongs to client c.
func (l Lease) Holds(c Client) bool {
	if len(c.ID) > 0 && len(l.ClientID) > 0 {
		return bytes.Equal(c.ID, l.ClientID)
	}
	return bytes.Equal(c.MAC, l.MAC)
}

// Client returns the identity of the lease's holder.
func (l Lease) Client() Client { return Client{MAC: l.MAC, ID: l.ClientID} }

// ErrConflict is returned by Commit when the address is held by another client.
var ErrConflict = errors.New("address held by another client")

// Store is what every lease backend provides: the embedded Journal, Mem for
// tests, and internal/postgres for instances sharing one store. Each keeps
// the rules of Commit below, and is safe for concurrent use.
type Store interface {
	// Commit records l durably before it returns. It fails with
	// ErrConflict, recording nothing, when an active lease on l.IP belongs
	// to a different client; the store, not the caller, decides that.
	Commit(ctx context.Context, l Lease) error
	// Get returns the lease recorded for ip.
	Get(ctx context.Context, ip netip.Addr) (Lease, bool, error)
	// All returns every recorded lease, ordered by address.
	All(ctx context.Context) ([]Lease, error)
	Close() error
}

// conflicts reports whether recording next over prev would take an address
// from another client at now.
func conflicts(prev, next Lease, now time.Time) bool {
	return prev.Active(now) && !prev.Holds(next.Client())
}

// stored is a Lease as the journal's map of leases by address holds it:
// without its address (the map's key) and with its expiry in nanoseconds,
// 80 bytes instead of 120 (docs/performance.md accounts for the memory a
// lease holds). Its expiry reads back in UTC, as a lease loaded from the
// journal's file does.
type stored struct {
	mac      net.HardwareAddr
	clientID []byte
	hostname string
	expires  int64 // Expires.UnixNano(); noExpiry for the zero time
	state    State
}

// noExpiry stands for a zero Expires, whose UnixNano is not defined.
const noExpiry = math.MinInt64

func storedOf(l Lease) stored {
	s := stored{mac: l.MAC, clientID: l.ClientID, hostname: l.Hostname, expires: noExpiry, state: l.State}
	if !l.Expires.IsZero() {
		s.expires = l.Expires.UnixNano()
	}
	return s
}

func (s stored) lease(ip netip.Addr) Lease {
	l := Lease{IP: ip, MAC: s.mac, ClientID: s.clientID, Hostname: s.hostname, State: s.state}
	if s.expires != noExpiry {
		l.Expires = time.Unix(0, s.expires).UTC()
	}
	return l
}
