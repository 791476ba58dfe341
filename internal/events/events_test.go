package events

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	t0  = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	mac = net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	ip  = netip.MustParseAddr("192.168.1.101")
)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// A boot as the lab's SeaBIOS + iPXE + PXELINUX station makes it.
func labBoot(g *Log, offset float64) {
	rec := func(s float64, e Event) { e.Time = at(offset + s); g.Record(e) }
	rec(0, Event{MAC: mac, Kind: DHCPDiscover})
	rec(0, Event{MAC: mac, Kind: DHCPOffer, IP: ip})
	rec(1, Event{MAC: mac, Kind: DHCPDiscover}) // the ROM resends while it waits
	rec(1, Event{MAC: mac, Kind: DHCPOffer, IP: ip})
	rec(3, Event{MAC: mac, Kind: DHCPRequest, IP: ip})
	rec(3, Event{MAC: mac, Kind: DHCPAck, IP: ip})
	// File events carry only the address: the Log finds the machine.
	rec(16, Event{IP: ip, Kind: FileServed, File: "pxelinux.0", Bytes: 0}) // tsize probe
	rec(16.1, Event{IP: ip, Kind: FileServed, File: "pxelinux.0", Bytes: 42430})
	rec(16.3, Event{IP: ip, Kind: FileServed, File: "ldlinux.c32", Bytes: 120000})
	rec(16.4, Event{IP: ip, Kind: FileFailed, File: "pxelinux.cfg/01-00-18-e7-42-84-3a", Outcome: OutcomeNotFound, Detail: "not found"})
	rec(16.5, Event{IP: ip, Kind: FileServed, File: "pxelinux.cfg/default", Bytes: 200})
	rec(18, Event{IP: ip, Kind: FileServed, File: "debian-installer/amd64/linux", Bytes: 8 << 20})
	rec(25, Event{IP: ip, Kind: FileServed, File: "debian-installer/amd64/initrd.gz", Bytes: 40 << 20})
}

// TestDualStackMachine: a machine acknowledged on IPv4 and on IPv6 is one
// machine, whichever family it fetches over, and an address written with
// a zone or IPv4-mapped (as a socket may report it) is the same address.
func TestDualStackMachine(t *testing.T) {
	t.Parallel()
	g := NewLog(DefaultLimits)
	ip6 := netip.MustParseAddr("2001:db8:1::101")
	g.Record(Event{MAC: mac, Kind: DHCPAck, IP: ip})
	g.Record(Event{MAC: mac, Kind: DHCPAck, IP: ip6})
	for _, a := range []netip.Addr{ip, ip6, netip.MustParseAddr("::ffff:192.168.1.101"), ip6.WithZone("br0")} {
		g.Record(Event{IP: a, Kind: FileServed, File: "f"})
	}
	if diff := cmp.Diff([]string{mac.String()}, g.Machines()); diff != "" {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
	if n := len(g.Events(mac.String())); n != 6 {
		t.Errorf("%d events for the machine, want 6", n)
	}
	if s, _ := g.Summary(mac.String()); s.IPs != [2]netip.Addr{ip, ip6} {
		t.Errorf("summary addresses %v, want %v and %v", s.IPs, ip, ip6)
	}
	// A new IPv6 lease replaces the IPv6 one only.
	g.Record(Event{MAC: mac, Kind: DHCPAck, IP: netip.MustParseAddr("2001:db8:1::1000")})
	g.Record(Event{IP: ip, Kind: FileServed, File: "f"})
	g.Record(Event{IP: ip6, Kind: FileServed, File: "f"})
	if diff := cmp.Diff([]string{"ip:2001:db8:1::101", mac.String()}, g.Machines()); diff != "" {
		t.Errorf("machines after a new IPv6 lease (-want +got):\n%s", diff)
	}
	if s, _ := g.Summary(mac.String()); s.IPs != [2]netip.Addr{ip, netip.MustParseAddr("2001:db8:1::1000")} {
		t.Errorf("summary addresses after a new IPv6 lease %v", s.IPs)
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	g := NewLog(DefaultLimits)
	var got []Boot
	g.OnBoot = func(m string, b Boot) {
		if m != mac.String() {
			t.Errorf("boot reported for %q", m)
		}
		got = append(got, b)
	}
	labBoot(g, 0)
	labBoot(g, 100) // the second boot is timed from its own DISCOVER
	want := Boot{
		DHCP: 3 * time.Second, BootFile: 16100 * time.Millisecond, Config: 16500 * time.Millisecond,
		Kernel: 18 * time.Second, Initrd: 25 * time.Second,
		Failed: []string{"pxelinux.cfg/01-00-18-e7-42-84-3a"},
	}
	if len(got) != 2 {
		t.Fatalf("%d boots reported, want 2", len(got))
	}
	for i, b := range got {
		w := want
		w.Start = at(float64(i) * 100)
		if diff := cmp.Diff(w, b, cmp.Comparer(func(a, b time.Duration) bool {
			d := a - b
			return d < time.Millisecond && d > -time.Millisecond
		})); diff != "" {
			t.Errorf("boot %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestPerMachineLimit(t *testing.T) {
	t.Parallel()
	g := NewLog(Limits{PerMachine: 5, Machines: 10})
	for i := range 12 {
		g.Record(Event{Time: at(float64(i)), MAC: mac, Kind: DHCPDiscover, Detail: fmt.Sprint(i)})
	}
	evs := g.Events(mac.String())
	if len(evs) != 5 || evs[0].Detail != "7" || evs[4].Detail != "11" {
		t.Errorf("kept %d events, first %q last %q; want the last 5 (7..11)", len(evs), evs[0].Detail, evs[len(evs)-1].Detail)
	}
}

func TestMachineLimitForgetsLeastRecent(t *testing.T) {
	t.Parallel()
	g := NewLog(Limits{PerMachine: 4, Machines: 3})
	m := func(i int) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, byte(i)} }
	for i := range 3 {
		g.Record(Event{MAC: m(i), Kind: DHCPAck, IP: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})})
	}
	g.Record(Event{MAC: m(0), Kind: DHCPDiscover}) // 0 is now the most recent
	g.Record(Event{MAC: m(3), Kind: DHCPDiscover}) // evicts 1
	if diff := cmp.Diff([]string{m(3).String(), m(0).String(), m(2).String()}, g.Machines()); diff != "" {
		t.Errorf("machines (-want +got):\n%s", diff)
	}
	// The forgotten machine's address no longer maps to it.
	g.Record(Event{IP: netip.AddrFrom4([4]byte{10, 0, 0, 1}), Kind: FileServed, File: "x"})
	if evs := g.Events(m(1).String()); evs != nil {
		t.Errorf("forgotten machine came back with %v", evs)
	}
}

// TestFloodBounded records a flood of 100,000 distinct MACs, each with a
// DHCP exchange and a failed file, while one live follower reads as fast as
// it can and one reads nothing, and checks that the Log's memory stays
// within its limits: followers that fall behind are dropped, not queued for.
// It measures the heap, so it is not parallel: it runs while no other test does.
func TestFloodBounded(t *testing.T) {
	g := NewLog(DefaultLimits)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stalled, err := g.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	follower, err := g.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	followed := make(chan int)
	go func() {
		n := 0
		for range follower.C {
			n++
		}
		followed <- n
	}()
	for i := range 100_000 {
		m := net.HardwareAddr{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		g.Record(Event{MAC: m, Kind: DHCPDiscover, ClientName: fmt.Sprintf("flood-%d", i)})
		g.Record(Event{MAC: m, Kind: DHCPAck, IP: a})
		g.Record(Event{MAC: m, Kind: DHCPAck, IP: netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})})
		g.Record(Event{IP: a, Kind: FileFailed, File: "pxelinux.cfg/default", Outcome: OutcomeNotFound, Detail: "not found"})
	}
	follower.Close()
	n := <-followed
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := len(g.Machines()); n != DefaultLimits.Machines {
		t.Errorf("%d machines kept, want %d", n, DefaultLimits.Machines)
	}
	if n := len(g.Summaries()); n != DefaultLimits.Machines {
		t.Errorf("%d summaries kept, want %d", n, DefaultLimits.Machines)
	}
	if len(g.byIP) > 2*DefaultLimits.Machines {
		t.Errorf("%d address mappings kept for %d machines, one per family each", len(g.byIP), DefaultLimits.Machines)
	}
	if !stalled.Dropped() || len(g.subs) != 0 {
		t.Errorf("stalled follower dropped %v, %d followers left", stalled.Dropped(), len(g.subs))
	}
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap after 100,000 distinct MACs (300,000 events; the reading follower got %d, dropped %v; the stalled one dropped): +%d KiB for %d machines",
		n, follower.Dropped(), grew/1024, DefaultLimits.Machines)
	if grew > 16<<20 {
		t.Errorf("heap grew %d MiB", grew>>20)
	}
}

