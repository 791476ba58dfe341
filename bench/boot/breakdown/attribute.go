package main

import (
	"fmt"
	"sort"
)

// Bucket says whose turn a stretch of the boot was.
type Bucket int

const (
	// Firmware: power-on to the station's first DHCPDISCOVER.
	Firmware Bucket = iota
	// StartUp: the station between two exchanges, with nothing asked of
	// the server: a loader or the kernel starting, a config being read.
	StartUp
	// Turnaround: the station's own time inside an exchange: its reply to
	// a DATA block or a TCP segment, or a DHCP client's timer between an
	// OFFER and its REQUEST.
	Turnaround
	// Reply: the station has asked (DHCP, RRQ, ACK, GET, TCP ACK with the
	// response still unsent, ARP, router solicitation) and waits for the
	// server's next packet.
	Reply
	// Stream: the server sending the same transfer back to back.
	Stream
	// Unanswered: the station asked (DHCP, ARP, router solicitation) and
	// moved on or asked again before any answer came.
	Unanswered
	// Recovery: the wait that ends in the server sending again what it had
	// sent before (a TCP segment or a TFTP block the station did not
	// acknowledge), when the station answers the resend at once: the
	// server's retransmission timer decided it. A station that stays
	// silent was busy, not waiting: its time.
	Recovery
	nBuckets
)

var bucketNames = [nBuckets]string{"firmware", "start-up", "turnaround", "reply", "stream", "unanswered", "recovery"}

func (b Bucket) String() string { return bucketNames[b] }

// server reports whether the bucket is time the station spent waiting on
// the server or the wire.
func (b Bucket) server() bool { return b == Reply || b == Stream || b == Unanswered || b == Recovery }

// Exchange is one DHCP exchange, one TFTP read or one HTTP request, or the
// station's other traffic (ARP, IPv6) taken together.
type Exchange struct {
	Name       string
	Proto      Proto
	Start, End float64 // seconds after power-on
	Bytes      int     // frames the server sent the station, on the wire
	Time       [nBuckets]float64
}

// Breakdown is one boot, power-on to `Linux version`, cut into buckets.
type Breakdown struct {
	Total     float64
	Exchanges []*Exchange
	Sum       [nBuckets]float64
	// KernelStart is the station's time from the last packet to `Linux
	// version` (part of Sum[StartUp]).
	KernelStart float64
	Bytes       int
	// PeakRate is the most the server sent the station in any window of
	// peakWindow seconds, in bytes per second.
	PeakRate float64
}

// Server is the time the station waited on the server or the wire.
func (b *Breakdown) Server() float64 {
	var t float64
	for k, v := range b.Sum {
		if Bucket(k).server() {
			t += v
		}
	}
	return t
}

const peakWindow = 0.1

