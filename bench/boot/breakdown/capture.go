package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Proto is what a packet of the boot carries, as far as the breakdown
// cares.
type Proto int

const (
	ProtoOther Proto = iota
	ProtoDHCP
	ProtoTFTP
	ProtoTCP
	ProtoARP
	ProtoRS // an IPv6 router solicitation or advertisement
	ProtoND // the server's neighbour solicitation of the station, its advertisement
)

func (p Proto) String() string {
	switch p {
	case ProtoDHCP:
		return "dhcp"
	case ProtoTFTP:
		return "tftp"
	case ProtoTCP:
		return "http"
	case ProtoARP:
		return "arp"
	case ProtoRS:
		return "ipv6-router"
	case ProtoND:
		return "ipv6-neighbour"
	}
	return "other"
}

// Packet is one frame between the station and the server, decoded to the
// facts the breakdown needs. The capture is cut at 400 bytes (bench/boot/run
// runs tcpdump -s 400), so lengths come from the headers, not from what was
// captured.
type Packet struct {
	T          float64 // seconds, the capture's clock (CLOCK_REALTIME)
	FromClient bool
	Wire       int // the frame's length on the wire
	Proto      Proto

	ClientPort uint16 // UDP or TCP port on the station's side

	DHCPType   byte // option 53 (RFC 2132 §9.6)
	ARPRequest bool // an ARP request that expects a reply

	TFTPOp    uint16 // RFC 1350 §5 opcode
	TFTPBlock uint16 // DATA and ACK
	TFTPData  int    // DATA: payload bytes
	Name      string // RRQ: the file; HTTP: the path of a GET

	TCPSyn, TCPFin, TCPRst bool
	TCPSeq, TCPAck         uint32
	TCPPayload             int
}

// readCapture returns the packets of a pcap file that the station with
// MAC client sent or was sent, in capture order. A server's broadcast DHCP
// reply counts when its chaddr is the station's.
func readCapture(path string, client net.HardwareAddr) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Packet
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			// tcpdump killed mid-write leaves a torn last record.
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t := float64(ci.Timestamp.UnixNano()) / 1e9
		if p, ok := decode(data, ci.Length, t, client); ok {
			out = append(out, p)
		}
	}
}

