//go:build e2e

package e2e

import (
	"context"
	"testing"
)

// TestBootUEFIStation03 boots station-03 with OVMF's own UEFI PXE client:
// pxed gives it the x64 UEFI loader of the reference network (GRUB from the
// Debian netboot tree) by its option 93 architecture, GRUB reads its config
// and modules over TFTP and starts the installer's kernel.
func TestBootUEFIStation03(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})

	g := bootGuest(t, ns, taps[0], station03, uefiPXE)
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	defer cancel()
	took, err := g.waitKernel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s (OVMF UEFI PXE → GRUB): power-on to %q in %v", g.Name, kernelStarted, took)
	g.powerOff()
	expectLease(t, px.leases(t), station03.MAC, station03.IP)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=3843520`)
	expectLogged(t, px, `file=/debian-installer/amd64/initrd.gz bytes=40810276`)
}
