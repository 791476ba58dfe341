package probe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"

	"github.com/mdlayher/packet"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// readAll reads datagrams with read and hands each to got until the link
// is closed: Prober.Run closes its links when its context ends, which
// unblocks a read waiting in the runtime's poller, so no read needs a
// deadline to see the end.
func readAll(ctx context.Context, read func([]byte) (int, net.Addr, error), got func([]byte, net.Addr)) error {
	buf := make([]byte, 1500)
	for {
		n, from, err := read(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		got(buf[:n], from)
	}
}

// arpLink probes one interface with ARP, on a datagram packet socket of
// type 0x0806: the kernel adds and strips the Ethernet header, and the
// socket sees every ARP frame of the link, answers unicast to pxed
// included.
type arpLink struct {
	ifi  *net.Interface
	conn *packet.Conn
}

// OpenARP opens the ARP socket of the interface name. It needs CAP_NET_RAW:
// pxed opens it before dropping privileges, and the open socket keeps
// working after.
func OpenARP(name string) (Link, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("probe: interface %s: %w", name, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("probe: interface %s has no Ethernet address", name)
	}
	c, err := packet.Listen(ifi, packet.Datagram, EtherTypeARP, nil)
	if err != nil {
		return nil, fmt.Errorf("probe: ARP socket on %s: %w", name, err)
	}
	return &arpLink{ifi: ifi, conn: c}, nil
}

func (l *arpLink) method() Method { return ARP }

func (l *arpLink) send(target netip.Addr) error {
	b, err := probeRequest(l.ifi.HardwareAddr, target)
	if err != nil {
		return err
	}
	_, err = l.conn.WriteTo(b, &packet.Addr{HardwareAddr: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}})
	return err
}

func (l *arpLink) read(ctx context.Context, got func(Answer)) error {
	return readAll(ctx, l.conn.ReadFrom, func(b []byte, _ net.Addr) {
		p, err := parseARP(b)
		if err != nil {
			return // not ours to judge: another link layer, a torn frame
		}
		if a, ok := p.claim(l.ifi.HardwareAddr); ok {
			got(a)
		}
	})
}

func (l *arpLink) close() error { return l.conn.Close() }

// icmpLink probes relayed subnets with ICMP echo requests (RFC 792) on a
// raw socket: an echo reply from the address probed means it is in use.
// The identifier is random per pxed, the sequence number counts.
type icmpLink struct {
	conn *icmp.PacketConn
	id   int
	mu   sync.Mutex
	seq  int
}

// OpenICMP opens the raw ICMP socket of the echo probes; it needs
// CAP_NET_RAW, as OpenARP.
func OpenICMP() (Link, error) {
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("probe: ICMP socket: %w", err)
	}
	return &icmpLink{conn: c, id: rand.IntN(0xffff)}, nil
}

func (l *icmpLink) method() Method { return ICMP }

func (l *icmpLink) send(target netip.Addr) error {
	l.mu.Lock()
	l.seq = (l.seq + 1) & 0xffff
	seq := l.seq
	l.mu.Unlock()
	m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: l.id, Seq: seq, Data: []byte("pxed probe")}}
	b, err := m.Marshal(nil)
	if err != nil {
		return err
	}
	_, err = l.conn.WriteTo(b, &net.IPAddr{IP: target.AsSlice()})
	return err
}

func (l *icmpLink) read(ctx context.Context, got func(Answer)) error {
	return readAll(ctx, l.conn.ReadFrom, func(b []byte, from net.Addr) {
		if a, ok := echoReply(b, from, l.id); ok {
			got(a)
		}
	})
}

func (l *icmpLink) close() error { return l.conn.Close() }
