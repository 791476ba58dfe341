package tftp

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
)

// sender is the state machine of one read transfer: it decides what to send
// and when, but owns no socket. Packets go out through an outbox and come in
// through receive, so the same machine can run on its own socket (the
// RFC 1350 transfer ID) or be fed by a demultiplexer on a shared port.
//
// Blocks are numbered internally from 1 with an int64 that never wraps; the
// wire carries its low 16 bits, so transfers longer than 65535 blocks roll
// over to 0 and continue.
type sender struct {
	out      outbox
	file     bootfs.File
	netascii bool
	blksize  int
	window   int
	timeout  time.Duration // first retransmission timeout; doubled per retry
	retries  int

	oack      []byte // encoded OACK waiting for ACK 0; nil once acknowledged or never
	acked     int64  // highest block acknowledged; 0 before any
	sent      int64  // highest block sent in the current window round
	maxSent   int64  // highest block ever sent, to count retransmissions
	last      int64  // number of the final (short) block; 0 until it has been read
	tries     int    // consecutive timeouts without progress
	deadline  time.Time
	starts    []blockStart // ring: where block n begins in the file, for n in (acked, acked+window]
	pkt       []byte       // one DATA packet: 4-byte header + blksize
	raw       []byte       // netascii only: untranslated bytes
	ahead     []byte       // octet only: file bytes read ahead, from aheadOff
	aheadOff  int64
	aheadEOF  bool  // ahead ends at the end of the file
	bytes     int64 // payload bytes sent, first transmissions only
	resent    int   // DATA (and OACK) packets sent again
	clientErr error // set when the client ended the transfer with ERROR
}

// outbox sends one packet to the transfer's client.
type outbox interface {
	send(p []byte) error
}

// blockStart is where a block begins: an offset in the file and, for
// netascii, the second byte of a CR LF or CR NUL pair that did not fit in the
// previous block. Octet blocks start at (n−1)·blksize, but keeping the ring
// for both modes keeps one code path.
type blockStart struct {
	off     int64
	pend    byte
	hasPend bool
}

var errTimeout = errors.New("timed out waiting for an acknowledgement")

// clientError is an ERROR packet the client sent.
type clientError struct {
	code ErrorCode
	msg  string
}

func (e *clientError) Error() string {
	return fmt.Sprintf("client sent error %d (%v): %q", e.code, e.code, e.msg)
}

func newSender(out outbox, f bootfs.File, netascii bool, p params, timeout time.Duration, retries int) *sender {
	s := &sender{
		out:      out,
		file:     f,
		netascii: netascii,
		blksize:  p.blockSize,
		window:   p.windowSize,
		timeout:  timeout,
		retries:  retries,
		starts:   make([]blockStart, p.windowSize+1),
		pkt:      make([]byte, 4+p.blockSize),
	}
	if p.timeout > 0 {
		s.timeout = p.timeout
	}
	if netascii {
		s.raw = make([]byte, p.blockSize)
	}
	if len(p.oack) > 0 {
		oack := packet{Op: OpOACK, Options: p.oack}
		s.oack = oack.append(nil)
	}
	return s
}

// start sends the OACK if options were acknowledged, else DATA 1 (RFC 2347:
// without an OACK the transfer proceeds as in RFC 1350).
func (s *sender) start(now time.Time) error {
	if s.oack != nil {
		s.deadline = now.Add(s.timeout)
		return s.out.send(s.oack)
	}
	return s.sendWindow(now)
}

// receive handles one packet from the client. done reports the end of the
// transfer: the final block acknowledged, or an error.
func (s *sender) receive(b []byte, now time.Time) (done bool, err error) {
	p, err := parsePacket(b)
	if err != nil {
		return false, nil // malformed: ignored, the timer still runs
	}
	switch p.Op {
	case OpERROR:
		// The client gives up. After an OACK this is the PXE tsize probe
		// (RRQ with tsize, OACK, ERROR 8, RRQ again): nothing more to do,
		// and nothing has been read from the file.
		s.clientErr = &clientError{p.Code, p.Message}
		return true, s.clientErr
	case OpACK:
	default:
		return false, nil
	}
	if s.oack != nil {
		// RFC 2347: the client acknowledges the OACK with ACK 0.
		if p.Block != 0 {
			return false, nil
		}
		s.oack = nil
		s.tries = 0
		return false, s.sendWindow(now)
	}
	// Which outstanding block does this ACK name? Compare in 16-bit modular
	// arithmetic relative to the last acknowledged block, so that matching
	// keeps working when block numbers roll over past 65535.
	d := int64(p.Block - uint16(s.acked))
	if d == 0 || d > s.sent-s.acked {
		// A duplicate or an old ACK. Answering it would double the traffic
		// for the rest of the transfer: the Sorcerer's Apprentice bug
		// (RFC 1123 §4.2.3.1). Ignored; only a timeout resends.
		return false, nil
	}
	s.acked += d
	s.tries = 0
	if s.last != 0 && s.acked == s.last {
		return true, nil
	}
	// RFC 7440 §4: an ACK of the window's last block opens the next window;
	// an ACK of an earlier block means the client lost the one after it, and
	// the next window starts there.
	return false, s.sendWindow(now)
}

