//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestBootUEFIStation03 boots station-03 with OVMF's own UEFI PXE client,
// Secure Boot off: pxed gives it the x64 UEFI loader of the reference
// network (Debian's signed shim from the netboot tree) by its option 93
// architecture, shim loads GRUB beside it, GRUB reads its config and
// modules over TFTP and starts the installer's kernel.
func TestBootUEFIStation03(t *testing.T) {
	px := bootOne(t, station03, uefiPXE, "OVMF UEFI PXE → shim → GRUB", nil)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=debian-installer/amd64/bootnetx64.efi bytes=1048504`)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=3843520`)
	expectLogged(t, px, `file=/debian-installer/amd64/initrd.gz bytes=40810276`)
}

// TestBootUEFISecureBootOffIPXE boots station-03 with OVMF's own UEFI PXE
// client, Secure Boot off, with its host entry saying so (boot.secure_boot:
// false): pxed gives it iPXE's snponly.efi, which it serves from Debian's
// ipxe package (http.ipxe_efi's default) at ipxe/x64.efi, instead of shim
// and GRUB. iPXE asks DHCP again as iPXE, gets its script's URL and fetches
// the script, kernel and initrd over HTTP: after iPXE, nothing over TFTP.
func TestBootUEFISecureBootOffIPXE(t *testing.T) {
	if _, err := os.Stat(snponly); err != nil {
		t.Fatalf("iPXE for UEFI missing (%v): run scripts/deps to install ipxe", err)
	}
	px := bootOne(t, station03, uefiPXE, "OVMF UEFI PXE, Secure Boot off → iPXE → script, kernel and initrd over HTTP", func(y string) string {
		return withStation03Boot(y, "    boot: {secure_boot: false}\n")
	})
	expectLogged(t, px, `reply=OFFER ip=192.168.1.103 file=ipxe/x64.efi`)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=ipxe/x64.efi bytes=173792`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=ipxe/00-18-e7-42-7a-3e.ipxe`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=debian-installer/amd64/linux bytes=8222656`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=debian-installer/amd64/initrd.gz bytes=40810276`)
	if b, err := os.ReadFile(px.log); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(b), "grubx64.efi") || strings.Contains(string(b), "bootnetx64.efi") {
		t.Error("shim or GRUB was loaded although the machine is said to have Secure Boot off")
	}
}

// TestBootUEFIHTTPStation03 boots station-03 with EDK2's UEFI HTTP Boot
// client (OVMF with its PXE clients off): pxed answers its HTTPClient
// DISCOVER with option 60 HTTPClient and the URL of iPXE's snponly.efi
// (boot.files.http-efi-x64, a path of the root made a URL of pxed's HTTP
// server); the firmware fetches and starts it, iPXE asks DHCP again as
// iPXE, gets its script's URL (http.ipxe_script) and fetches the kernel and
// initrd over HTTP. No TFTP at all.
func TestBootUEFIHTTPStation03(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	addSNPOnly(t, root)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: httpBootMode})

	reachKernel(t, bootGuest(t, ns, taps[0], station03, uefiHTTP), "OVMF UEFI HTTP Boot → iPXE snponly.efi → iPXE script over HTTP", nil)
	expectLease(t, px.leases(t), station03.MAC, station03.IP)
	expectLogged(t, px, `file=http://192.168.1.21:8080/snponly.efi`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=snponly.efi bytes=173792`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=ipxe/00-18-e7-42-7a-3e.ipxe`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=debian-installer/amd64/initrd.gz bytes=40810276`)
	if b, err := os.ReadFile(px.log); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(b), `msg="tftp transfer"`) {
		t.Error("a file went over TFTP although the machine boots over HTTP only")
	}
}

// httpBootMode gives UEFI HTTP Boot clients iPXE's snponly.efi by HTTP; the
// seed gives iPXE clients their generated script.
func httpBootMode(y string) string {
	return replaceOnce(y, "  files:\n", "  files:\n    http-efi-x64: snponly.efi\n")
}

// TestBootUEFIIPXEScript boots station-03 under OVMF with iPXE's UEFI build
// as the NIC's option ROM: iPXE (user class iPXE, arch 7) gets the URL of its
// script (http.ipxe_script) instead of the x64 UEFI loader, and fetches the
// script, kernel and initrd over HTTP: no GRUB, no second iPXE.
func TestBootUEFIIPXEScript(t *testing.T) {
	px := bootOne(t, station03, uefiIPXE, "OVMF + iPXE UEFI ROM → iPXE script over HTTP", nil)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=ipxe/00-18-e7-42-7a-3e.ipxe`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=debian-installer/amd64/initrd.gz bytes=40810276`)
	if b, err := os.ReadFile(px.log); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(b), "grubx64.efi") {
		t.Error("GRUB was loaded although iPXE was given its script")
	}
}
