//go:build e2e

package e2e

import (
	"net/netip"
	"testing"
)

// The dynamic pool of examples/seed.yaml.
var (
	poolFirst = netip.MustParseAddr("192.168.1.150")
	poolLast  = netip.MustParseAddr("192.168.1.199")
)

func inPool(a netip.Addr) bool {
	return poolFirst.Compare(a) <= 0 && a.Compare(poolLast) <= 0
}

// TestDHCPClients checks pxed against the DHCP clients of Linux distributions
// over a veth pair: a known MAC gets its reserved address, an unknown MAC an
// address from the pool, and a machine that comes back gets the same pool
// address again. What counts is what the clients report, not pxed's log.
func TestDHCPClients(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "busybox", "dhclient")
	px := startPxed(t, server, pxedOptions{Interface: "srv0"})

	type holding struct {
		mac string
		ip  netip.Addr
	}
	var held []holding
	for _, c := range []struct {
		name     string
		get      dhcpClient
		reserved Station
	}{
		{"udhcpc", udhcpc, station02},
		{"dhclient", dhclient, station03},
	} {
		t.Run(c.name+"/reserved", func(t *testing.T) {
			setMAC(t, client, "cli0", c.reserved.MAC)
			got, err := c.get(t, client, "cli0")
			if err != nil {
				t.Fatal(err)
			}
			if got != c.reserved.IP {
				t.Fatalf("%s as %s (%s) got %s, want its reserved %s", c.name, c.reserved.Name, c.reserved.MAC, got, c.reserved.IP)
			}
			held = append(held, holding{c.reserved.MAC, got})
		})

		mac := randomMAC()
		var first netip.Addr
		t.Run(c.name+"/pool", func(t *testing.T) {
			setMAC(t, client, "cli0", mac)
			got, err := c.get(t, client, "cli0")
			if err != nil {
				t.Fatal(err)
			}
			if !inPool(got) {
				t.Fatalf("%s with unknown MAC %s got %s, want an address in %s-%s", c.name, mac, got, poolFirst, poolLast)
			}
			first = got
			held = append(held, holding{mac, got})
		})

		t.Run(c.name+"/returning", func(t *testing.T) {
			if !first.IsValid() {
				t.Skip("no pool address to come back to")
			}
			// A new client run with a fresh lease file: the client asks
			// afresh (DHCPDISCOVER), so only the server remembers it.
			setMAC(t, client, "cli0", mac)
			got, err := c.get(t, client, "cli0")
			if err != nil {
				t.Fatal(err)
			}
			if got != first {
				t.Fatalf("%s with MAC %s came back and got %s, want its earlier %s", c.name, mac, got, first)
			}
		})
	}

	if t.Failed() {
		return
	}
	leases := px.leases(t)
	for _, h := range held {
		expectLease(t, leases, h.mac, h.ip)
	}
}
