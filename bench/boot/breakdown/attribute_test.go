package main

import (
	"math"
	"testing"
)

// seq builds a boot from (offset, packet) pairs, offsets in seconds after
// power-on at t=100.
type at struct {
	dt float64
	p  Packet
}

func seq(steps ...at) []Packet {
	out := make([]Packet, len(steps))
	for i, s := range steps {
		s.p.T = 100 + s.dt
		out[i] = s.p
	}
	return out
}

// dhcpAt is a DHCP exchange the server answers in 1 ms each way, starting
// dt after power-on.
func dhcpAt(dt float64) []at {
	return []at{
		{dt, dhcp(true, 1)},
		{dt + 0.001, dhcp(false, 2)},
		{dt + 0.002, dhcp(true, 3)},
		{dt + 0.003, dhcp(false, 5)},
	}
}

func dhcp(fromClient bool, typ byte) Packet {
	return Packet{FromClient: fromClient, Proto: ProtoDHCP, DHCPType: typ, Wire: 400}
}

func rrq(port uint16, name string) Packet {
	return Packet{FromClient: true, Proto: ProtoTFTP, TFTPOp: 1, ClientPort: port, Name: name, Wire: 80}
}

func data(port, block uint16, n int) Packet {
	return Packet{Proto: ProtoTFTP, TFTPOp: 3, ClientPort: port, TFTPBlock: block, TFTPData: n, Wire: n + 46}
}

func ack(port, block uint16) Packet {
	return Packet{FromClient: true, Proto: ProtoTFTP, TFTPOp: 4, ClientPort: port, TFTPBlock: block, Wire: 60}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAttributeLockStepTFTP(t *testing.T) {
	t.Parallel()
	// Firmware 2 s; the server answers DISCOVER in 1 ms and REQUEST in
	// 2 ms; the station's DHCP timer holds its REQUEST 1 s; the loader
	// asks 0.5 s after the ACK; each DATA is answered by an ACK 0.1 s
	// later and the server sends the next 0.01 s after an ACK; the last
	// block is short, so its ACK asks for nothing; the kernel starts 3 s
	// after it.
	pkts := seq(
		at{2.000, dhcp(true, 1)},
		at{2.001, dhcp(false, 2)},
		at{3.001, dhcp(true, 3)},
		at{3.003, dhcp(false, 5)},
		at{3.503, rrq(1000, "linux")},
		at{3.513, data(1000, 1, 512)},
		at{3.613, ack(1000, 1)},
		at{3.623, data(1000, 2, 100)},
		at{3.723, ack(1000, 2)},
	)
	bd, err := Attribute(pkts, 100, 106.723)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Bucket]float64{
		Firmware:   2,
		Reply:      0.001 + 0.002 + 0.010 + 0.010,
		Turnaround: 1 + 0.1 + 0.1,
		StartUp:    0.5 + 3,
		Stream:     0,
		Unanswered: 0,
	}
	for b, w := range want {
		if !near(bd.Sum[b], w) {
			t.Errorf("%s = %.4f, want %.4f", b, bd.Sum[b], w)
		}
	}
	var sum float64
	for _, v := range bd.Sum {
		sum += v
	}
	if !near(sum, bd.Total) {
		t.Errorf("buckets add up to %.4f, the boot took %.4f", sum, bd.Total)
	}
	if len(bd.Exchanges) != 2 || bd.Exchanges[1].Name != "tftp linux" || bd.Exchanges[1].Bytes != 80+558+146-80 {
		t.Errorf("exchanges = %+v", bd.Exchanges)
	}
}

func TestAttributeUnansweredAndRetries(t *testing.T) {
	t.Parallel()
	// No router answers the station's solicitations: 2 s of waiting on the
	// network; a DISCOVER repeated after 4 s without an OFFER is the
	// server's silence too.
	rs := Packet{FromClient: true, Proto: ProtoRS, Wire: 70}
	pkts := seq(
		at{1, dhcp(true, 1)},
		at{5, dhcp(true, 1)},
		at{5.01, dhcp(false, 2)},
		at{5.02, rs},
		at{6.02, rs},
		at{7.02, dhcp(true, 3)},
		at{7.03, dhcp(false, 5)},
	)
	bd, err := Attribute(pkts, 100, 108)
	if err != nil {
		t.Fatal(err)
	}
	if !near(bd.Sum[Unanswered], 4+1+1) {
		t.Errorf("unanswered = %.4f, want 6", bd.Sum[Unanswered])
	}
	if !near(bd.Sum[Reply], 0.01+0.01) {
		t.Errorf("reply = %.4f, want 0.02", bd.Sum[Reply])
	}
	// OFFER to the solicitation: the station's own DHCP time.
	if !near(bd.Sum[Turnaround], 0.01) {
		t.Errorf("turnaround = %.4f, want 0.01", bd.Sum[Turnaround])
	}
}

