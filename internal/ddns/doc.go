// Package ddns puts the machines pxed leases addresses to in DNS: on each
// acknowledged DHCPv4 lease that has a name, an A record in the forward
// zone and a PTR record in the reverse zone, sent as RFC 2136 updates
// signed with a TSIG key (RFC 8945) to the configured servers; on a
// release or an expiry, their removal.
//
// Names are guarded as RFC 4703 §5 says, so that pxed never takes a name
// another machine or the operator owns: each name pxed adds carries a
// DHCID record (RFC 4701) made from the client's identity and the name;
// a name is added only where no record exists yet, changed only where its
// DHCID is this client's, and removed only where it is. A name held
// otherwise is a conflict, logged and counted, and left as it is. The
// reverse zone's PTR is the DHCP server's to replace (RFC 4703 §5.4).
//
// The decisions are pure (Plan and the message builders in message.go);
// the Updater is the shell: Observe is called on the servers' path and
// never waits (a bounded queue; a lease that finds it full is dropped and
// counted), one worker sends the updates in turn, tries again after an
// exponential backoff when a server cannot be reached or fails, and keeps
// the schedule of the expiries of the names it added (no one else tells
// it of an expiry). At start it is handed the recorded leases and redoes
// what may have been missed while pxed was down: each active named lease
// is ensured (idempotent under the DHCID guard), each lately ended one
// removed. Reconfigure gives a running Updater other servers, zones or
// key (a reloaded config) without losing what waits; Resync hands it the
// recorded leases again when updates are turned back on.
//
// ReadKey reads the TSIG key from a key file as BIND's tsig-keygen writes
// it.
package ddns
