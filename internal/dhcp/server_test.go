package dhcp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
)

// loopYAML serves the loopback network, where the test's client lives.
const loopYAML = `dhcp:
  subnets:
    - network: 127.0.0.0/8
      pools: [127.0.0.100-127.0.0.200]
boot:
  file: pxelinux.0
`

// heldStore is an in-memory store whose Commit, once entered, waits for
// release: a lease whose disk sync is slow.
type heldStore struct {
	*lease.Mem
	entered chan struct{}
	release chan struct{}
}

func (s *heldStore) Commit(ctx context.Context, l lease.Lease) error {
	s.entered <- struct{}{}
	<-s.release
	return s.Mem.Commit(ctx, l)
}

// freePort returns a UDP port nothing on 127.0.0.1 uses at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestServeStopsWhenContextEnds serves on the loopback interface: a
// ProxyDHCP request is answered by workers that wait without a read
// deadline; when ctx ends, Serve still waits for the lease being committed
// (the commit comes before the reply, and a stop must not cut it off),
// then returns nil and closes its sockets.
func TestServeStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("loop.yaml", []byte(loopYAML))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now
	store := &heldStore{Mem: lease.NewMem(now), entered: make(chan struct{}, 1), release: make(chan struct{})}
	alloc, err := lease.NewAllocator(context.Background(), store, now, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewResponder(cfg, alloc, now)
	if err != nil {
		t.Fatal(err)
	}
	port, bootPort := freePort(t), freePort(t)
	srv := &Server{Responder: r, Alloc: alloc, Workers: 4, Port: port, BootPort: bootPort}
	if err := srv.Listen([]string{"lo"}); err != nil {
		t.Skipf("cannot serve on the loopback interface here: %v", err)
	}
	links := srv.links
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, nil) }()

	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	send := func(port int, m *dhcpv4.DHCPv4) {
		t.Helper()
		if _, err := client.WriteToUDPAddrPort(m.ToBytes(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))); err != nil {
			t.Fatal(err)
		}
	}

	// A ProxyDHCP request on the boot port is answered where it came from.
	send(bootPort, msg(t, dhcpv4.MessageTypeRequest, stranger, pxeBIOS(), dhcpv4.WithClientIP(net.IPv4(127, 0, 0, 60))))
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, err := client.Read(buf)
	if err != nil {
		t.Fatalf("no ProxyDHCP answer: %v", err)
	}
	if ack, err := dhcpv4.FromBytes(buf[:n]); err != nil || ack.MessageType() != dhcpv4.MessageTypeAck || ack.BootFileName != "pxelinux.0" {
		t.Fatalf("ProxyDHCP answer %v (%v), want an ACK with pxelinux.0", ack, err)
	}

	// A REQUEST whose lease is being committed when ctx ends.
	send(port, msg(t, dhcpv4.MessageTypeRequest, stranger2, requested("127.0.0.150")))
	select {
	case <-store.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the REQUEST's lease was never committed")
	}
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a lease was being committed", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(store.release)
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v, want nil after ctx ended", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	if _, ok, _ := store.Get(context.Background(), netip.MustParseAddr("127.0.0.150")); !ok {
		t.Error("the lease committed during the stop is not in the store")
	}
	for _, l := range links {
		if _, err := l.conn.WriteToUDPAddrPort([]byte{0}, client.LocalAddr().(*net.UDPAddr).AddrPort()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("socket of %s still open after Serve returned (%v)", l.name, err)
		}
	}
}
