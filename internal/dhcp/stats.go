package dhcp

import (
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Stats counts what the server did since it started. The fields are read
// with Load while the server runs; internal/metrics exports each of them at
// every scrape (Metrics.WatchDHCP). Replies by type are in the message
// counts (Messages), not in counters of their own.
type Stats struct {
	Received    atomic.Uint64 // datagrams read
	Malformed   atomic.Uint64 // not parseable as DHCP
	RateLimited atomic.Uint64 // dropped by the per-MAC rate limit
	// GlobalLimited counts requests of unknown clients dropped by the
	// global rate limit.
	GlobalLimited atomic.Uint64
	Exhausted     atomic.Uint64 // DISCOVER with no free address in the pools
	// Conflicts counts commits the store refused because another client
	// got the address first (another pxed sharing the store), whether the
	// request was then answered with a NAK or not at all: the message
	// counts show only the second as ResultConflict.
	Conflicts atomic.Uint64

	// messages counts parsed requests by message type (0: none, a BOOTP
	// request; 1-8: RFC 2132's eight; 9: any other) and by what became of
	// them.
	messages [10][numResults]atomic.Uint64
	// bootpRefused counts the BOOTP requests refused, by why.
	bootpRefused [numBOOTPRefusals]atomic.Uint64
}

// Result is what became of a parsed request.
type Result uint8

const (
	ResultOffer Result = iota
	ResultAck
	ResultNak
	ResultProxyOffer
	ResultProxyAck
	ResultNoReply     // decided not to answer
	ResultStoreFailed // the lease could not be recorded: no reply
	ResultSendFailed
	ResultConflict // another client got the address first: NAK or silence
	ResultBootReply
	numResults
)

func (r Result) String() string {
	return [...]string{"offer", "ack", "nak", "proxy_offer", "proxy_ack", "no_reply", "store_failed", "send_failed", "conflict", "bootreply"}[r]
}

// otherType is the slot of the message counts that every type outside RFC
// 2132's eight shares, so that what a client sends cannot add counters.
const otherType = 9

// countMessage counts a request of type mt (MessageTypeNone: a BOOTP
// request) that ended with r.
func (st *Stats) countMessage(mt dhcpv4.MessageType, r Result) {
	i := int(mt)
	if i >= otherType {
		i = otherType
	}
	st.messages[i][r].Add(1)
}

// countRefused counts a BOOTP request refused for r.
func (st *Stats) countRefused(r BOOTPRefusal) {
	if r < numBOOTPRefusals {
		st.bootpRefused[r].Add(1)
	}
}

// BOOTPRefused calls f for every reason BOOTP requests were refused for
// so far (BOOTPRefusal.Label), with their count.
func (st *Stats) BOOTPRefused(f func(reason string, n uint64)) {
	for r := BOOTPOff; r < numBOOTPRefusals; r++ {
		if n := st.bootpRefused[r].Load(); n > 0 {
			f(r.Label(), n)
		}
	}
}

// Messages calls f for every request type and result counted so far, with
// the type as RFC 2132 names it ("DISCOVER"…), "BOOTP" for a BOOTP request
// (no option 53) and "other" for the rest.
func (st *Stats) Messages(f func(msgType string, r Result, n uint64)) {
	for i := range st.messages {
		var name string
		switch i {
		case 0:
			name = "BOOTP"
		case otherType:
			name = "other"
		default:
			name = dhcpv4.MessageType(i).String()
		}
		for r := range numResults {
			if n := st.messages[i][r].Load(); n > 0 {
				f(name, r, n)
			}
		}
	}
}

// warnEvery lets one warning through per interval and counts the ones held
// back, so that a condition hit thousands of times a second (an exhausted
// pool, a full disk) logs a line every interval, not every time.
type warnEvery struct {
	interval   time.Duration
	next       atomic.Int64 // unix ns before which warnings are held back
	suppressed atomic.Uint64
}

// allow reports whether to log now, and how many were held back since the
// last one logged.
func (w *warnEvery) allow(now time.Time) (bool, uint64) {
	t := now.UnixNano()
	next := w.next.Load()
	if t < next || !w.next.CompareAndSwap(next, t+int64(w.interval)) {
		w.suppressed.Add(1)
		return false, 0
	}
	return true, w.suppressed.Swap(0)
}