// expire handles a timeout: resend from the first unacknowledged block (or
// the OACK), with the timeout doubled, until the retries are spent.
func (s *sender) expire(now time.Time) error {
	s.tries++
	if s.tries > s.retries {
		return errTimeout
	}
	if s.oack != nil {
		s.resent++
		s.deadline = now.Add(s.currentTimeout())
		return s.out.send(s.oack)
	}
	return s.sendWindow(now)
}

func (s *sender) currentTimeout() time.Duration {
	return s.timeout << min(s.tries, 16)
}

// sendWindow sends blocks acked+1 … acked+window, stopping at the final block.
func (s *sender) sendWindow(now time.Time) error {
	n := s.acked + 1
	if n == 1 {
		s.starts[1%len(s.starts)] = blockStart{}
	}
	end := s.acked + int64(s.window)
	for ; n <= end; n++ {
		size, err := s.fill(n)
		if err != nil {
			return err
		}
		if err := s.out.send(s.pkt[:4+size]); err != nil {
			return fmt.Errorf("sending block %d: %w", n, err)
		}
		if n <= s.maxSent {
			s.resent++
		} else {
			s.maxSent = n
			s.bytes += int64(size)
		}
		if n == s.last {
			break
		}
	}
	s.sent = min(n, end)
	s.deadline = now.Add(s.currentTimeout())
	return nil
}

// fill reads block n into s.pkt and returns its payload length. It also
// records where block n+1 starts, and marks n as the last block when it is
// short (RFC 1350 §6: a block of less than blksize ends the transfer, so a
// file whose size is a multiple of blksize ends with an empty block).
func (s *sender) fill(n int64) (int, error) {
	st := s.starts[n%int64(len(s.starts))]
	putDataHeader(s.pkt, uint16(n))
	dst := s.pkt[4:]
	var size int
	var next blockStart
	if !s.netascii {
		k, err := s.readOctet(dst, st.off)
		if err != nil {
			return 0, fmt.Errorf("reading block %d: %w", n, err)
		}
		size, next = k, blockStart{off: st.off + int64(k)}
	} else {
		var err error
		size, next, err = s.fillNetascii(dst, st)
		if err != nil {
			return 0, fmt.Errorf("reading block %d: %w", n, err)
		}
	}
	if size < s.blksize {
		s.last = n
	} else {
		s.starts[(n+1)%int64(len(s.starts))] = next
	}
	return size, nil
}

// readAhead is the most an octet transfer reads from its file at once.
const readAhead = 64 << 10

// readOctet copies the file's bytes at off into dst, from the read-ahead
// buffer, refilling it with one ReadAt from off when it does not hold them.
// It returns fewer than len(dst) bytes only at the end of the file.
func (s *sender) readOctet(dst []byte, off int64) (int, error) {
	if s.ahead == nil {
		// One read of up to readAhead bytes (at least one block, at most
		// the file) serves many blocks, lock-step or windowed. Allocated
		// here, so a tsize probe that ends at the OACK costs nothing.
		s.ahead = make([]byte, 0, max(s.blksize, int(min(readAhead, s.file.Size()+1))))
	}
	end := s.aheadOff + int64(len(s.ahead))
	if off < s.aheadOff || off > end || off+int64(len(dst)) > end && !s.aheadEOF {
		k, err := s.file.ReadAt(s.ahead[:cap(s.ahead)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			s.ahead = s.ahead[:0]
			return 0, err
		}
		s.ahead, s.aheadOff, s.aheadEOF = s.ahead[:k], off, k < cap(s.ahead)
	}
	return copy(dst, s.ahead[off-s.aheadOff:]), nil
}

// fillNetascii translates the file into netascii (RFC 1350 §"Initial
// Connection Protocol", after RFC 764): LF becomes CR LF and a bare CR
// becomes CR NUL. A pair split by a block boundary carries its second byte
// into the next block. At most len(dst) raw bytes are read, since each makes
// at least one byte of output.
func (s *sender) fillNetascii(dst []byte, st blockStart) (int, blockStart, error) {
	o := 0
	if st.hasPend {
		dst[0] = st.pend
		o = 1
	}
	raw := s.raw[:len(dst)-o]
	k, err := s.file.ReadAt(raw, st.off)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, blockStart{}, err
	}
	next := blockStart{off: st.off}
	i := 0
	for i < k && o < len(dst) {
		c := raw[i]
		i++
		var second byte
		switch c {
		case '\n':
			second = '\n'
		case '\r':
			second = 0
		default:
			dst[o] = c
			o++
			continue
		}
		dst[o] = '\r'
		o++
		if o < len(dst) {
			dst[o] = second
			o++
		} else {
			next.pend, next.hasPend = second, true
		}
	}
	next.off += int64(i)
	return o, next, nil
}
