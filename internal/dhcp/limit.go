package dhcp

import "github.com/pxed/pxed/internal/ratelimit"

// RateLimit bounds how fast pxed answers one client, so that a client (or
// a flood under one forged MAC) cannot take the workers from the others.
// Requests over the limit are dropped before they are parsed; a real client
// retransmits after seconds (RFC 2131 §4.1: 4 s, then 8 s, ...) and never
// comes near the default.
type RateLimit struct {
	// PerMAC is the sustained rate of requests per second answered for one
	// hardware address: 0 means the default 10, a negative value no limit.
	PerMAC float64
	// Burst is how many requests one address may send at once (default
	// twice PerMAC, at least 4).
	Burst int
	// MaxClients bounds the memory used: about this many addresses are
	// tracked (default 65,536; those not heard from for longest go first).
	MaxClients int
	// Global is the sustained rate of requests per second answered for all
	// clients the configuration does not list as hosts, together, with a
	// burst of one second's worth: 0 means no global limit. A flood under
	// ever new random MACs passes the per-MAC limit; this one bounds the
	// work (lease writes, log lines) it can cause. Known hosts are exempt,
	// so that the reserved stations are served through such a flood; each
	// of them still has its per-MAC limit, so forging their MACs gains
	// little.
	Global float64
}

// limits are the shared per-client limits rl sets.
func (rl RateLimit) limits() ratelimit.Limits {
	return ratelimit.Limits{PerClient: rl.PerMAC, Burst: rl.Burst, MaxClients: rl.MaxClients}
}

// chaddr returns the client hardware address of a raw BOOTP packet (RFC 951:
// hlen at octet 2, chaddr at octets 28–43), or nil if the packet is too short.
func chaddr(pkt []byte) []byte {
	if len(pkt) < 44 {
		return nil
	}
	n := min(int(pkt[2]), 16)
	return pkt[28 : 28+n]
}
