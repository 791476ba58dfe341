//go:build e2e

package e2e

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// TestDHCPMalformed sends pxed hostile DHCP packets over a real socket: after
// each, pxed is still running, and at the end a real client still gets its
// reserved address. Each packet is dropped with a reason in the log or
// answered correctly; none crashes the server.
func TestDHCPMalformed(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "busybox", "socat")
	px := startPxed(t, server, pxedOptions{Interface: "srv0"})
	// The sender needs an address to send from; the packets say what they say.
	client.ip(t, "addr", "add", "192.168.1.50/24", "dev", "cli0")

	for _, c := range []struct {
		name string
		pkt  []byte
	}{
		{"truncated", discover()[:60]},
		{"hlen 20", with(discover(), func(b []byte) { b[2] = 20 })},
		{"option length past the end", append(discover()[:240], 53, 1, 1, 12, 200, 'a')},
		{"zero-length and 255-byte options", options(discover(), []byte{12, 0}, append([]byte{43, 255}, bytes.Repeat([]byte{'x'}, 255)...))},
		{"option 52 overload", options(discover(), []byte{52, 1, 3})},
		{"option 57 below 576", options(discover(), []byte{57, 2, 0, 100})},
		{"empty client identifier", options(discover(), []byte{61, 0})},
		{"host name that sanitizes to nothing", options(discover(), append([]byte{12, 6}, "!!..$$"...))},
		{"1,000 options", options(discover(), bytes.Repeat([]byte{250, 0}, 500))},
		{"non-Ethernet htype", with(discover(), func(b []byte) { b[1] = 6 })},
		{"BOOTREPLY", with(discover(), func(b []byte) { b[0] = 2 })},
		// Without the RFC 1497 cookie the vendor area is a vendor's own
		// (RFC 951): a BOOTP request, refused to this unknown MAC.
		{"no magic cookie", with(discover(), func(b []byte) { copy(b[236:240], "JUNK") })},
	} {
		cmd := client.command(t.Context(), "socat", "-u", "STDIN", "UDP-SENDTO:192.168.1.21:67,sourceport=68")
		cmd.Stdin = bytes.NewReader(c.pkt)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: sending: %v %s", c.name, err, out)
		}
		time.Sleep(50 * time.Millisecond)
		if px.p.exited() {
			t.Fatalf("pxed exited after %q: %v", c.name, px.p.err)
		}
	}
	client.ip(t, "addr", "flush", "dev", "cli0")
	setMAC(t, client, "cli0", station02.MAC)
	got, err := udhcpc(t, client, "cli0")
	if err != nil {
		t.Fatalf("after the hostile packets, a real client got nothing: %v", err)
	}
	if got != station02.IP {
		t.Errorf("after the hostile packets, station-02 got %s, want %s", got, station02.IP)
	}
	// Each kind of damage is named in the log (at debug level).
	for _, reason := range []string{
		`reason="malformed: buffer too short`,            // truncated
		`reason="Ethernet hardware address of length 16`, // hlen 20, cut to 16 by the codec
		`reason="malformed: error collecting options`,    // option past the end
		`reason="not a BOOTREQUEST (op 2)"`,
		`mac=02:00:00:00:00:99 xid=0x12345678 msg=BOOTREQUEST refused=not_reserved`, // no magic cookie
	} {
		expectLogged(t, px, reason)
	}
	if b := tail(px.log, 400); strings.Contains(b, "panic") {
		t.Errorf("pxed's log mentions a panic:\n%s", b)
	}
}

// discover is a well-formed DHCPDISCOVER from 02:00:00:00:00:99 (RFC 2131
// §2 layout: 236 bytes of BOOTP header, the magic cookie, options).
func discover() []byte {
	b := make([]byte, 240)
	b[0], b[1], b[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, hlen 6
	binary.BigEndian.PutUint32(b[4:], 0x12345678)
	copy(b[28:], []byte{2, 0, 0, 0, 0, 0x99})
	copy(b[236:], []byte{99, 130, 83, 99})
	return append(b, 53, 1, 1, 255)
}

// options inserts raw options before the end option.
func options(pkt []byte, opts ...[]byte) []byte {
	out := append([]byte(nil), pkt[:len(pkt)-1]...)
	for _, o := range opts {
		out = append(out, o...)
	}
	return append(out, 255)
}

func with(pkt []byte, f func([]byte)) []byte {
	f(pkt)
	return pkt
}
