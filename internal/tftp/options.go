package tftp

import (
	"strconv"
	"strings"
	"time"
)

// Limits of the option values, from the RFCs.
const (
	defaultBlockSize = 512   // RFC 1350 §2
	minBlockSize     = 8     // RFC 2348
	maxBlockSize     = 65464 // RFC 2348: 65535 − IP(20) − UDP(8) − TFTP(4) − a margin the RFC fixes
	minTimeout       = 1     // RFC 2349 §"Timeout Interval Option", seconds
	maxTimeout       = 255
	minWindowSize    = 1     // RFC 7440 §3
	maxWindowSize    = 65535 // RFC 7440 §3
	// headerOverhead is IPv4(20) + UDP(8) + TFTP DATA header(4): a block of
	// MTU − headerOverhead bytes fills one unfragmented IPv4 packet.
	headerOverhead = 32
	// headerOverhead6 is the same over IPv6, whose header is 40 bytes
	// (RFC 8200 §3); IPv6 routers never fragment (RFC 8200 §5), so a larger
	// block would be dropped on the way, not split.
	headerOverhead6 = 52
)

// pathBlockSize caps a transfer's block size, limit, to what fits one
// unfragmented packet on an interface of MTU mtu (0: unknown, no cap) over
// IPv6 or IPv4.
func pathBlockSize(limit, mtu int, ipv6 bool) int {
	if mtu <= 0 {
		return limit
	}
	overhead := headerOverhead
	if ipv6 {
		overhead = headerOverhead6
	}
	return max(min(limit, mtu-overhead), minBlockSize)
}

// limits are what the server is willing to agree to for one transfer.
type limits struct {
	maxBlockSize  int   // already clamped to the path MTU
	maxWindowSize int   // ≥ 1
	size          int64 // file size for tsize; < 0 when unknown (netascii)
}

// params are the negotiated transfer parameters.
type params struct {
	blockSize  int
	windowSize int
	timeout    time.Duration // 0: the server's own
	oack       []Option      // options to acknowledge, in request order; nil: no OACK
}

// negotiate decides, as a pure function, which of the requested options the
// server acknowledges (RFC 2347 §"Negotiation Protocol"): only options the
// client asked for and the server understands, each at most once. An option
// with an invalid value is left out of the OACK rather than failing the
// request, so the client falls back to the RFC 1350 default for it. When no
// option is acknowledged the server sends DATA 1 directly, as if the client
// had asked for none.
func negotiate(req []Option, lim limits) params {
	p := params{blockSize: defaultBlockSize, windowSize: 1}
	var seen [4]bool // blksize, tsize, timeout, windowsize: the first occurrence wins
	for _, o := range req {
		name := strings.ToLower(o.Name) // RFC 2347: option names are case-insensitive
		switch name {
		case "blksize":
			if seen[0] {
				continue
			}
			seen[0] = true
			// RFC 2348: valid values are 8..65464, and the server's answer
			// must not exceed the request. Larger requests are clamped to
			// what the server and the path allow; smaller ones are invalid.
			n, ok := parseDecimal(o.Value)
			if !ok || n < minBlockSize {
				continue
			}
			n = min(n, maxBlockSize, int64(lim.maxBlockSize))
			if n < minBlockSize {
				continue
			}
			p.blockSize = int(n)
			p.oack = append(p.oack, Option{name, strconv.Itoa(p.blockSize)})
		case "tsize":
			if seen[1] {
				continue
			}
			seen[1] = true
			// RFC 2349: in a RRQ the client sends 0 and the server answers the
			// file's size. A netascii transfer's size is not known in advance
			// (the conversion changes it), so tsize is then not acknowledged.
			if _, ok := parseDecimal(o.Value); !ok || lim.size < 0 {
				continue
			}
			p.oack = append(p.oack, Option{name, strconv.FormatInt(lim.size, 10)})
		case "timeout":
			if seen[2] {
				continue
			}
			seen[2] = true
			// RFC 2349: 1..255 seconds; the server must answer the same value.
			n, ok := parseDecimal(o.Value)
			if !ok || n < minTimeout || n > maxTimeout {
				continue
			}
			p.timeout = time.Duration(n) * time.Second
			p.oack = append(p.oack, Option{name, strconv.FormatInt(n, 10)})
		case "windowsize":
			if seen[3] {
				continue
			}
			seen[3] = true
			// RFC 7440 §3: 1..65535; the server may answer a smaller value.
			n, ok := parseDecimal(o.Value)
			if !ok || n < minWindowSize || n > maxWindowSize {
				continue
			}
			p.windowSize = int(min(n, int64(lim.maxWindowSize)))
			p.oack = append(p.oack, Option{name, strconv.Itoa(p.windowSize)})
		}
	}
	return p
}

// parseDecimal accepts only ASCII digits (no sign, no spaces), up to a value
// that cannot overflow.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