// decode turns one captured frame into a Packet, or reports that it is
// none of the station's business.
func decode(data []byte, wire int, t float64, client net.HardwareAddr) (Packet, bool) {
	pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if eth == nil {
		return Packet{}, false
	}
	p := Packet{T: t, Wire: wire}
	switch {
	case bytes.Equal(eth.SrcMAC, client):
		p.FromClient = true
	case bytes.Equal(eth.DstMAC, client):
	case eth.DstMAC[0]&1 == 1: // broadcast or multicast: only replies meant for the station
	default:
		return Packet{}, false
	}
	toStation := bytes.Equal(eth.DstMAC, client)

	if arp, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		if !p.FromClient && !toStation {
			return Packet{}, false
		}
		p.Proto = ProtoARP
		// A request for another host's address waits for its reply
		// (RFC 826); a probe (sender 0.0.0.0) or an announcement
		// (sender = target) waits for nothing (RFC 5227 §2.1.1, §2.3).
		p.ARPRequest = arp.Operation == layers.ARPRequest &&
			!bytes.Equal(arp.SourceProtAddress, []byte{0, 0, 0, 0}) &&
			!bytes.Equal(arp.SourceProtAddress, arp.DstProtAddress)
		return p, true
	}
	if icmp, ok := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); ok {
		switch icmp.TypeCode.Type() {
		case layers.ICMPv6TypeRouterSolicitation:
			if p.FromClient {
				p.Proto = ProtoRS
				return p, true
			}
		case layers.ICMPv6TypeRouterAdvertisement:
			if !p.FromClient {
				p.Proto = ProtoRS
				return p, true
			}
		case layers.ICMPv6TypeNeighborSolicitation:
			// The server resolving the station's address before it can
			// answer by unicast (RFC 4861 §7.2.2): to the station's
			// solicited-node group, 33:33:ff and its MAC's last three
			// bytes (RFC 2464 §7), or to the station itself.
			solicited := bytes.Equal(eth.DstMAC[:3], []byte{0x33, 0x33, 0xff}) && bytes.Equal(eth.DstMAC[3:], client[3:])
			if !p.FromClient && (toStation || solicited) {
				p.Proto = ProtoND
				return p, true
			}
		case layers.ICMPv6TypeNeighborAdvertisement:
			if p.FromClient {
				p.Proto = ProtoND
				return p, true
			}
		}
		if p.FromClient || toStation {
			return p, true
		}
		return Packet{}, false
	}
	ip4, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip4 == nil {
		if p.FromClient || toStation {
			return p, true
		}
		return Packet{}, false
	}
	ipPayload := int(ip4.Length) - int(ip4.IHL)*4
	if udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		payload := udp.Payload
		n := int(udp.Length) - 8
		switch {
		case udp.DstPort == 67 || udp.SrcPort == 67:
			p.Proto = ProtoDHCP
			mac, typ := dhcpFacts(payload)
			if !bytes.Equal(mac, client) {
				return Packet{}, false
			}
			p.DHCPType = typ
			return p, true
		case !p.FromClient && !toStation:
			return Packet{}, false
		}
		p.Proto = ProtoTFTP
		p.ClientPort = stationPort(p.FromClient, uint16(udp.SrcPort), uint16(udp.DstPort))
		if len(payload) >= 2 {
			p.TFTPOp = binary.BigEndian.Uint16(payload)
		}
		switch p.TFTPOp {
		case 1: // RRQ: filename NUL mode NUL options (RFC 1350 §5, RFC 2347)
			if udp.DstPort != 69 {
				p.Proto = ProtoOther
				return p, true
			}
			name, _, _ := bytes.Cut(payload[2:], []byte{0})
			p.Name = string(name)
		case 3, 4:
			if len(payload) >= 4 {
				p.TFTPBlock = binary.BigEndian.Uint16(payload[2:])
			}
			if p.TFTPOp == 3 {
				p.TFTPData = n - 4
			}
		}
		return p, true
	}
	if tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		if !p.FromClient && !toStation {
			return Packet{}, false
		}
		p.Proto = ProtoTCP
		p.ClientPort = stationPort(p.FromClient, uint16(tcp.SrcPort), uint16(tcp.DstPort))
		p.TCPSyn, p.TCPFin, p.TCPRst = tcp.SYN, tcp.FIN, tcp.RST
		p.TCPSeq, p.TCPAck = tcp.Seq, tcp.Ack
		p.TCPPayload = ipPayload - int(tcp.DataOffset)*4
		if p.FromClient && bytes.HasPrefix(tcp.Payload, []byte("GET ")) {
			line, _, _ := bytes.Cut(tcp.Payload[4:], []byte(" "))
			p.Name = string(line)
		}
		return p, true
	}
	if p.FromClient || toStation {
		return p, true
	}
	return Packet{}, false
}

// stationPort is the port on the station's side of a packet.
func stationPort(fromClient bool, src, dst uint16) uint16 {
	if fromClient {
		return src
	}
	return dst
}

// dhcpFacts reads chaddr and the message type (option 53) from a BOOTP
// message, tolerating a capture cut short: the cut may fall anywhere in
// the options, so a full decoder would refuse what this reads (RFC 2131
// §2 for the layout, RFC 2132 §3 for the options' encoding).
func dhcpFacts(b []byte) (net.HardwareAddr, byte) {
	const fixed = 236
	if len(b) < fixed+4 || b[2] != 6 {
		return nil, 0
	}
	mac := net.HardwareAddr(b[28:34])
	opts := b[fixed+4:]
	for i := 0; i < len(opts); {
		code := opts[i]
		if code == 0 {
			i++
			continue
		}
		if code == 255 || i+1 >= len(opts) {
			break
		}
		l := int(opts[i+1])
		if code == 53 && l == 1 && i+2 < len(opts) {
			return mac, opts[i+2]
		}
		i += 2 + l
	}
	return mac, 0
}

// shortName keeps the last two elements of a path: enough to tell the
// kernels and initrds of two architectures apart.
func shortName(p string) string {
	p = strings.TrimSuffix(p, "/")
	parts := strings.Split(p, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}
