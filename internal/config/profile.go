package config

import (
	"maps"
	"slices"

	"github.com/pxed/pxed/internal/pxe"
)

// DefaultConsole is the kernel console of a machine of architecture a when
// its profile names none: the first PL011 UART (ttyAMA0) on ARM, as on
// QEMU's virt machine and SBSA servers (Arm Server Base System
// Architecture: the generic UART is a PL011 subset); the first 8250/16550
// UART at 115200 baud elsewhere (PC COM1, and what x86 firmware and
// PXELINUX's "serial 0 115200" use). A machine whose architecture is not
// known (no DHCP request seen) gets the PC one.
func DefaultConsole(a pxe.Arch) string {
	switch a.Machine() {
	case pxe.ArchARM32UEFI, pxe.ArchARM64UEFI, 21, 22: // UEFI and U-Boot on ARM
		return "ttyAMA0"
	}
	return "ttyS0,115200"
}

// ForArch is what p boots on a machine of architecture a (known false:
// the architecture is not known): the entry of Arch for a's machine
// (pxe.Arch.Machine: http-efi-arm64 takes the efi-arm64 entry), else p's
// own fields, with Console always set (DefaultConsole when neither names
// one). The result has no Arch entries of its own. Keys that name no
// architecture are skipped here; Validate reports them.
func (p *Profile) ForArch(a pxe.Arch, known bool) Profile {
	out := *p
	out.Arch = nil
	if known {
		if e, ok := p.archEntry(a); ok {
			out.Kernel, out.Initrd = e.Kernel, e.Initrd
			if e.Console != "" {
				out.Console = e.Console
			}
			if e.Cmdline != "" {
				out.Cmdline = e.Cmdline
			}
		}
	}
	if out.Console == "" {
		if !known {
			a = pxe.ArchBIOS
		}
		out.Console = DefaultConsole(a)
	}
	return out
}

// archEntry finds the entry of p.Arch for a's machine, keys in sorted order
// so that a configuration Validate refuses (two keys for one machine)
// still picks the same one every time.
func (p *Profile) archEntry(a pxe.Arch) (ProfileArch, bool) {
	for _, k := range slices.Sorted(maps.Keys(p.Arch)) {
		if ka, err := pxe.ParseArch(k); err == nil && ka.Machine() == a.Machine() {
			return p.Arch[k], true
		}
	}
	return ProfileArch{}, false
}
