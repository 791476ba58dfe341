//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/postgres/pgtest"
)

// attachToLab creates a namespace linked to the lab's bridge br0 by a veth
// pair: ifname inside it, with address addr (CIDR) unless empty. It plays
// one more machine on the lab's LAN.
func attachToLab(t *testing.T, lab *Namespace, role, ifname, addr string) *Namespace {
	t.Helper()
	ns := newNamespace(t, role)
	peer := "v-" + role // ≤ 15 bytes: an interface name's limit
	lab.ip(t, "link", "add", peer, "type", "veth", "peer", "name", ifname, "netns", ns.Name)
	lab.ip(t, "link", "set", peer, "master", "br0")
	lab.ip(t, "link", "set", peer, "up")
	if addr != "" {
		ns.ip(t, "addr", "add", addr, "dev", ifname)
	}
	ns.ip(t, "link", "set", ifname, "up")
	return ns
}

// TestPostgresTwoInstances: two pxed instances, each a server of its own on
// the lab LAN (192.168.1.31 and .32), share one PostgreSQL. Both answer
// while both run; one is killed (SIGKILL, no clean shutdown) mid-run; a
// station that powers on afterwards still boots from the other; DHCP
// clients keep getting addresses; no address is held by two MACs; and the
// surviving instance's `pxed leases` shows every lease, those its peer gave
// included.
func TestPostgresTwoInstances(t *testing.T) {
	requireTools(t, "busybox")
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	lab, taps := newBridgeLab(t, 3)
	root := prepareTFTPRoot(t)
	// Each instance is its own next-server (the address it answers from),
	// so that the survivor's stations fetch their files from it.
	edit := func(y string) string {
		y = replaceOnce(y, "  next_server: 192.168.1.21\n", "")
		return replaceOnce(y, "router_advertisement: [br0]", "router_advertisement: [eth0]")
	}
	var pxs []*Pxed
	for i, addr := range []string{"192.168.1.31/24", "192.168.1.32/24"} {
		ns := attachToLab(t, lab, fmt.Sprintf("px%d", i), "eth0", addr)
		pxs = append(pxs, startPxed(t, ns, pxedOptions{Interface: "eth0", TFTPRoot: root, Edit: edit, Postgres: dsn}))
	}
	a, b := pxs[0], pxs[1]
	cli := attachToLab(t, lab, "cli", "cli0", "")

	held := map[string]netip.Addr{} // MAC → address its client reported
	servedBy := map[string]int{}    // server identifier → clients it bound
	client := func(mac string) udhcpcResult {
		t.Helper()
		setMAC(t, cli, "cli0", mac)
		l, err := udhcpcLease(t, cli, "cli0")
		if err != nil {
			t.Fatalf("client %s: %v", mac, err)
		}
		if !inPool(l.IP) {
			t.Fatalf("client %s got %s, outside the pool", mac, l.IP)
		}
		held[mac] = l.IP
		servedBy[l.ServerID]++
		return l
	}

	// Both running: station-01 boots, and DHCP clients come until each
	// instance has bound at least one of them (the client takes the first
	// offer, so which instance wins is up to timing).
	g1 := bootStation(t, lab, taps[0], station01)
	var firstOfA string
	for i := 0; i < 20 && (firstOfA == "" || servedBy["192.168.1.32"] == 0); i++ {
		mac := randomMAC()
		if l := client(mac); l.ServerID == "192.168.1.31" && firstOfA == "" {
			firstOfA = mac
		}
	}
	if firstOfA == "" || servedBy["192.168.1.32"] == 0 {
		t.Fatalf("after %d clients, bound by server: %v; want both instances serving", len(held), servedBy)
	}
	reachKernel(t, g1, "two instances on PostgreSQL", nil)
	t.Logf("before the kill: %d clients, bound by server: %v", len(held), servedBy)

	// Instance a dies as a crash would have it.
	if inTime, _ := a.p.stop(syscall.SIGKILL, 10*time.Second); !inTime {
		t.Fatal("instance a did not die of SIGKILL")
	}
	t.Log("instance a killed")

	// After the kill: two stations power on, and more clients come.
	g2 := bootStation(t, lab, taps[1], station02)
	g3 := bootStation(t, lab, taps[2], station03)
	// A client that instance a had bound comes back: b, which never
	// answered it, knows its lease from the database and offers the same
	// address.
	was := held[firstOfA]
	if got := client(firstOfA); got.IP != was || got.ServerID != "192.168.1.32" {
		t.Errorf("client %s of the killed instance got %s from %s, want its %s from the survivor 192.168.1.32", firstOfA, got.IP, got.ServerID, was)
	}
	for range 4 {
		if l := client(randomMAC()); l.ServerID != "192.168.1.32" {
			t.Errorf("a client was bound by %s after the kill, want the survivor 192.168.1.32", l.ServerID)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline+2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, g := range []*Guest{g2, g3} {
		wg.Go(func() {
			took, err := g.waitKernel(ctx)
			if err != nil {
				t.Errorf("after the kill: %v", err)
				return
			}
			t.Logf("%s after the kill: power-on to %q in %v", g.Name, kernelStarted, took)
			g.powerOff()
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	leases := b.leases(t)
	for _, st := range []Station{station01, station02, station03} {
		expectLease(t, leases, st.MAC, st.IP)
	}
	for mac, ip := range held {
		expectLease(t, leases, mac, ip)
	}
	holder := map[netip.Addr]string{}
	for _, l := range leases {
		if l.State != "bound" {
			continue
		}
		if h, ok := holder[l.IP]; ok {
			t.Errorf("%s is held by %s and %s", l.IP, h, l.MAC)
		}
		holder[l.IP] = l.MAC
	}
	t.Logf("survivor's pxed leases: %d leases, clients bound by server: %v\n%s", len(leases), servedBy, formatLeases(leases))
}
