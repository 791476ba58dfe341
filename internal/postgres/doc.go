// Package postgres is pxed's PostgreSQL backend, for several pxed instances
// sharing one database: a lease.Store whose conflicts the database decides,
// a catalog.Store (hosts, profiles, install state, discovered machines), the
// schema that pxed creates and migrates itself, and followers (LISTEN/NOTIFY)
// that bring the changes other instances make into this instance's
// allocator and catalog.
//
// The rule of every lease store holds here too (RFC 2131 §4.3.2: the server
// records the binding before it sends DHCPACK): Commit returns only when the
// transaction has committed, so durability is the database's (keep
// synchronous_commit on). Whether an address is free is judged in one
// statement against the row itself, with the database server's clock, so
// instances whose clocks or in-memory views differ still cannot give one
// address to two clients.
package postgres
