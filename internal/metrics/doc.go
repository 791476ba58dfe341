// Package metrics exposes what pxed does as Prometheus metrics on a registry
// of its own (never the library's global one): DHCP requests by type and
// outcome, addresses in use and free per pool, TFTP and HTTP transfers with
// their bytes, results, retransmissions and durations, and install
// callbacks.
//
// Every label value comes from a fixed set or from the config (pool
// ranges), never from what a client sends, so a flood of new MACs or file
// names adds no series. A transfer's result label is its event's typed
// outcome (events.Outcome.Label), never its words.
package metrics
