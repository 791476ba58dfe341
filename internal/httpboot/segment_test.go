package httpboot

import (
	"net/netip"
	"testing"
)

func TestGRUBSegment(t *testing.T) {
	t.Parallel()
	v4 := netip.MustParseAddr("192.168.1.103")
	mapped := netip.MustParseAddr("::ffff:192.168.1.103")
	v6 := netip.MustParseAddr("2001:db8:1::103")
	for _, c := range []struct {
		name      string
		agent     string
		remote    netip.Addr
		sent, adv uint32
		want      uint32
		ok        bool
	}{
		// GRUB 2.06's bare SYN on an Ethernet link: 536 sent, 1460 possible.
		{"grub 2.06 on ethernet", "GRUB 2.06", v4, 536, 1460, 1460, true},
		{"grub of a distribution", "GRUB 2.12-1ubuntu7", v4, 536, 1460, 1460, true},
		{"grub on a v4-mapped socket", "GRUB 2.06", mapped, 536, 1460, 1460, true},
		{"grub over ipv6", "GRUB 2.06", v6, 1220, 1440, 1440, true},
		{"grub behind a smaller MTU", "GRUB 2.06", v4, 536, 1400, 1400, true},
		// GRUB sent an MSS option (not the default): its word stands.
		{"grub that sent an mss", "GRUB 2.14", v4, 1460, 1460, 0, false},
		{"grub that asked for less", "GRUB 2.14", v4, 512, 1460, 0, false},
		// The path is no larger than the default: nothing to gain.
		{"path no larger", "GRUB 2.06", v4, 536, 536, 0, false},
		// Not GRUB: the kernel's choice stands, whatever it is.
		{"ipxe", "iPXE/1.21.1", v4, 536, 1460, 0, false},
		{"uefi http boot", "UefiHttpBoot/1.0", v4, 536, 1460, 0, false},
		{"no agent", "", v4, 536, 1460, 0, false},
		{"grub without the space", "GRUBBY", v4, 536, 1460, 0, false},
	} {
		got, ok := grubSegment(c.agent, c.remote, c.sent, c.adv)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: grubSegment(%q, %v, %d, %d) = %d, %v; want %d, %v", c.name, c.agent, c.remote, c.sent, c.adv, got, ok, c.want, c.ok)
		}
	}
}