// Attribute walks a boot's packets (in capture order) and gives every
// stretch between two of them to a bucket: t0 is power-on, tk the moment
// the serial console showed `Linux version`. It is the whole model of the
// breakdown, and has no I/O.
//
// The rule: from the first DHCPDISCOVER on, a stretch that ends in a
// server packet while the station was owed an answer is the server's
// (Reply), as is one between two server packets of the same transfer
// (Stream); a stretch in which the station was owed an answer and asked
// again, or gave up, is Unanswered for DHCP, ARP and router solicitations
// and Reply for TFTP and TCP (the server still owes the data). Every other
// stretch is the station's: Turnaround inside an exchange, StartUp
// between exchanges and after the last packet.
func Attribute(pkts []Packet, t0, tk float64) (*Breakdown, error) {
	if tk <= t0 {
		return nil, fmt.Errorf("Linux version at %.3f is not after power-on at %.3f", tk, t0)
	}
	bd := &Breakdown{Total: tk - t0}
	first := -1
	for i, p := range pkts {
		if p.T > tk {
			pkts = pkts[:i]
			break
		}
		if first < 0 && p.FromClient && p.Proto == ProtoDHCP && p.DHCPType == 1 {
			first = i
		}
	}
	if first < 0 {
		return nil, fmt.Errorf("no DHCPDISCOVER from the station before Linux version")
	}
	bd.Sum[Firmware] = pkts[first].T - t0
	// Multicast listener reports, neighbour discovery and the like ask
	// nothing of the server and answer nothing the station asked.
	var kept []Packet
	for _, p := range pkts[first:] {
		if p.Proto != ProtoOther {
			kept = append(kept, p)
		}
	}
	pkts = kept

	ex := exchanges(pkts)
	owes := owed(pkts)
	again := resent(pkts)
	// The exchange of the last DHCP, TFTP or TCP packet up to each packet,
	// and of the next one from it: ARP and router solicitations in
	// between neither end nor start an exchange.
	prevMain := make([]*Exchange, len(pkts))
	nextMain := make([]*Exchange, len(pkts))
	for i, p := range pkts {
		if p.main() {
			prevMain[i] = ex[i]
		} else if i > 0 {
			prevMain[i] = prevMain[i-1]
		}
	}
	for i := len(pkts) - 1; i >= 0; i-- {
		if pkts[i].main() {
			nextMain[i] = ex[i]
		} else if i+1 < len(pkts) {
			nextMain[i] = nextMain[i+1]
		}
	}
	for _, e := range uniq(ex) {
		bd.Exchanges = append(bd.Exchanges, e)
		e.Start, e.End = -1, -1
	}
	var w waiting
	for i, p := range pkts {
		e := ex[i]
		if i == 0 {
			w.update(p, owes[i], e)
		}
		if e.Start < 0 {
			e.Start = p.T - t0
		}
		e.End = p.T - t0
		if !p.FromClient {
			e.Bytes += p.Wire
			bd.Bytes += p.Wire
		}
		if i == 0 {
			continue
		}
		prev := pkts[i-1]
		d := p.T - prev.T
		var b Bucket
		switch {
		case again[i] && answeredSoon(pkts, i):
			b = Recovery
		case again[i]:
			// Resent, and the station said nothing on that transfer for
			// a while after: it was busy, not waiting for the data (iPXE
			// loading the image stops acknowledging, then acknowledges
			// everything at once); its time.
			b = StartUp
		case !prev.FromClient && !p.FromClient && ex[i-1] == e && (p.Proto == ProtoTFTP || p.Proto == ProtoTCP):
			b = Stream
		case w.any() && !p.FromClient:
			b = Reply
		case w.transfer:
			b = Reply
		case w.any():
			b = Unanswered
		case prevMain[i-1] != nil && prevMain[i-1] == nextMain[i]:
			b = Turnaround
		default:
			b = StartUp
		}
		bd.Sum[b] += d
		// A stretch belongs to the exchange that ends it, except that a
		// server's silence belongs to the request it leaves unanswered and
		// the station's own time to the exchange it leads to.
		switch {
		case b == Unanswered:
			w.asked.Time[b] += d
		case (b == Turnaround || b == StartUp) && nextMain[i] != nil:
			nextMain[i].Time[b] += d
		default:
			e.Time[b] += d
		}
		w.update(p, owes[i], e)
	}
	last := pkts[len(pkts)-1]
	bd.KernelStart = tk - last.T
	bd.Sum[StartUp] += bd.KernelStart
	bd.PeakRate = peakRate(pkts)
	return bd, nil
}

// waiting is what the station has asked the server and not yet had an
// answer to. Requests of different kinds are outstanding together: iPXE
// goes on with DHCP while its router solicitation waits for an answer,
// and its boot goes on only when both are done.
type waiting struct {
	dhcp, router, arp bool
	transfer          bool      // the last TFTP or TCP packet from the station asks for more
	asked             *Exchange // of the latest request still outstanding
}

func (w *waiting) any() bool { return w.dhcp || w.router || w.arp || w.transfer }

// update takes packet p, whose exchange is e; asks is whether the station
// waits for the server after it (owed).
func (w *waiting) update(p Packet, asks bool, e *Exchange) {
	if p.FromClient {
		switch p.Proto {
		case ProtoDHCP:
			w.dhcp = w.dhcp || asks
		case ProtoRS, ProtoND:
			w.router = w.router || asks
		case ProtoARP:
			w.arp = w.arp || asks
		case ProtoTFTP, ProtoTCP:
			w.transfer = asks
			// A new read or connection: the station has moved on from
			// whatever it still had no answer to.
			if p.TFTPOp == 1 && p.Proto == ProtoTFTP || p.TCPSyn {
				w.dhcp, w.router, w.arp = false, false, false
			}
		}
		if asks {
			w.asked = e
		}
		return
	}
	switch p.Proto {
	case ProtoDHCP:
		w.dhcp = false
	case ProtoRS, ProtoND: // an advertisement, or a solicitation asking the station first
		w.router = false
	case ProtoARP:
		w.arp = false
	case ProtoTFTP, ProtoTCP:
		w.transfer = false
	}
}

