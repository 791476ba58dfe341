package events

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// A BOOTP client's boot reads like a DHCP one: its request starts the
// boot, its BOOTREPLY gives it the address whose files are then its, and
// a refused request marks the machine refused with the reason.
func TestBOOTPTimeline(t *testing.T) {
	t.Parallel()
	g := NewLog(Limits{})
	mac, _ := net.ParseMAC("00:18:e7:42:84:3a")
	ip := netip.MustParseAddr("192.168.1.101")
	t0 := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	g.Record(Event{Time: t0, MAC: mac, Kind: BOOTPRequest, Proto: "bootp"})
	g.Record(Event{Time: t0.Add(time.Millisecond), MAC: mac, Kind: BOOTPReply, Proto: "bootp", IP: ip, File: "pxelinux.0"})
	g.Record(Event{Time: t0.Add(time.Second), IP: ip, Kind: FileServed, Proto: "tftp", File: "pxelinux.0", Bytes: 42})
	s, ok := g.Summary(mac.String())
	if !ok || s.IP != ip || s.State != "loading pxelinux.0" {
		t.Fatalf("summary %+v, want the file fetched by %s filed under the machine", s, ip)
	}
	boots := g.Boots(mac.String(), 5)
	if len(boots) != 1 || len(boots[0].Steps) != 3 || boots[0].Steps[0].Kind != BOOTPRequest {
		t.Fatalf("boots %+v, want one boot of three steps from the BOOTREQUEST", boots)
	}

	other, _ := net.ParseMAC("02:00:00:00:00:01")
	g.Record(Event{Time: t0, MAC: other, Kind: BOOTPRequest, Proto: "bootp"})
	g.Record(Event{Time: t0, MAC: other, Kind: BOOTPRefused, Proto: "bootp", Detail: "no fixed address"})
	s, _ = g.Summary(other.String())
	if s.State != "refused" || s.Failure != "no fixed address" {
		t.Errorf("refused machine: state %q failure %q", s.State, s.Failure)
	}
	st := StepOf(Event{Kind: BOOTPRefused, Detail: "no fixed address"})
	if st.Status != StatusFail || st.Reason != "no fixed address" {
		t.Errorf("refused step %+v", st)
	}
}
