package dhcp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
)

// TestSANRootPath: a machine booting a SAN profile gets its target as the
// root path (option 17, RFC 2132 §3.19) in OFFER and ACK, rendered for it;
// a machine booting another profile gets none; a host's own option 17
// wins; and a machine whose facts make no valid target (no host name)
// gets none rather than a half-named one.
func TestSANRootPath(t *testing.T) {
	t.Parallel()
	own := "iscsi:192.168.1.30::::iqn.2026-12.lan.test:own"
	f := newFixture(t, func(c *config.Config) {
		c.Profiles = append(c.Profiles, config.Profile{Name: "san",
			SAN: &config.SAN{Target: "iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}}"}})
		c.Boot.Profile = "san"
		c.Hosts[1].Boot = &config.Boot{Profile: "debian-installer"}
		c.Hosts[2].Options = []config.Option{{Code: 17, String: &own}}
	})
	for _, tc := range []struct {
		name string
		req  *dhcpv4.DHCPv4
		want map[uint8]string
	}{
		{"station-01 OFFER", msg(t, dhcpv4.MessageTypeDiscover, station01, pxeBIOS()),
			map[uint8]string{17: "iscsi:192.168.1.21:::1:iqn.2026-12.lan.test:station-01"}},
		{"station-01 ACK", msg(t, dhcpv4.MessageTypeRequest, station01, pxeBIOS(), requested("192.168.1.101"), serverID("192.168.1.21")),
			map[uint8]string{17: "iscsi:192.168.1.21:::1:iqn.2026-12.lan.test:station-01"}},
		{"station-02 boots the installer", msg(t, dhcpv4.MessageTypeDiscover, station02, pxeBIOS()), map[uint8]string{}},
		{"station-03's own option 17", msg(t, dhcpv4.MessageTypeDiscover, mustMAC("00:18:e7:42:7a:3e"), pxeBIOS()),
			map[uint8]string{17: own}},
		{"a stranger has no host name", msg(t, dhcpv4.MessageTypeDiscover, stranger, pxeBIOS()), map[uint8]string{}},
	} {
		d := f.do(tc.req)
		if d.Reply == nil {
			t.Fatalf("%s: no reply (%s)", tc.name, d.Reason)
		}
		if diff := cmp.Diff(tc.want, summarize(d, tc.req, 17).Options); diff != "" {
			t.Errorf("%s: option 17 (-want +got):\n%s", tc.name, diff)
		}
	}
}