func TestAttributeGivesUp(t *testing.T) {
	t.Parallel()
	// No router answers; the station waits 10 s after its DHCP, then
	// starts a transfer: the 10 s were spent waiting on the network, the
	// transfer's lock-step afterwards is the station's own.
	rs := Packet{FromClient: true, Proto: ProtoRS, Wire: 70}
	pkts := seq(
		at{1.5, dhcp(true, 1)},
		at{1.5005, rs},
		at{1.501, dhcp(false, 2)},
		at{1.502, dhcp(true, 3)},
		at{1.503, dhcp(false, 5)},
		at{11.503, rrq(7, "linux")},
		at{11.504, data(7, 1, 100)},
		at{11.604, ack(7, 1)},
	)
	bd, err := Attribute(pkts, 100, 115)
	if err != nil {
		t.Fatal(err)
	}
	// DISCOVER to the solicitation, OFFER to REQUEST (both outstanding
	// still), and the 10 s.
	if !near(bd.Sum[Unanswered], 0.0005+0.001+10) {
		t.Errorf("unanswered = %.4f, want 10.0015", bd.Sum[Unanswered])
	}
	if !near(bd.Sum[Turnaround], 0.1) || !near(bd.Sum[StartUp], 3.396) {
		t.Errorf("turnaround = %.4f, start-up = %.4f", bd.Sum[Turnaround], bd.Sum[StartUp])
	}
}

func TestAttributeNeighbourDiscovery(t *testing.T) {
	t.Parallel()
	// The server answers a solicitation by resolving the station first;
	// the station takes 1 s to advertise, soliciting again meanwhile:
	// that second is the station's.
	rs := Packet{FromClient: true, Proto: ProtoRS, Wire: 70}
	ra := Packet{Proto: ProtoRS, Wire: 78}
	ns := Packet{Proto: ProtoND, Wire: 86}
	na := Packet{FromClient: true, Proto: ProtoND, Wire: 86}
	pkts := seq(
		at{1, dhcp(true, 1)},
		at{1.001, dhcp(false, 2)},
		at{1.002, rs},
		at{1.004, ns},
		at{1.5, rs},
		at{2.004, na},
		at{2.005, ra},
		at{2.006, dhcp(true, 3)},
		at{2.007, dhcp(false, 5)},
	)
	bd, err := Attribute(pkts, 100, 103)
	if err != nil {
		t.Fatal(err)
	}
	if !near(bd.Sum[Reply], 0.001+0.002+0.001+0.001) {
		t.Errorf("reply = %.4f, want 0.005", bd.Sum[Reply])
	}
	if bd.Sum[Unanswered] != 0 {
		t.Errorf("unanswered = %.4f, want 0", bd.Sum[Unanswered])
	}
}

func TestAttributeTCPWindow(t *testing.T) {
	t.Parallel()
	// A GET answered in 5 ms; two segments back to back (1 ms); the
	// station's ACK 50 ms later while more is owed, then the server's
	// next segment 2 ms after; the final ACK asks for nothing; FIN too.
	c := func(seq, ackn uint32, n int, syn, fin bool) Packet {
		return Packet{FromClient: true, Proto: ProtoTCP, ClientPort: 40000, TCPSeq: seq, TCPAck: ackn, TCPPayload: n, TCPSyn: syn, TCPFin: fin, Wire: 66 + n}
	}
	s := func(seq, ackn uint32, n int, syn bool) Packet {
		return Packet{Proto: ProtoTCP, ClientPort: 40000, TCPSeq: seq, TCPAck: ackn, TCPPayload: n, TCPSyn: syn, Wire: 66 + n}
	}
	get := c(1, 1, 100, false, false)
	get.Name = "/boot/linux"
	pkts := seq(append(dhcpAt(1),
		at{1.100, c(0, 0, 0, true, false)},
		at{1.101, s(0, 1, 0, true)},
		at{1.102, c(1, 1, 0, false, false)}, // the handshake's ACK: the station speaks next
		at{1.103, get},
		at{1.108, s(1, 101, 1000, false)},
		at{1.109, s(1001, 101, 1000, false)},
		at{1.159, c(101, 2001, 0, false, false)},
		at{1.161, s(2001, 101, 500, false)},
		at{1.171, c(101, 2501, 0, false, false)},
		at{1.200, c(101, 2501, 0, false, true)},
	)...)
	bd, err := Attribute(pkts, 100, 102)
	if err != nil {
		t.Fatal(err)
	}
	// Owed: DHCP's 1 ms + 1 ms, SYN→SYN-ACK 1 ms, GET→data 5 ms,
	// ACK→data 2 ms.
	if !near(bd.Sum[Reply], 0.001+0.001+0.001+0.005+0.002) {
		t.Errorf("reply = %.4f", bd.Sum[Reply])
	}
	if !near(bd.Sum[Stream], 0.001) {
		t.Errorf("stream = %.4f, want 0.001", bd.Sum[Stream])
	}
	// Station: DHCP 1 ms, SYN-ACK→ACK 1 ms, ACK→GET 1 ms, 50 ms before
	// its ACK, 10 ms, 29 ms to its FIN.
	if !near(bd.Sum[Turnaround], 0.001+0.001+0.001+0.050+0.010+0.029) {
		t.Errorf("turnaround = %.4f", bd.Sum[Turnaround])
	}
	if !near(bd.Sum[StartUp], 0.097+0.8) {
		t.Errorf("start-up = %.4f", bd.Sum[StartUp])
	}
	if len(bd.Exchanges) != 2 || bd.Exchanges[1].Name != "http boot/linux" {
		t.Errorf("exchanges: %+v", bd.Exchanges)
	}
}

