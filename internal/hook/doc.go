// Package hook tells other systems of what pxed sees: on the events a
// hook's config chooses (events.Topic: a machine discovered, its inventory
// received, a lease given, a boot started or failed, an install done, an
// operator's action), it POSTs a JSON Document to the hook's URL, signed
// with HMAC-SHA256 (Sign, Verify), and/or runs the hook's command with the
// Document on its standard input, as dnsmasq's --dhcp-script runs a script
// per lease.
//
// The Notifier is an events.Recorder, and Record is on the servers' path:
// it never blocks. Each hook has a bounded queue per way of delivery (url,
// command) and one worker that empties it in order; an event that finds
// the queue full is dropped and counted. A POST that fails for a reason
// that may pass (no connection, a timeout, 408, 429, 5xx) is sent again
// after an exponential backoff with jitter (Retry), up to a number of
// attempts; the worker holds the events behind it meanwhile, so a receiver
// that comes back gets them in order. A command runs one at a time per
// hook; at its timeout its whole process group is killed and the run
// counted. Close lets the queues drain within a bound at shutdown.
//
// The document's schema is versioned and documented in docs/discovery.md,
// section "Hooks"; Document is its one definition.
package hook
