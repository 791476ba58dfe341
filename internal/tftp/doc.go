// Package tftp is a read-only TFTP server for network boot, in the shape of
// net/http: a Server whose zero value is usable serves an already-open
// socket until its context ends, and opens the file of each read request
// through Server.Files, a bootfs.Opener (the boot root, confined with
// os.Root, behind pxed's generated configs; the HTTP boot server reads the
// same).
//
// Protocol coverage:
//   - RFC 1350: RRQ in octet and netascii mode; WRQ is refused with ERROR 2.
//     Each transfer has its own socket (the server's transfer ID), bound to
//     the address the request was sent to, learned with IP_PKTINFO when the
//     server listens on a wildcard address; or, in single-port mode, replies
//     from the listening socket with that address as source.
//   - RFC 2347 option negotiation with OACK; RFC 2348 blksize (capped to the
//     interface MTU); RFC 2349 timeout and tsize; RFC 7440 windowsize.
//   - RFC 1123 §4.2.3.1: duplicate ACKs never trigger sends (no Sorcerer's
//     Apprentice); retransmission only on timeout, with exponential backoff.
//   - Block numbers roll over after 65535, so any file size transfers.
//
// Files are read at their offsets (io.ReaderAt) into one buffer of at most
// 64 KiB per transfer, which serves many blocks per read, and re-read on
// retransmission: no file is buffered whole and the hot path does not
// allocate.
//
// The transfer state machine (sender) owns no socket: it is fed packets and
// timeouts and hands packets to an outbox. A link carries them (link.go). By
// default each transfer has a socket of its own, read through the network
// poller, or on Linux, for up to GOMAXPROCS−1 transfers at once, with
// blocking system calls, which shortens a lock-step round trip; with
// Server.SinglePort every transfer shares the listening socket (port 69, for
// NAT and strict firewalls), and one loop routes each packet to its transfer
// by the client's address and port.
package tftp
