package dhcp6

import (
	"sync/atomic"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"
)

// Stats counts what the server did since it started. The fields are read
// with Load while the server runs; internal/metrics exports them at every
// scrape (Metrics.WatchDHCP6). Replies by outcome are in the message counts
// (Messages), not in counters of their own.
type Stats struct {
	Received      atomic.Uint64 // datagrams read
	Malformed     atomic.Uint64 // not parseable as DHCPv6, or nested too deep
	RateLimited   atomic.Uint64 // dropped by the per-client rate limit
	GlobalLimited atomic.Uint64 // unknown clients dropped by the global limit
	Ignored       atomic.Uint64 // parsed and decided not to answer
	Replied       atomic.Uint64 // replies sent
	StoreFailed   atomic.Uint64 // leases not recorded: no reply
	SendFailed    atomic.Uint64
	Exhausted     atomic.Uint64 // no address to give from the pools
	Dropped       DropCounts    // datagrams not served, by kind of reason

	// messages counts the clients' messages that passed the rate limits,
	// by type (RFC 8415 §7.3; 0: a type a client does not send) and by
	// what became of them.
	messages [maxClientType + 1][numResults]atomic.Uint64
}

// maxClientType is the highest message type a client sends
// (Information-request, RFC 8415 §7.3). Relay messages are unwrapped
// before they are counted.
const maxClientType = int(dhcpv6.MessageTypeInformationRequest)

// Result is what became of a client's message.
type Result uint8

const (
	ResultAdvertise Result = iota
	ResultReply            // a Reply whose status is Success
	// Replies that say no (RFC 8415 §21.13 status codes).
	ResultNoAddrsAvail
	ResultNoBinding
	ResultNotOnLink
	ResultUseMulticast
	ResultRefused     // another status code
	ResultNoReply     // decided not to answer
	ResultStoreFailed // a lease could not be recorded: no reply
	ResultSendFailed
	numResults
)

func (r Result) String() string {
	return [...]string{"advertise", "reply", "no_addrs_avail", "no_binding", "not_on_link", "use_multicast",
		"refused", "no_reply", "store_failed", "send_failed"}[r]
}

// resultOf is the outcome of a decision whose reply was sent.
func resultOf(d Decision) Result {
	if d.Refused {
		switch d.Status {
		case iana.StatusNoAddrsAvail:
			return ResultNoAddrsAvail
		case iana.StatusNoBinding:
			return ResultNoBinding
		case iana.StatusNotOnLink:
			return ResultNotOnLink
		case iana.StatusUseMulticast:
			return ResultUseMulticast
		}
		return ResultRefused
	}
	if d.Message != nil && d.Message.MessageType == dhcpv6.MessageTypeAdvertise {
		return ResultAdvertise
	}
	return ResultReply
}

// countMessage counts a message of type mt that ended with r. Types a
// client does not send share slot 0, so that what arrives cannot add
// counters.
func (st *Stats) countMessage(mt dhcpv6.MessageType, r Result) {
	i := int(mt)
	if i > maxClientType {
		i = 0
	}
	st.messages[i][r].Add(1)
}

// Messages calls f for every message type and result counted so far, with
// the type as RFC 8415 names it ("SOLICIT"…, "other").
func (st *Stats) Messages(f func(msgType string, r Result, n uint64)) {
	for i := range st.messages {
		name := "other"
		if i > 0 {
			name = dhcpv6.MessageType(i).String()
		}
		for r := range numResults {
			if n := st.messages[i][r].Load(); n > 0 {
				f(name, r, n)
			}
		}
	}
}