// The key a machine is filed under is the MAC as net.HardwareAddr prints it,
// for every length a client may send.
func TestAppendMACMatchesString(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 16; n++ {
		mac := make(net.HardwareAddr, n)
		for i := range mac {
			mac[i] = byte(0xf7 * (i + 1))
		}
		if got, want := string(appendMAC(nil, mac)), mac.String(); got != want {
			t.Errorf("length %d: %q, want %q", n, got, want)
		}
	}
}

// A machine that takes the place of a forgotten one starts with no events
// of its own.
func TestRecycledMachineStartsEmpty(t *testing.T) {
	t.Parallel()
	g := NewLog(Limits{Machines: 1, PerMachine: 4})
	a := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	b := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	for range 6 {
		g.Record(Event{MAC: a, Kind: DHCPDiscover})
	}
	g.Record(Event{MAC: b, Kind: DHCPRequest})
	if ev := g.Events(a.String()); ev != nil {
		t.Fatalf("forgotten machine still has %d events", len(ev))
	}
	ev := g.Events(b.String())
	if len(ev) != 1 || ev[0].Kind != DHCPRequest || ev[0].Machine != b.String() {
		t.Fatalf("new machine's events: %+v", ev)
	}
}

// Initramfs archives are initrds by their names: the installer's, and the
// root image and overlay of a diskless profile.
func TestClassifyInitrds(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]step{
		"debian-installer/amd64/initrd.gz":           stepInitrd,
		"images/diskless-ram/root.cpio.zst":          stepInitrd,
		"/images/diskless-ram/root.cpio.gz":          stepInitrd,
		"images/diskless-ram/00-18-e7-42-84-3a.cpio": stepInitrd,
		"diskless/vmlinuz":                           stepKernel,
		"ipxe/00-18-e7-42-84-3a.ipxe":                stepConfig,
		"images/diskless-ram/notes.cpiofile":         stepOther,
	} {
		if got := classify(file); got != want {
			t.Errorf("classify(%q) = %d, want %d", file, got, want)
		}
	}
}
