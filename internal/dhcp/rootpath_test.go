package dhcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
)

// TestRootPath: every machine booting a profile with root_path gets it
// rendered for itself as option 17 (RFC 2132 §3.19), in the OFFER and the
// ACK, whether the request comes from PXE firmware or from the booted
// kernel's own DHCP client (no PXE options: the initramfs asks for the
// root path too); a host's own option 17 wins; a profile without
// root_path sends none.
func TestRootPath(t *testing.T) {
	t.Parallel()
	own := "10.0.0.1:/srv/own"
	f := newFixture(t, func(c *config.Config) {
		c.Profiles = append(c.Profiles, config.Profile{
			Name: "diskless", Kernel: "diskless/vmlinuz",
			RootPath: "{{.Server}}:/srv/diskless/{{.Hostname}}",
		})
		c.Boot.Profile = "diskless"
		c.Hosts[2].Options = []config.Option{{Code: 17, String: &own}}
		c.Hosts[1].Boot = &config.Boot{Profile: "debian-installer"}
	})
	s := func(mt dhcpv4.MessageType, st []byte, mods ...dhcpv4.Modifier) string {
		t.Helper()
		req := msg(t, mt, st, mods...)
		return summarize(f.do(req), req, 17).Options[17]
	}
	station03 := mustMAC("00:18:e7:42:7a:3e")
	got := map[string]string{
		"station-01 PXE offer":   s(dhcpv4.MessageTypeDiscover, station01, pxeBIOS()),
		"station-01 kernel ack":  s(dhcpv4.MessageTypeRequest, station01, requested("192.168.1.101"), serverID("192.168.1.21")),
		"station-02 installer":   s(dhcpv4.MessageTypeDiscover, station02),
		"station-03 host option": s(dhcpv4.MessageTypeDiscover, station03),
		"stranger":               s(dhcpv4.MessageTypeDiscover, stranger),
	}
	want := map[string]string{
		"station-01 PXE offer":   "192.168.1.21:/srv/diskless/station-01",
		"station-01 kernel ack":  "192.168.1.21:/srv/diskless/station-01",
		"station-02 installer":   "",
		"station-03 host option": own,
		"stranger":               "192.168.1.21:/srv/diskless/",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("option 17 (-want +got):\n%s", diff)
	}
}
