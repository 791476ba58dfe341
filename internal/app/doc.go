// Package app wires pxed's services together and runs them until the
// context ends: the lease store (the journal in the data directory, or a
// PostgreSQL database that several instances share), the catalog of hosts
// and profiles, the boot event log with the recorders it feeds (profile
// service, metrics, discovered machines), the DHCP server, the TFTP and
// HTTP boot servers, the management web server (API, dashboard, /metrics)
// and IPv6 router advertisements. Each opens its sockets in turn; once all
// are open and root's privileges are dropped, all serve, and the first to
// fail ends the others.
package app