// resent says, per packet, whether the server sent it before: a TCP
// segment whose bytes were all sent already on that connection, or a TFTP
// DATA block the read had already had.
func resent(pkts []Packet) []bool {
	out := make([]bool, len(pkts))
	tcpEnd := map[uint16]uint32{}
	tftpBlock := map[uint16]uint16{}
	tftpAny := map[uint16]bool{}
	for i, p := range pkts {
		if p.FromClient {
			if p.Proto == ProtoTFTP && p.TFTPOp == 1 {
				delete(tftpAny, p.ClientPort)
			}
			if p.Proto == ProtoTCP && p.TCPSyn {
				delete(tcpEnd, p.ClientPort)
			}
			continue
		}
		switch {
		case p.Proto == ProtoTCP && p.TCPPayload > 0:
			end := p.TCPSeq + uint32(p.TCPPayload)
			if cur, ok := tcpEnd[p.ClientPort]; ok && int32(end-cur) <= 0 {
				out[i] = true
			} else {
				tcpEnd[p.ClientPort] = end
			}
		case p.Proto == ProtoTFTP && p.TFTPOp == 3:
			// Block numbers wrap at 65536 (RFC 7440 §4 relies on it):
			// a block at most a window behind the last is a resend.
			if last := tftpBlock[p.ClientPort]; tftpAny[p.ClientPort] && last-p.TFTPBlock < 1024 {
				out[i] = true
			} else {
				tftpBlock[p.ClientPort] = p.TFTPBlock
				tftpAny[p.ClientPort] = true
			}
		}
	}
	return out
}

// answerWithin is how soon a station that was waiting for a resent segment
// or block acknowledges it: its turnaround is about a millisecond here.
const answerWithin = 0.05

// answeredSoon reports whether the station answers on the transfer of the
// server's resent packet i within answerWithin: then it had lost the data
// and waited for it.
func answeredSoon(pkts []Packet, i int) bool {
	p := pkts[i]
	for _, q := range pkts[i+1:] {
		if q.T-p.T > answerWithin {
			return false
		}
		if q.FromClient && q.Proto == p.Proto && q.ClientPort == p.ClientPort {
			return true
		}
	}
	return false
}

// main reports whether the packet is part of a DHCP exchange or a
// transfer.
func (p Packet) main() bool {
	return p.Proto == ProtoDHCP || p.Proto == ProtoTFTP || p.Proto == ProtoTCP
}

// owed says, per packet, whether the station waits for the server after
// sending it.
func owed(pkts []Packet) []bool {
	// The last DATA of each TFTP read, with whether it was short (the end
	// of the file, RFC 1350 §6).
	type lastData struct {
		block uint16
		n     int
		max   int
	}
	tftpLast := map[uint16]*lastData{}
	for _, p := range pkts {
		switch {
		case p.Proto == ProtoTFTP && !p.FromClient && p.TFTPOp == 3:
			l := tftpLast[p.ClientPort]
			if l == nil {
				l = &lastData{}
				tftpLast[p.ClientPort] = l
			}
			l.block, l.n = p.TFTPBlock, p.TFTPData
			l.max = max(l.max, p.TFTPData)
		case p.Proto == ProtoTFTP && p.FromClient && p.TFTPOp == 1:
			delete(tftpLast, p.ClientPort) // a new read from the same port
		}
	}
	out := make([]bool, len(pkts))
	// While the server waits for the station to answer its neighbour
	// solicitation, the station's repeated router solicitations are not
	// the server's to answer yet.
	// The station's advertisement in answer lets the server answer.
	resolving := false
	for i, p := range pkts {
		if p.Proto == ProtoND {
			out[i] = p.FromClient && resolving
			resolving = !p.FromClient
		}
		if !p.FromClient {
			continue
		}
		switch p.Proto {
		case ProtoDHCP:
			out[i] = p.DHCPType == 1 || p.DHCPType == 3 || p.DHCPType == 8 // DISCOVER, REQUEST, INFORM
		case ProtoARP:
			out[i] = p.ARPRequest
		case ProtoRS:
			out[i] = !resolving
		case ProtoTFTP:
			switch p.TFTPOp {
			case 1:
				out[i] = true
			case 4:
				l := tftpLast[p.ClientPort]
				final := l != nil && l.n < l.max && p.TFTPBlock == l.block && lastDataBefore(pkts, i, p.ClientPort)
				out[i] = !final
			}
		case ProtoTCP:
			switch {
			case p.TCPRst || p.TCPFin:
			case p.TCPSyn || p.TCPPayload > 0:
				out[i] = true
			default:
				out[i] = moreToCome(pkts, i)
			}
		}
	}
	return out
}

