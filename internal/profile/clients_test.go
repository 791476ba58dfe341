package profile

import (
	"net"
	"testing"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
)

// A machine whose requests say nothing of it costs no memory, and a plain
// request after a PXE one leaves the machine read as one that said nothing.
func TestClientsKeepOnlyWhatWasSaid(t *testing.T) {
	var c clients
	plain := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	pxeMAC := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	c.record(events.Event{MAC: plain, Proto: "dhcp", Kind: events.DHCPDiscover})
	said := pxe.Client{PXE: true, HasArch: true, Arch: 7, VendorClass: "PXEClient:Arch:00007"}
	c.record(events.Event{MAC: pxeMAC, Proto: "dhcp", Kind: events.DHCPDiscover, Client: said})
	if len(c.seen) != 1 {
		t.Fatalf("%d machines kept, want 1 (the PXE one)", len(c.seen))
	}
	if got, ok := c.client(pxeMAC); !ok || got.Arch != 7 || !got.PXE {
		t.Fatalf("client(pxe) = %+v, %v; want what its request said", got, ok)
	}
	if _, ok := c.client(plain); ok {
		t.Fatal("a machine that said nothing is kept")
	}
	c.record(events.Event{MAC: pxeMAC, Proto: "dhcp", Kind: events.DHCPRequest})
	if got, ok := c.client(pxeMAC); ok || got.HasArch {
		t.Fatalf("after a plain request: client = %+v, %v; want the zero Client, unknown", got, ok)
	}
}
