// Package catalog is pxed's live set of hosts and profiles: the entries of
// the YAML file with the changes made through the API laid over them, the
// install-once state of each host, and the machines discovered booting
// without an entry.
//
// Readers on the hot paths (a DHCP reply, a TFTP config request) take the
// current Snapshot, an immutable value swapped atomically on each change,
// and look hosts up in it without locks or I/O. Writers go through the
// Catalog, which makes the change durable in its Store first and then
// publishes a new Snapshot, so a change takes effect at the next request
// and survives a restart.
//
// Layering: the YAML file is the base; an API entry with the same name
// (ignoring case) replaces the YAML one as a whole; deleting the API entry
// brings the YAML one back. A YAML entry cannot be deleted through the API,
// only overridden. Each entry reports where it comes from (Source).
package catalog
