//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// TestBootMixedNetwork boots the reference network's three kinds of machine
// at once from examples/seed.yaml as it is: station-01 (SeaBIOS + iPXE: its
// iPXE script), station-03 (OVMF UEFI PXE: GRUB x64) and an arm64 machine of
// the pool (AAVMF UEFI PXE: GRUB arm64), each given its own loader by its
// option 93 and the kernel of its own architecture by the one profile.
// Each must reach the kernel and hold its lease. The arm64 machine starts
// first: it is the slowest, and the x64 ones are done before it needs the
// CPU most (its kernel over GRUB's TFTP).
func TestBootMixedNetwork(t *testing.T) {
	ns, taps := newBridgeLab(t, 3)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})

	machines := []struct {
		st  Station
		fw  Firmware
		how string
	}{
		{arm64Machine, arm64UEFI, "arm64 UEFI PXE → GRUB arm64"},
		{station01, biosIPXE, "BIOS iPXE → iPXE script"},
		{station03, uefiPXE, "x64 UEFI PXE → GRUB x64"},
	}
	guests := make([]*Guest, len(machines))
	for i, m := range machines {
		guests[i] = bootGuest(t, ns, taps[i], m.st, m.fw)
	}
	how := make([]string, len(machines))
	for i, m := range machines {
		how[i] = m.how
	}
	// Three guests, one of them arm64 under TCG, share two cores.
	if !waitKernels(t, guests, how, arm64Deadline+2*time.Minute) {
		return
	}

	leases := px.leases(t)
	expectLease(t, leases, station01.MAC, station01.IP)
	expectLease(t, leases, station03.MAC, station03.IP)
	expectPoolLease(t, leases, arm64Machine.MAC)
	expectLogged(t, px, `ip=192.168.1.101 file=ipxe/00-18-e7-42-84-3a.ipxe`)
	expectLogged(t, px, `ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=3843520`)
	expectLogged(t, px, `file=debian-installer/arm64/grubaa64.efi bytes=3966400`)
	expectLogged(t, px, `file=/debian-installer/arm64/linux bytes=32956352`)
	expectSerial(t, guests[0], "console=ttyAMA0")
	expectSerial(t, guests[2], "console=ttyS0,115200")
}
