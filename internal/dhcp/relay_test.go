package dhcp

import (
	"net"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/pxed/pxed/internal/config"
)

// relayInfo is an option 82 with circuit ID "et1" (RFC 3046 §3.1).
var relayInfo = dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, []byte{1, 3, 'e', 't', '1'}))

func relayedBy(ip string) dhcpv4.Modifier { return dhcpv4.WithGatewayIP(net.ParseIP(ip)) }

// TestRelayTrust: with dhcp.trusted_relays set, only the listed relays are
// served, and their option 82 is echoed in every reply, NAK included (RFC
// 3046 §2.2); option 82 in a request no relay handled (giaddr 0) is never
// echoed (RFC 3046 §2.1), whatever the setting.
func TestRelayTrust(t *testing.T) {
	t.Parallel()
	trusting := func(relays ...string) func(*config.Config) {
		return func(c *config.Config) {
			for _, r := range relays {
				c.DHCP.TrustedRelays = append(c.DHCP.TrustedRelays, config.Addr{Addr: netip.MustParseAddr(r)})
			}
		}
	}
	wrongAddr := dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.0.0.5")))
	for _, c := range []struct {
		name    string
		edit    func(*config.Config)
		mt      dhcpv4.MessageType
		mods    []dhcpv4.Modifier
		want    string // reply type, or "" for none
		echo82  bool
		reasonc string // the reason when there is no reply
	}{
		{"any relay by default", nil, dhcpv4.MessageTypeDiscover, []dhcpv4.Modifier{relayedBy("192.168.1.2"), relayInfo}, "OFFER", true, ""},
		{"listed relay", trusting("192.168.1.1"), dhcpv4.MessageTypeDiscover, []dhcpv4.Modifier{relayedBy("192.168.1.1"), relayInfo}, "OFFER", true, ""},
		{"listed relay, NAK", trusting("192.168.1.1"), dhcpv4.MessageTypeRequest, []dhcpv4.Modifier{relayedBy("192.168.1.1"), relayInfo, wrongAddr}, "NAK", true, ""},
		{"unlisted relay", trusting("192.168.1.1"), dhcpv4.MessageTypeDiscover, []dhcpv4.Modifier{relayedBy("192.168.1.2"), relayInfo}, "", false, "relay 192.168.1.2 is not in dhcp.trusted_relays"},
		{"unlisted relay without option 82", trusting("192.168.1.1"), dhcpv4.MessageTypeDiscover, []dhcpv4.Modifier{relayedBy("192.168.1.2")}, "", false, "relay 192.168.1.2 is not in dhcp.trusted_relays"},
		{"giaddr 0 with option 82", nil, dhcpv4.MessageTypeDiscover, []dhcpv4.Modifier{relayInfo}, "OFFER", false, ""},
		{"giaddr 0 with option 82, relays listed", trusting("192.168.1.1"), dhcpv4.MessageTypeDiscover, []dhcpv4.Modifier{relayInfo}, "OFFER", false, ""},
		{"giaddr 0 with option 82, NAK", nil, dhcpv4.MessageTypeRequest, []dhcpv4.Modifier{relayInfo, wrongAddr}, "NAK", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, c.edit)
			req := msg(t, c.mt, stranger, c.mods...)
			d := f.do(req)
			got := summarize(d, req, 82)
			if got.Type != c.want {
				t.Fatalf("reply %q (reason %q), want %q", got.Type, d.Reason, c.want)
			}
			if c.want == "" {
				if d.Reason != c.reasonc {
					t.Errorf("reason %q, want %q", d.Reason, c.reasonc)
				}
				return
			}
			if echoed := d.Reply.Options.Has(dhcpv4.OptionRelayAgentInformation); echoed != c.echo82 {
				t.Errorf("option 82 echoed: %v, want %v", echoed, c.echo82)
			}
			if c.echo82 && got.Options[82] != "\x01\x03et1" {
				t.Errorf("option 82 echoed as %q, want the relay's bytes verbatim", got.Options[82])
			}
			if c.echo82 {
				// RFC 3046 §2.2: SHOULD be the last option (End follows).
				b := d.Reply.Options.ToBytes()
				if len(b) < 7 || b[len(b)-7] != 82 {
					t.Errorf("option 82 is not the last option: % x", b)
				}
			}
		})
	}
}
