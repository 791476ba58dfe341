//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
)

// imageMode gives UEFI HTTP Boot clients of arch (an http-efi- key) a
// RAM-disk image (boot.http_image) built around loader, a path of the
// netboot tree.
func imageMode(arch, loader string) func(string) string {
	return func(y string) string {
		return replaceOnce(y, "  files:\n", "  http_image: true\n  files:\n    "+arch+": "+loader+"\n")
	}
}

// imageBoot is one machine booting over UEFI HTTP Boot from a RAM-disk
// image: its firmware, the HTTP Boot architecture it asks as, and the
// loader the image is built around.
type imageBoot struct {
	station Station
	fw      Firmware
	extra   []string // more QEMU arguments
	arch    string
	loader  string
	how     string
}

// bootImage boots b's machine and checks what a user would: the kernel
// started, pxed holds the lease, the image went over HTTP as a disk image
// and nothing went over TFTP. It returns pxed and the guest's serial log.
func bootImage(t *testing.T, b imageBoot) (*Pxed, string) {
	t.Helper()
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: imageMode(b.arch, b.loader)})
	g := bootGuestWith(t, ns, taps[0], b.station, b.fw, b.extra)
	reachKernel(t, g, b.how, nil)
	leases := px.leases(t)
	ip := "192.168.1."
	if b.station.IP.IsValid() {
		expectLease(t, leases, b.station.MAC, b.station.IP)
		ip = b.station.IP.String()
	} else {
		expectPoolLease(t, leases, b.station.MAC)
	}
	image := "image/" + b.arch + "/" + strings.ReplaceAll(strings.ToLower(b.station.MAC), ":", "-") + ".img"
	expectLogged(t, px, `file=http://192.168.1.21:8080/`+image)
	expectLogged(t, px, `msg="ramdisk image built"`)
	// EDK2 asks the size with HEAD, then GETs the image whole.
	expectLogged(t, px, `msg="http head" ip=`+ip)
	expectLogged(t, px, `file=`+image+` bytes=`)
	expectLogged(t, px, `type=application/vnd.efi-img`)
	expectLogged(t, px, `msg="http transfer" ip=`+ip)
	log, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		keepArtifact(t, px.log, "pxed.log")
	}
	if strings.Contains(string(log), `msg="tftp transfer"`) {
		t.Error("a file went over TFTP although the machine boots from its image")
	}
	// shim reads GRUB, and GRUB its config and the kernel, from the RAM
	// disk: the image is the one file the machine asks for.
	if n := strings.Count(string(log), `msg="http transfer"`); n != 1 {
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
	bootImage(t, imageBoot{station: station03, fw: uefiHTTP, arch: "http-efi-x64", loader: "debian-installer/amd64/grubx64.efi",
		how: "OVMF UEFI HTTP Boot → RAM-disk image → GRUB → kernel"})
}

// TestBootUEFIHTTPImageSecureBoot is TestBootUEFIHTTPImage under Secure Boot
// enforced, through the signed chain only: the image's BOOTX64.EFI is
// Debian's signed shim (bootnetx64.efi), which verifies and starts Debian's
// signed GRUB beside it on the RAM disk, which has shim verify the signed
// kernel. The kernel says Secure Boot is on.
func TestBootUEFIHTTPImageSecureBoot(t *testing.T) {
	_, serial := bootImage(t, imageBoot{station: station03, fw: uefiHTTPSecure, arch: "http-efi-x64", loader: "debian-installer/amd64/bootnetx64.efi",
		how: "OVMF Secure Boot, UEFI HTTP Boot → RAM-disk image → shim → GRUB → kernel"})
	// The EFI stub prints the first before "Linux version"; the second
	// follows it at once, but the guest may be powered off before.
	if !strings.Contains(serial, "UEFI Secure Boot is enabled") && !strings.Contains(serial, "Secure boot enabled") {
		t.Errorf("the kernel's log does not say Secure Boot is enabled")
	}
}

// TestBootARM64HTTPImage boots the arm64 machine of the pool (QEMU virt,
// AAVMF) with its UEFI HTTP Boot client alone (PXE off; its DISCOVER
// carries option 93 = 19): pxed answers with the URL of a RAM-disk image
// around the arm64 tree's GRUB, AAVMF starts \EFI\BOOT\BOOTAA64.EFI from
// it, and GRUB reads the config of the one multi-architecture profile
// (the arm64 kernel and initrd, console=ttyAMA0) from the disk.
func TestBootARM64HTTPImage(t *testing.T) {
	_, serial := bootImage(t, imageBoot{station: arm64Machine, fw: arm64UEFI, extra: httpBootOnly,
		arch: "http-efi-arm64", loader: "debian-installer/arm64/grubaa64.efi",
		how: "AAVMF UEFI HTTP Boot → RAM-disk image → GRUB arm64 → kernel"})
	if !strings.Contains(serial, "console=ttyAMA0") {
		t.Error("the kernel's command line on the serial console has no console=ttyAMA0")
	}
}
