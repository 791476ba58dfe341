// Package syslogd is pxed's receiver of installers' logs: syslog over UDP
// (RFC 5426) in either of its message formats, the BSD one (RFC 3164) that
// busybox syslogd in the Debian installer forwards (log_host=, log_port=)
// and the structured one (RFC 5424) of rsyslog, systemd-journal-remote's
// peers and util-linux logger.
//
// Parse is pure: a datagram in, a Line out; a datagram in neither format
// is kept as it came (FormatRaw), never dropped. Server is the shell in
// the net/http shape: Serve over an open socket, ListenAndServe. It names
// the machine of each line by the address that sent it (the hook it is
// given: pxed's address map, then the hosts' fixed addresses), bounds how
// many lines it takes per machine and in all, and records each line as an
// events.InstallerLog on that machine's timeline.
package syslogd
