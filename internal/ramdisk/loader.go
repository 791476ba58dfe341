package ramdisk

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/pxed/pxed/internal/efiimage"
)

// Arch is the UEFI architecture a loader is built for, read from its PE
// header. It decides the removable-media file name the firmware boots
// from the disk and the name shim gives its second stage.
type Arch uint8

const (
	ArchUnknown Arch = iota
	ArchX64          // PE machine 0x8664
	ArchAA64         // PE machine 0xaa64
)

// archTable: UEFI specification 2.10 §3.5.1.1 "Removable Media Boot
// Behavior" names \EFI\BOOT\BOOT{X64,AA64}.EFI; shim's DEFAULT_LOADER is
// \grub{x64,aa64}.efi (shim.h, from its Makefile's ARCH_SUFFIX).
var archTable = [...]struct {
	name, removable, grub string
	machine               efiimage.Machine
}{
	ArchUnknown: {name: "unknown"},
	ArchX64:     {"x64", "EFI/BOOT/BOOTX64.EFI", "grubx64.efi", efiimage.MachineAMD64},
	ArchAA64:    {"aa64", "EFI/BOOT/BOOTAA64.EFI", "grubaa64.efi", efiimage.MachineARM64},
}

func (a Arch) String() string { return archTable[a].name }

// RemovablePath is where UEFI firmware looks for a boot program on a disk
// with no boot option of its own: EDK2's BmExpandMediaDevicePath appends
// EFI_REMOVABLE_MEDIA_FILE_NAME to the RAM disk HttpBootDxe registered.
func (a Arch) RemovablePath() string { return archTable[a].removable }

// GRUBName is the second stage shim loads from beside itself.
func (a Arch) GRUBName() string { return archTable[a].grub }

// Loader is what pxed reads from a boot program's headers.
type Loader struct {
	Arch Arch
	// GRUB is true for a GRUB core image (it has a "mods" section).
	GRUB bool
	// Prefix is GRUB's embedded prefix ("/debian-installer/amd64/grub"):
	// the directory its config is read from. Empty when GRUB has none or
	// the loader is not GRUB.
	Prefix string
}

// ErrUnknownArch is Inspect's error for a program of another machine
// than the two whose firmware boots RAM disks here; a file that is no
// program at all gives efiimage.ErrNotPE.
var ErrUnknownArch = errors.New("built for a machine other than x64 or AArch64")

// Inspect reads a boot program's architecture and, if it is GRUB, the
// prefix embedded in it.
func Inspect(r io.ReaderAt) (Loader, error) {
	img, err := efiimage.Inspect(r)
	if err != nil {
		return Loader{}, err
	}
	var l Loader
	for a, info := range archTable {
		if a != int(ArchUnknown) && info.machine == img.Machine {
			l.Arch = Arch(a)
		}
	}
	if l.Arch == ArchUnknown {
		return Loader{}, fmt.Errorf("%w (PE machine %#04x)", ErrUnknownArch, uint16(img.Machine))
	}
	l.GRUB, l.Prefix = img.GRUB, img.GRUBPrefix
	return l, nil
}

// ConfigPath is where GRUB with this prefix reads its config on the disk it
// was loaded from, relative to the disk's root. A prefix naming a device
// ("(memdisk)/boot/grub", "(tftp)/grub") is not on that disk: "".
// Debian's signed images run `normal (memdisk)/grub.cfg`, whose script
// sources $prefix/<platform>/grub.cfg if it exists and else $prefix/grub.cfg
// (grub2 debian/build-efi-images, grub-netboot.cfg); pxed writes the
// second, which every GRUB reads.
func (l Loader) ConfigPath() string {
	p := l.Prefix
	if !l.GRUB || p == "" || strings.HasPrefix(p, "(") {
		return ""
	}
	return strings.TrimPrefix(path.Join(p, "grub.cfg"), "/")
}