func TestAttributeNeedsDiscover(t *testing.T) {
	t.Parallel()
	if _, err := Attribute(seq(at{1, rrq(1, "x")}), 100, 105); err == nil {
		t.Error("a boot without DHCPDISCOVER was broken down")
	}
	if _, err := Attribute(seq(at{1, dhcp(true, 1)}), 100, 99); err == nil {
		t.Error("a kernel before power-on was accepted")
	}
}

func TestDHCPFactsTruncated(t *testing.T) {
	t.Parallel()
	b := make([]byte, 240+3)
	b[2] = 6
	copy(b[28:], []byte{0, 0x18, 0xe7, 0x42, 0x84, 0x3a})
	copy(b[240:], []byte{53, 1, 3})
	mac, typ := dhcpFacts(b)
	if mac.String() != "00:18:e7:42:84:3a" || typ != 3 {
		t.Errorf("got %v %d", mac, typ)
	}
	// Cut inside option 53: no type, no panic.
	if _, typ := dhcpFacts(b[:242]); typ != 0 {
		t.Errorf("type from a cut option: %d", typ)
	}
}

func TestAttributeRecovery(t *testing.T) {
	t.Parallel()
	// The station loses block 2; the server sends it again 0.2 s later,
	// when its timer runs out: that wait is recovery, not the station's.
	pkts := seq(append(dhcpAt(1),
		at{1.1, rrq(9, "initrd")},
		at{1.101, data(9, 1, 512)},
		at{1.102, ack(9, 1)},
		at{1.103, data(9, 2, 512)},
		at{1.303, data(9, 2, 512)},
		at{1.304, ack(9, 2)},
		at{1.305, data(9, 3, 10)},
		at{1.306, ack(9, 3)},
	)...)
	bd, err := Attribute(pkts, 100, 102)
	if err != nil {
		t.Fatal(err)
	}
	if !near(bd.Sum[Recovery], 0.2) {
		t.Errorf("recovery = %.4f, want 0.2", bd.Sum[Recovery])
	}
	if !near(bd.Server(), 0.001+0.001+0.001+0.001+0.2+0.001) {
		t.Errorf("server = %.4f", bd.Server())
	}
}

func TestAttributeResendsToABusyStation(t *testing.T) {
	t.Parallel()
	// The station has the last block and starts its kernel without
	// acknowledging it; the server's resends meanwhile are the station's
	// time, not recovery.
	pkts := seq(append(dhcpAt(1),
		at{1.1, rrq(9, "initrd")},
		at{1.101, data(9, 1, 512)},
		at{1.102, ack(9, 1)},
		at{1.103, data(9, 2, 10)},
		at{1.303, data(9, 2, 10)},
		at{1.703, data(9, 2, 10)},
	)...)
	bd, err := Attribute(pkts, 100, 102)
	if err != nil {
		t.Fatal(err)
	}
	if bd.Sum[Recovery] != 0 {
		t.Errorf("recovery = %.4f, want 0", bd.Sum[Recovery])
	}
	if !near(bd.Sum[StartUp], 0.6+0.297+0.097) {
		t.Errorf("start-up = %.4f, want 0.994", bd.Sum[StartUp])
	}
}
