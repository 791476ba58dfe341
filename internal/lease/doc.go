// Package lease keeps DHCP leases: the Store interface that every backend
// implements, the durable embedded store (an append-only journal with group
// commit), an in-memory store for tests, and the Allocator that chooses
// addresses from pools over any Store.
//
// The rule every backend keeps (RFC 2131 §3.1, §4.3.2 "the server MUST
// record the binding before sending DHCPACK"): Commit returns only once the
// lease is durable, and refuses an address held by another client.
package lease
