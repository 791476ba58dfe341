package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/probe"
)

// Pool is an address pool whose use the API shows.
type Pool struct {
	Subnet netip.Prefix
	Range  lease.Range
}

// PoolJSON is one pool's use.
type PoolJSON struct {
	Subnet string `json:"subnet"`
	First  string `json:"first"`
	Last   string `json:"last"`
	Family string `json:"family"` // ipv4 or ipv6
	// InUse counts addresses with an active lease (squatters included)
	// or an offer still held; Free the rest. Their sum is the pool's size
	// (capped, for a large IPv6 pool).
	InUse int `json:"in_use"`
	Free  int `json:"free"`
	// Squatters are the addresses held back now because a client found
	// them in use (DHCPDECLINE, RFC 2131 §4.3.3; DHCPv6 Decline, RFC 8415
	// §18.3.8): out of the pool until their hold ends.
	Squatters []SquatterJSON `json:"squatters"`
	// Declines counts the addresses of the pool the lease store remembers
	// as declined, held back still or no longer.
	Declines int `json:"declines"`
}

// SquatterJSON is an address held back after a decline, or after a
// conflict probe found it in use.
type SquatterJSON struct {
	IP string `json:"ip"`
	// MAC is the client that declined it or, when FoundBy is set, the
	// machine that answered the probe (none over ICMP).
	MAC   string    `json:"mac,omitempty"`
	Until time.Time `json:"until"`
	// FoundBy is the probe that found the address in use, arp or icmp;
	// absent for a DECLINE (and for a probe's hold from before pxed's
	// last start).
	FoundBy string `json:"found_by,omitempty"`
	// Seen is when the probe found it.
	Seen time.Time `json:"seen,omitzero"`
}

// ReservationSquatterJSON is a reserved address (a host's ip) that a
// machine other than the reserved one answered: reported, never withheld.
type ReservationSquatterJSON struct {
	Subnet string `json:"subnet"`
	IP     string `json:"ip"`
	Host   string `json:"host"`
	// ReservedMAC is the host's; MAC the machine that answered (none
	// over ICMP, which cannot tell whose the answer is).
	ReservedMAC string    `json:"reserved_mac,omitempty"`
	MAC         string    `json:"mac,omitempty"`
	FoundBy     string    `json:"found_by"`
	Seen        time.Time `json:"seen"`
}

// PoolsJSON answers GET /api/v1/pools.
type PoolsJSON struct {
	Pools []PoolJSON `json:"pools"`
	// Declines and Conflicts count, since pxed started, the DHCPv4
	// DECLINEs received and the commits the store refused because another
	// server sharing it gave the address first.
	Declines  uint64 `json:"declines"`
	Conflicts uint64 `json:"conflicts"`
	// ReservationSquatters are the reservations answered by another
	// machine at their last probe (when probing is on).
	ReservationSquatters []ReservationSquatterJSON `json:"reservation_squatters,omitempty"`
}

// PoolSource is what the pools route reads.
type PoolSource struct {
	// Pools lists the pools of the config serving now.
	Pools func() []Pool
	// Usage counts a range's addresses in use and free (the allocator's).
	Usage func(lease.Range) (inUse, free int)
	// All lists the recorded leases (the store's).
	All func(context.Context) ([]lease.Lease, error)
	// Counters, if set, gives the DECLINEs and conflicts counted so far.
	Counters func() (declines, conflicts uint64)
	// Conflicts, if set, lists what the conflict prober knows now.
	Conflicts func() []probe.Conflict
	Now       func() time.Time
}

// Pools answers GET /api/v1/pools: each pool's use, its squatters and
// declines.
func Pools(src PoolSource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ls, err := src.All(r.Context())
		if err != nil {
			Error(w, http.StatusInternalServerError, "reading leases: "+err.Error())
			return
		}
		now := time.Now
		if src.Now != nil {
			now = src.Now
		}
		out := PoolsView(src.Pools(), src.Usage, ls, now())
		if src.Counters != nil {
			out.Declines, out.Conflicts = src.Counters()
		}
		if src.Conflicts != nil {
			WithConflicts(&out, src.Conflicts())
		}
		JSON(w, http.StatusOK, out)
	}
}

// PoolsView is the use of pools as of now, from the allocator's counts and
// the recorded leases (ordered by address, as lease.Store.All gives them,
// and so the squatters).
func PoolsView(pools []Pool, usage func(lease.Range) (inUse, free int), ls []lease.Lease, now time.Time) PoolsJSON {
	out := PoolsJSON{Pools: make([]PoolJSON, 0, len(pools))}
	for _, p := range pools {
		j := PoolJSON{Subnet: p.Subnet.String(), First: p.Range.First.String(), Last: p.Range.Last.String(),
			Family: "ipv4", Squatters: []SquatterJSON{}}
		if p.Range.First.Is6() {
			j.Family = "ipv6"
		}
		j.InUse, j.Free = usage(p.Range)
		for _, l := range ls {
			if l.State != lease.Declined || !p.Range.Contains(l.IP) {
				continue
			}
			j.Declines++
			if l.Active(now) {
				s := SquatterJSON{IP: l.IP.String(), Until: l.Expires.UTC()}
				if len(l.MAC) > 0 {
					s.MAC = l.MAC.String()
				}
				j.Squatters = append(j.Squatters, s)
			}
		}
		out.Pools = append(out.Pools, j)
	}
	return out
}

// WithConflicts adds what the conflict prober found to v: the probe and
// when, to each squatter it held back, and the reservations answered by
// another machine.
func WithConflicts(v *PoolsJSON, cs []probe.Conflict) {
	byIP := map[string]probe.Conflict{}
	for _, c := range cs {
		switch c.Kind {
		case probe.Pool:
			byIP[c.IP.String()] = c
		case probe.Reservation:
			v.ReservationSquatters = append(v.ReservationSquatters, ReservationSquatterJSON{
				Subnet: c.Subnet.String(), IP: c.IP.String(), Host: c.Host, ReservedMAC: macText(c.Reserved),
				MAC: macText(c.MAC), FoundBy: c.Method.String(), Seen: c.Seen.UTC(),
			})
		}
	}
	for i := range v.Pools {
		for j := range v.Pools[i].Squatters {
			s := &v.Pools[i].Squatters[j]
			if c, ok := byIP[s.IP]; ok {
				s.FoundBy, s.Seen = c.Method.String(), c.Seen.UTC()
			}
		}
	}
}

func macText(m net.HardwareAddr) string {
	if len(m) == 0 {
		return ""
	}
	return m.String()
}
