//go:build e2e

package e2e

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// serverAddr6 is the address examples/ipv6.yaml gives pxed on br0.
const serverAddr6 = "2001:db8:1::21"

// The stations of examples/ipv6.yaml: examples/seed.yaml's MACs, their
// reserved ip6.
var (
	station01v6 = Station{"station-01", station01.MAC, netip.MustParseAddr("2001:db8:1::101")}
	station03v6 = Station{"station-03", station03.MAC, netip.MustParseAddr("2001:db8:1::103")}
)

// pxe6Only turns EDK2's IPv4 PXE client off, so that its IPv6 one is the
// machine's first network boot option.
var pxe6Only = []string{"-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=no"}

// TestBootUEFIIPv6 boots two UEFI machines at once, each on a link of its
// own with no IPv4 at all, from one copy of the netboot tree:
//   - PXE: station-01 on examples/ipv6.yaml, OVMF's UEFI PXE client over
//     IPv6 (its IPv4 one off): DHCPv6 gives
//     tftp://[2001:db8:1::21]/…/bootnetx64.efi (Debian's shim), shim loads
//     GRUB beside it, GRUB reads its config (rendered by pxed for the host)
//     and the kernel and initrd over TFTP on IPv6;
//   - HTTPBoot: station-03 on examples/ipv6.yaml made an HTTP Boot network
//     (no PXE loader; boot.http_image around Debian's GRUB), OVMF set to
//     IPv6 only (IPv4Support=no): its UEFI PXE client over IPv6 runs first,
//     gets an address but no boot file and gives up, then its UEFI HTTP
//     Boot client over IPv6 gets the http://[2001:db8:1::21]:8080/ URL of
//     the machine's RAM-disk image, fetches it and starts GRUB from it, which
//     boots the kernel and initrd in the image. The PXE attempt is what makes
//     HTTP Boot work at all in Debian 12's OVMF with IPv4 off, and saves the
//     ~60 s it otherwise spends on IPv4 first (docs/firmware.md).
//
// With the RA's M flag, EDK2's IPv6 stack and its boot client each run
// DHCPv6 with an IAID of their own: both get the host's reserved address.
// EDK2 releases it when it starts the loader, so pxed's lease of it is
// released by the time the kernel starts; the test wants it recorded for
// the station, and the boot client's Reply in pxed's log.
func TestBootUEFIIPv6(t *testing.T) {
	requireRoot(t)
	root := prepareTFTPRoot(t)

	t.Run("PXE", func(t *testing.T) {
		t.Parallel()
		ns, taps := newBridgeLab6(t, 1, false)
		px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Config: "examples/ipv6.yaml"})
		st := station01v6
		reachKernel(t, bootGuestWith(t, ns, taps[0], st, uefiPXE, pxe6Only), "OVMF UEFI PXE over IPv6 → shim → GRUB, TFTP over IPv6", nil)
		expectLease6(t, px, st)
		ip := st.IP.String()
		expectLogged(t, px, `file=tftp://[2001:db8:1::21]/debian-installer/amd64/bootnetx64.efi`)
		expectLogged(t, px, `msg="tftp transfer" ip=`+ip+` file=/debian-installer/amd64/grubx64.efi bytes=3843520`)
		expectLogged(t, px, `msg="tftp transfer" ip=`+ip+` file=/debian-installer/amd64/initrd.gz bytes=40810276`)
	})
	t.Run("HTTPBoot", func(t *testing.T) {
		t.Parallel()
		ns, taps := newBridgeLab6(t, 1, false)
		px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Config: "examples/ipv6.yaml", Edit: httpBootNetwork})
		st := station03v6
		reachKernel(t, bootGuestWith(t, ns, taps[0], st, uefiPXE, ipv6Firmware), "OVMF IPv6 only, UEFI HTTP Boot over IPv6 → RAM-disk image → GRUB", nil)
		expectLease6(t, px, st)
		image := "image/http-efi-x64/" + strings.ReplaceAll(st.MAC, ":", "-") + ".img"
		expectLogged(t, px, `file=http://[2001:db8:1::21]:8080/`+image)
		expectLogged(t, px, `msg="http transfer" ip=`+st.IP.String()+` file=`+image+` bytes=67108864`)
		b, err := os.ReadFile(px.log)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `msg="tftp transfer"`) {
			t.Error("a file went over TFTP on a network that boots over HTTP only")
		}
	})
}

// ipv6Firmware sets OVMF to IPv6 only: its whole IPv4 stack off (OvmfPkg's
// opt/org.tianocore/IPv4Support knob), which leaves UEFI PXE over IPv6 and
// then UEFI HTTP Boot over IPv6 as its network boot options.
var ipv6Firmware = []string{"-fw_cfg", "name=opt/org.tianocore/IPv4Support,string=no"}

// httpBootNetwork makes examples/ipv6.yaml a network whose UEFI machines
// boot over HTTP only: no loader for UEFI PXE clients, and for HTTP Boot
// clients a RAM-disk image around Debian's GRUB (boot.http_image).
func httpBootNetwork(y string) string {
	y = replaceOnce(y, "    efi-x64: debian-installer/amd64/bootnetx64.efi\n", "")
	return imageMode("http-efi-x64", "debian-installer/amd64/grubx64.efi")(y)
}

// expectLease6 fails the test unless `pxed leases` lists st's reserved
// ip6 for its MAC, bound or released (EDK2 releases its address when it
// starts the loader, which goes on using it), and pxed's log shows the
// address given in a Reply to the station's boot client.
func expectLease6(t *testing.T, px *Pxed, st Station) {
	t.Helper()
	leases, err := px.readLeases(t)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range leases {
		if strings.EqualFold(l.MAC, st.MAC) && l.IP == st.IP {
			found = true
			t.Logf("pxed leases: %s %s %s %s", l.MAC, l.IP, l.Hostname, l.State)
			if l.State != "bound" && l.State != "released" {
				t.Errorf("pxed leases: %s holds %s in state %q, want bound (or released by the firmware)", st.MAC, l.IP, l.State)
			}
		}
	}
	if !found {
		t.Errorf("pxed leases: no lease of %s for %s; leases:\n%s", st.IP, st.MAC, formatLeases(leases))
	}
	b, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	replied := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `msg=dhcp6 `) && strings.Contains(line, "mac="+st.MAC) && strings.Contains(line, "msg=REQUEST") &&
			strings.Contains(line, "reply=REPLY") && strings.Contains(line, st.IP.String()) && strings.Contains(line, "arch=") {
			replied = true
		}
	}
	if !replied {
		t.Errorf("pxed's log shows no Reply giving %s to %s's boot client", st.IP, st.Name)
	}
}
