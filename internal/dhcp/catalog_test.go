package dhcp

import (
	"context"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
)

// A host made through the catalog (the API) is served from the next
// DISCOVER on, by the same Responder: no restart, no recompilation.
func TestCatalogChangeAppliesAtNextDiscover(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := lab(t)
	off := false
	base.TFTP.Enabled = &off // boot files live elsewhere: not checked
	cat, err := catalog.Open(context.Background(), base, st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.r.Catalog = cat.Snapshot

	disc := msg(t, dhcpv4.MessageTypeDiscover, stranger, pxeBIOS())
	if got := summarize(f.do(disc), disc, 12, 17); got.YIAddr == "192.168.1.120" || got.Options[12] != "" {
		t.Fatalf("before the change: %+v", got)
	}
	root := "iscsi:192.168.1.21::::iqn.2026-01.lan:lab"
	err = cat.PutHost(context.Background(), config.Host{
		Name: "lab-1", MACs: []string{"02:00:00:00:00:01"}, IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.120")},
		Boot:    &config.Boot{File: "lab.0"},
		Options: []config.Option{{Code: 17, String: &root}},
	})
	if err != nil {
		t.Fatal(err)
	}
	disc = msg(t, dhcpv4.MessageTypeDiscover, stranger, pxeBIOS())
	got := summarize(f.do(disc), disc, 12, 17)
	if got.YIAddr != "192.168.1.120" || got.File != "lab.0" || got.Options[12] != "lab-1" || got.Options[17] != root {
		t.Errorf("after the change: %+v, want 192.168.1.120, lab.0, host name lab-1, root path", got)
	}
	if !f.r.Known(stranger) {
		t.Error("Known does not see a host by its macs list")
	}
}

// A host matched by its option 97 UUID gets its reservation and options.
func TestHostByUUID(t *testing.T) {
	t.Parallel()
	root := "nfs:192.168.1.21:/srv/root"
	f := newFixture(t, func(c *config.Config) {
		c.Hosts = append(c.Hosts, config.Host{Name: "by-uuid", UUID: "8a1b7c2e-0000-4000-8000-00000000002a",
			IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.130")}, Options: []config.Option{{Code: 17, String: &root}}})
	})
	uuid := append([]byte{0}, 0x8a, 0x1b, 0x7c, 0x2e, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x2a)
	disc := msg(t, dhcpv4.MessageTypeDiscover, stranger2, pxeBIOS(),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.GenericOptionCode(97), uuid)))
	got := summarize(f.do(disc), disc, 12, 17)
	if got.YIAddr != "192.168.1.130" || got.Options[12] != "by-uuid" || got.Options[17] != root {
		t.Errorf("DISCOVER with the host's UUID: %+v", got)
	}
}
