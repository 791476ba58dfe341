// Package ipmap is the one place pxed learns which machine holds an
// address: the map from a client's IP to its MAC that names the machine
// behind a file request. TFTP and HTTP see only the client's address; GRUB
// asks for grub.cfg by its path alone; so the profile service (whose
// grub.cfg is it?) and the boot timeline (whose step is this file?) both ask
// the Map.
//
// The Map learns from two sources:
//   - the local DHCP server's events (Record): the address each DHCPACK
//     (or ProxyDHCP ACK) gave a MAC;
//   - the shared lease store, when instances share one PostgreSQL
//     (Observe, fed by postgres.Store.Follow, and Lookup on a miss): a
//     file server with DHCP off learns the machines another instance
//     leased addresses to.
//
// What it decides is pure (learned, fromLease); the Map itself is a
// bounded cache in memory, asked without blocking by the event recorder
// (Named) and with a context, reaching the store on a miss, by the file
// path (Holder, WhoAsks). Misses are remembered for a while and at most a
// few store lookups run at once, so clients the store does not know cannot
// turn file requests into a flood of queries.
package ipmap
