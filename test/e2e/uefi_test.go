//go:build e2e

package e2e

import "testing"

// TestBootUEFIStation03 boots station-03 with OVMF's own UEFI PXE client:
// pxed gives it the x64 UEFI loader of the reference network (GRUB from the
// Debian netboot tree) by its option 93 architecture, GRUB reads its config
// and modules over TFTP and starts the installer's kernel.
func TestBootUEFIStation03(t *testing.T) {
	px := bootOne(t, station03, uefiPXE, "OVMF UEFI PXE → GRUB", nil)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=3843520`)
	expectLogged(t, px, `file=/debian-installer/amd64/initrd.gz bytes=40810276`)
}