// moreToCome reports whether the server, after the station's pure TCP ACK
// at i, sends data on that connection beyond what the ACK acknowledges
// before the station's next request there: whether the server still owed
// the station part of a response.
func moreToCome(pkts []Packet, i int) bool {
	a := pkts[i]
	for _, p := range pkts[i+1:] {
		if p.Proto != ProtoTCP || p.ClientPort != a.ClientPort {
			continue
		}
		if p.FromClient && (p.TCPPayload > 0 || p.TCPSyn) {
			return false
		}
		if !p.FromClient && p.TCPPayload > 0 && int32(p.TCPSeq+uint32(p.TCPPayload)-a.TCPAck) > 0 {
			return true
		}
	}
	return false
}

// lastDataBefore reports whether the read on port has sent its last DATA
// before packet i.
func lastDataBefore(pkts []Packet, i int, port uint16) bool {
	for _, p := range pkts[i+1:] {
		if !p.FromClient && p.Proto == ProtoTFTP && p.TFTPOp == 3 && p.ClientPort == port {
			return false
		}
	}
	return true
}

// exchanges gives each packet its exchange: a DHCPDISCOVER (or a REQUEST
// after an ACK) starts a DHCP exchange, an RRQ a TFTP read (on the
// station's port), a GET a request on its TCP connection (the handshake
// goes with the first GET); ARP, IPv6 and anything else share one.
func exchanges(pkts []Packet) []*Exchange {
	out := make([]*Exchange, len(pkts))
	var dhcp, other *Exchange
	var lastDHCP byte
	tftp := map[uint16]*Exchange{}
	tcp := map[uint16]*Exchange{}
	named := map[*Exchange]bool{}
	for i, p := range pkts {
		var e *Exchange
		switch p.Proto {
		case ProtoDHCP:
			// A DISCOVER starts an exchange unless it repeats the last
			// one; so does a REQUEST after an ACK (INIT-REBOOT, RFC 2131
			// §3.2).
			if dhcp == nil || p.FromClient && (p.DHCPType == 1 && lastDHCP != 1 || p.DHCPType == 3 && lastDHCP == 5) {
				dhcp = &Exchange{Name: "dhcp", Proto: ProtoDHCP}
			}
			lastDHCP = p.DHCPType
			e = dhcp
		case ProtoTFTP:
			if p.FromClient && p.TFTPOp == 1 || tftp[p.ClientPort] == nil {
				tftp[p.ClientPort] = &Exchange{Name: "tftp " + shortName(p.Name), Proto: ProtoTFTP}
			}
			e = tftp[p.ClientPort]
		case ProtoTCP:
			cur := tcp[p.ClientPort]
			switch {
			case cur == nil || p.TCPSyn && p.FromClient:
				cur = &Exchange{Name: "http", Proto: ProtoTCP}
				tcp[p.ClientPort] = cur
			case p.Name != "" && named[cur]:
				cur = &Exchange{Name: "http", Proto: ProtoTCP}
				tcp[p.ClientPort] = cur
			}
			if p.Name != "" {
				cur.Name = "http " + shortName(p.Name)
				named[cur] = true
			}
			e = cur
		default:
			if other == nil {
				other = &Exchange{Name: "arp, ipv6 router", Proto: ProtoOther}
			}
			e = other
		}
		out[i] = e
	}
	return out
}

// uniq returns each exchange once, in order of first appearance.
func uniq(ex []*Exchange) []*Exchange {
	seen := map[*Exchange]bool{}
	var out []*Exchange
	for _, e := range ex {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// peakRate is the most the server sent the station in any peakWindow.
func peakRate(pkts []Packet) float64 {
	var best, sum int
	j := 0
	for _, p := range pkts {
		if p.FromClient {
			continue
		}
		sum += p.Wire
		for ; pkts[j].T < p.T-peakWindow; j++ {
			if !pkts[j].FromClient {
				sum -= pkts[j].Wire
			}
		}
		best = max(best, sum)
	}
	return float64(best) / peakWindow
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
