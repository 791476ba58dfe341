//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
)

// imageMode gives UEFI HTTP Boot clients a RAM-disk image (boot.http_image)
// built around loader, a path of the netboot tree.
func imageMode(loader string) func(string) string {
	return func(y string) string {
		return strings.Replace(y, "  files:\n", "  http_image: true\n  files:\n    http-efi-x64: "+loader+"\n", 1)
	}
}

// bootImage boots station-03 over UEFI HTTP Boot with firmware fw from a
// RAM-disk image around loader, and checks what a user would: the kernel
// started, pxed holds the lease, the image went over HTTP as a disk image
// and nothing went over TFTP. It returns pxed and the guest's serial log.
func bootImage(t *testing.T, fw Firmware, loader, how string) (*Pxed, string) {
	t.Helper()
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: imageMode(loader)})
	g := bootGuest(t, ns, taps[0], station03, fw)
	reachKernel(t, g, how, nil)
	expectLease(t, px.leases(t), station03.MAC, station03.IP)
	expectLogged(t, px, `file=http://192.168.1.21:8080/image/http-efi-x64/00-18-e7-42-7a-3e.img`)
	expectLogged(t, px, `msg="ramdisk image built"`)
	// EDK2 asks the size with HEAD, then GETs the image whole.
	expectLogged(t, px, `msg="http head" ip=192.168.1.103 file=image/http-efi-x64/00-18-e7-42-7a-3e.img bytes=`)
	expectLogged(t, px, `type=application/vnd.efi-img`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=image/http-efi-x64/00-18-e7-42-7a-3e.img bytes=`)
	b, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		keepArtifact(t, px.log, "pxed.log")
	}
	if strings.Contains(string(b), `msg="tftp transfer"`) {
		t.Error("a file went over TFTP although the machine boots from its image")
	}
	// shim reads GRUB, and GRUB its config and the kernel, from the RAM
	// disk: the image is the one file the machine asks for.
	if n := strings.Count(string(b), `msg="http transfer"`); n != 1 {
		t.Errorf("%d files went over HTTP, want the image alone", n)
	}
	if testing.Verbose() {
		keepArtifact(t, g.serial, "serial.log")
	}
	serial, err := os.ReadFile(g.serial)
	if err != nil {
		t.Fatal(err)
	}
	return px, string(serial)
}

// TestBootUEFIHTTPImage boots station-03 with EDK2's UEFI HTTP Boot client
// (OVMF, PXE off): pxed answers with the URL of the machine's RAM-disk image
// (boot.http_image), the firmware takes it as a disk (Content-Type
// application/vnd.efi-img), starts \EFI\BOOT\BOOTX64.EFI from it, which is
// Debian's GRUB; GRUB reads pxed's config for the machine from its prefix on
// the RAM disk and loads the kernel and initrd from it, with no network
// access of its own.
func TestBootUEFIHTTPImage(t *testing.T) {
	bootImage(t, uefiHTTP, "debian-installer/amd64/grubx64.efi", "OVMF UEFI HTTP Boot → RAM-disk image → GRUB → kernel")
}

// TestBootUEFIHTTPImageSecureBoot is TestBootUEFIHTTPImage under Secure Boot
// enforced, through the signed chain only: the image's BOOTX64.EFI is
// Debian's signed shim (bootnetx64.efi), which verifies and starts Debian's
// signed GRUB beside it on the RAM disk, which has shim verify the signed
// kernel. The kernel says Secure Boot is on.
func TestBootUEFIHTTPImageSecureBoot(t *testing.T) {
	_, serial := bootImage(t, uefiHTTPSecure, "debian-installer/amd64/bootnetx64.efi",
		"OVMF Secure Boot, UEFI HTTP Boot → RAM-disk image → shim → GRUB → kernel")
	// The EFI stub prints the first before "Linux version"; the second
	// follows it at once, but the guest may be powered off before.
	if !strings.Contains(serial, "UEFI Secure Boot is enabled") && !strings.Contains(serial, "Secure boot enabled") {
		t.Errorf("the kernel's log does not say Secure Boot is enabled")
	}
}
