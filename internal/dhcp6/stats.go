package dhcp6

import "sync/atomic"

// Stats counts what the server did since it started.
type Stats struct {
	Received      atomic.Uint64 // datagrams read
	Malformed     atomic.Uint64 // not parseable as DHCPv6, or nested too deep
	RateLimited   atomic.Uint64 // dropped by the per-client rate limit
	GlobalLimited atomic.Uint64 // unknown clients dropped by the global limit
	Ignored       atomic.Uint64 // parsed and decided not to answer
	Replied       atomic.Uint64 // replies sent
	StoreFailed   atomic.Uint64 // leases not recorded: no reply
	SendFailed    atomic.Uint64
	Exhausted     atomic.Uint64 // no address to give from the pools
	Dropped       DropCounts    // datagrams not served, by kind of reason
}
