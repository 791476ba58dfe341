// Package lease keeps DHCP leases: the Store interface that every backend
// implements (internal/postgres has the one several instances share), the
// durable embedded store (an append-only journal with group commit, which
// logs what fails where no caller waits), an in-memory store for tests, and
// the Allocator that chooses addresses from pools over any Store. Pools and
// leases are IPv4 (DHCPv4) or IPv6 (DHCPv6) alike.
//
// The rule every backend keeps (RFC 2131 §3.1, §4.3.2 "the server MUST
// record the binding before sending DHCPACK"): Commit returns only once the
// lease is durable, and refuses an address held by another client.
//
// Costs (docs/performance.md has the measurements): a Commit, Get or Offer
// costs the same with 100 or 65,536 leases (maps by address and client,
// bitmaps per pool range, compaction amortised and off the commit path);
// memory is about 605 bytes per lease with the journal and the allocator
// loaded (TestMemoryPerLease; each keeps a lease as an 80-byte record), so
// 65,536 leases take about 40 MB.
package lease
