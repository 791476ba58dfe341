package tftp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func testTID(in inbound) *clientTID {
	return &clientTID{addr: in.src, log: slog.New(slog.DiscardHandler), heard: new(atomic.Bool)}
}

// TestBlockingLink checks the blocking transfer socket on its own: a packet
// from the client is read, its deadline is kept (within the 1/32 it allows),
// and ending ctx wakes a read long before its deadline.
func TestBlockingLink(t *testing.T) {
	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	in := inbound{src: client.LocalAddr().(*net.UDPAddr).AddrPort(), dst: netip.MustParseAddr("127.0.0.1")}
	released := false
	lk, err := openBlockingLink(ctx, in, testTID(in), func() { released = true })
	if err != nil || lk == nil {
		t.Fatalf("openBlockingLink: %v, %v", lk, err)
	}
	bl := lk.(*blockingLink)

	// The client learns the transfer's port from its first packet.
	if err := lk.send([]byte{0, 3, 0, 1, 'x'}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, port, err := client.ReadFromUDPAddrPort(buf)
	if err != nil || n != 5 {
		t.Fatalf("client read %d bytes, %v", n, err)
	}
	if _, err := client.WriteToUDPAddrPort([]byte{0, 4, 0, 1}, port); err != nil {
		t.Fatal(err)
	}
	b, err := lk.recv(ctx, time.Now().Add(5*time.Second))
	if err != nil || string(b) != "\x00\x04\x00\x01" {
		t.Fatalf("recv = %q, %v; want ACK 1", b, err)
	}

	start := time.Now()
	_, err = lk.recv(ctx, start.Add(200*time.Millisecond))
	if el := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || el < 190*time.Millisecond || el > 2*time.Second {
		t.Errorf("recv with nothing to read: %v after %v; want the deadline after 200ms", err, el)
	}

	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	_, err = lk.recv(ctx, start.Add(time.Minute))
	if el := time.Since(start); err == nil || el > 5*time.Second {
		t.Errorf("recv after ctx ended: %v after %v; want an error soon after 100ms", err, el)
	}
	lk.close()
	if !released || !bl.closed {
		t.Error("close did not release the link's slot or close its socket")
	}
}

// TestBlockingLinkLetsGCRun: a transfer waiting for an ACK that never comes
// must not hold up a garbage collection (which stops every goroutine): the
// first part of each wait is a raw system call the runtime cannot preempt,
// and only its bound and the signal that interrupts it let the collector
// in.
func TestBlockingLinkLetsGCRun(t *testing.T) {
	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	in := inbound{src: client.LocalAddr().(*net.UDPAddr).AddrPort(), dst: netip.MustParseAddr("127.0.0.1")}
	lk, err := openBlockingLink(t.Context(), in, testTID(in), func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer lk.close()
	var finished atomic.Bool
	errc := make(chan error, 1)
	go func() {
		defer finished.Store(true)
		for range 4 { // waits of 300 ms, each starting with the raw one
			if _, err := lk.recv(t.Context(), time.Now().Add(300*time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
				errc <- err
				return
			}
		}
	}()
	var worst time.Duration
	n := 0
	for ; !finished.Load(); n++ {
		start := time.Now()
		runtime.GC()
		worst = max(worst, time.Since(start))
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-errc:
		t.Fatalf("recv: %v", err)
	default:
	}
	// A collection of this small heap takes about a millisecond; one that
	// waited for the transfer would take up to its 300 ms wait.
	if worst > 100*time.Millisecond {
		t.Errorf("a garbage collection took %v while a transfer waited", worst)
	}
	t.Logf("slowest of %d collections while a transfer waited: %v", n, worst)
}
