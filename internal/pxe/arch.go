package pxe

import (
	"fmt"
	"strconv"
	"strings"
)

// Arch is a client system architecture from DHCP option 93 (RFC 4578 §2.1),
// numbered by the IANA "Processor Architecture Types" registry.
type Arch uint16

// The registry, as IANA keeps it. RFC 4578 printed 7 as "EFI BC" and 9 as
// "EFI x86-64"; its erratum 4624 and the registry swap them, and firmware in
// the field sends both for x64 UEFI, so pxed treats 7 and 9 alike (see Family).
const (
	ArchBIOS        Arch = 0
	ArchIA32UEFI    Arch = 6
	ArchX64UEFI     Arch = 7
	ArchEBC         Arch = 9
	ArchARM32UEFI   Arch = 10
	ArchARM64UEFI   Arch = 11
	ArchX86HTTP     Arch = 15
	ArchX64HTTP     Arch = 16
	ArchARM32HTTP   Arch = 18
	ArchARM64HTTP   Arch = 19
	ArchBIOSHTTP    Arch = 20
	ArchRISCV64UEFI Arch = 27
	ArchRISCV64HTTP Arch = 28
)

type archInfo struct {
	name string // short name used as a config key
	desc string // the registry's description
	http bool   // boots from an http:// URL (UEFI HTTP Boot)
}

var archTable = [...]archInfo{
	0:  {"bios", "x86 BIOS", false},
	1:  {"pc98", "NEC/PC98 (deprecated)", false},
	2:  {"itanium", "Itanium", false},
	3:  {"alpha", "DEC Alpha (deprecated)", false},
	4:  {"arcx86", "Arc x86 (deprecated)", false},
	5:  {"lean-client", "Intel Lean Client (deprecated)", false},
	6:  {"efi-ia32", "x86 UEFI", false},
	7:  {"efi-x64", "x64 UEFI", false},
	8:  {"efi-xscale", "EFI Xscale (deprecated)", false},
	9:  {"efi-bc", "EBC (sent by x64 UEFI firmware too)", false},
	10: {"efi-arm32", "ARM 32-bit UEFI", false},
	11: {"efi-arm64", "ARM 64-bit UEFI", false},
	12: {"ppc-openfirmware", "PowerPC Open Firmware", false},
	13: {"ppc-epapr", "PowerPC ePAPR", false},
	14: {"power-opal", "POWER OPAL v3", false},
	15: {"http-efi-ia32", "x86 UEFI boot from HTTP", true},
	16: {"http-efi-x64", "x64 UEFI boot from HTTP", true},
	17: {"http-efi-bc", "EBC boot from HTTP", true},
	18: {"http-efi-arm32", "ARM 32-bit UEFI boot from HTTP", true},
	19: {"http-efi-arm64", "ARM 64-bit UEFI boot from HTTP", true},
	20: {"http-bios", "x86 BIOS boot from HTTP", true},
	21: {"uboot-arm32", "ARM 32-bit U-Boot", false},
	22: {"uboot-arm64", "ARM 64-bit U-Boot", false},
	23: {"http-uboot-arm32", "ARM 32-bit U-Boot boot from HTTP", true},
	24: {"http-uboot-arm64", "ARM 64-bit U-Boot boot from HTTP", true},
	25: {"efi-riscv32", "RISC-V 32-bit UEFI", false},
	26: {"http-efi-riscv32", "RISC-V 32-bit UEFI boot from HTTP", true},
	27: {"efi-riscv64", "RISC-V 64-bit UEFI", false},
	28: {"http-efi-riscv64", "RISC-V 64-bit UEFI boot from HTTP", true},
	29: {"efi-riscv128", "RISC-V 128-bit UEFI", false},
	30: {"http-efi-riscv128", "RISC-V 128-bit UEFI boot from HTTP", true},
	31: {"s390-basic", "s390 Basic", false},
	32: {"s390-extended", "s390 Extended", false},
	33: {"efi-mips32", "MIPS 32-bit UEFI", false},
	34: {"efi-mips64", "MIPS 64-bit UEFI", false},
	35: {"efi-sunway32", "Sunway 32-bit UEFI", false},
	36: {"efi-sunway64", "Sunway 64-bit UEFI", false},
	37: {"efi-loongarch32", "LoongArch 32-bit UEFI", false},
	38: {"http-efi-loongarch32", "LoongArch 32-bit UEFI boot from HTTP", true},
	39: {"efi-loongarch64", "LoongArch 64-bit UEFI", false},
	40: {"http-efi-loongarch64", "LoongArch 64-bit UEFI boot from HTTP", true},
	41: {"arm-rpiboot", "ARM rpiboot", false},
}

// String returns the short name ("bios", "efi-x64"), or "arch-N" for codes
// the registry has not assigned.
func (a Arch) String() string {
	if int(a) < len(archTable) {
		return archTable[a].name
	}
	return "arch-" + strconv.Itoa(int(a))
}

// Description is the registry's wording for a.
func (a Arch) Description() string {
	if int(a) < len(archTable) {
		return archTable[a].desc
	}
	return "unassigned"
}

// HTTP reports whether a is a UEFI HTTP Boot architecture, which expects an http:// URL.
func (a Arch) HTTP() bool { return int(a) < len(archTable) && archTable[a].http }

// Family folds architectures that boot the same loader: 9 into 7 (x64 UEFI;
// see the note on the constants).
func (a Arch) Family() Arch {
	if a == ArchEBC {
		return ArchX64UEFI
	}
	return a
}

// Machine is the architecture of the machine behind a, whichever way its
// firmware asked: an HTTP Boot code (UEFI 2.5 added one beside each PXE
// code, IANA registry) is folded into the PXE code of the same firmware, 19
// into 11 and 16 into 7, and then 9 into 7 (Family). Such a machine runs the
// same kernel either way, so a profile keys its per-architecture files by
// the Machine: an efi-arm64 entry serves http-efi-arm64 too.
func (a Arch) Machine() Arch {
	switch a {
	case 15:
		return ArchIA32UEFI
	case ArchX64HTTP, 17:
		return ArchX64UEFI
	case ArchARM32HTTP:
		return ArchARM32UEFI
	case ArchARM64HTTP:
		return ArchARM64UEFI
	case ArchBIOSHTTP:
		return ArchBIOS
	case 23, 24:
		return a - 2 // U-Boot on ARM 32 and 64 bits
	case 26, ArchRISCV64HTTP, 30, 38, 40:
		return a - 1 // RISC-V and LoongArch: each HTTP code follows its UEFI one
	}
	return a.Family()
}

// ParseArch accepts a short name ("efi-x64") or a number ("7").
func ParseArch(s string) (Arch, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, info := range archTable {
		if info.name == s {
			return Arch(i), nil
		}
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return Arch(n), nil
	}
	return 0, fmt.Errorf("unknown architecture %q (use a name such as bios, efi-x64, efi-arm64, http-efi-x64, or the option 93 number)", s)
}

// Arches lists the registry in order, for documentation and `pxed check`.
func Arches() []Arch {
	out := make([]Arch, len(archTable))
	for i := range archTable {
		out[i] = Arch(i)
	}
	return out
}
