package inflight

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var addrs = cmpopts.EquateComparable(netip.AddrPort{})

func TestRegistry(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	now := t0
	r := &Registry{Max: 2, Now: func() time.Time { return now }}
	a := netip.MustParseAddrPort("192.168.1.101:2070")
	b := netip.MustParseAddrPort("192.168.1.102:49152")

	sentA, endA := r.Begin("tftp", "pxelinux.0", a, 42430)
	now = now.Add(time.Second)
	sentB, endB := r.Begin("http", "debian-installer/amd64/initrd.gz", b, 40810276)
	sentA(16384)
	sentB(1 << 20)
	want := []Transfer{
		{ID: 1, Proto: "tftp", File: "pxelinux.0", Client: a, Size: 42430, Sent: 16384, Started: t0},
		{ID: 2, Proto: "http", File: "debian-installer/amd64/initrd.gz", Client: b, Size: 40810276, Sent: 1 << 20, Started: t0.Add(time.Second)},
	}
	if d := cmp.Diff(want, r.List(), addrs); d != "" {
		t.Errorf("two running (-want +got):\n%s", d)
	}

	// A third while two run: bounded, so untracked and counted.
	sentC, endC := r.Begin("tftp", "linux", a, 8222656)
	sentC(100)
	endC()
	if n := len(r.List()); n != 2 {
		t.Errorf("%d tracked beyond Max 2", n)
	}
	if got := r.Untracked(); got != 1 {
		t.Errorf("Untracked() = %d, want 1", got)
	}

	endA()
	endA() // twice is harmless
	if d := cmp.Diff(want[1:], r.List(), addrs); d != "" {
		t.Errorf("after the first ended (-want +got):\n%s", d)
	}
	endB()
	if got := r.List(); len(got) != 0 {
		t.Errorf("after both ended: %v", got)
	}
	// Its slot is free again.
	_, endD := r.Begin("tftp", "linux", a, 1)
	defer endD()
	if got := r.List(); len(got) != 1 || got[0].ID != 3 {
		t.Errorf("a new transfer after the others ended: %+v, want one with ID 3 (the untracked one took none)", got)
	}
}

// TestRegistryConcurrent runs transfers from many goroutines while the
// list is read, for the race detector.
func TestRegistryConcurrent(t *testing.T) {
	var r Registry
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			sent, end := r.Begin("tftp", "f", netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 69), 1000)
			for n := range int64(100) {
				sent(n * 10)
				r.List()
			}
			end()
		})
	}
	wg.Wait()
	if got := r.List(); len(got) != 0 {
		t.Errorf("%d transfers left after all ended", len(got))
	}
}
