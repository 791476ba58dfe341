package ramdisk

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
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
	machine               uint16
}{
	ArchUnknown: {name: "unknown"},
	ArchX64:     {"x64", "EFI/BOOT/BOOTX64.EFI", "grubx64.efi", pe.IMAGE_FILE_MACHINE_AMD64},
	ArchAA64:    {"aa64", "EFI/BOOT/BOOTAA64.EFI", "grubaa64.efi", pe.IMAGE_FILE_MACHINE_ARM64},
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

// Errors of Inspect, for callers that tell the operator what to fix.
var (
	ErrNotPE       = errors.New("not a PE/COFF (EFI) program")
	ErrUnknownArch = errors.New("built for a machine other than x64 or AArch64")
)

// Inspect reads a boot program's architecture and, if it is GRUB, the
// prefix embedded in it.
func Inspect(r io.ReaderAt) (Loader, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return Loader{}, fmt.Errorf("%w: %v", ErrNotPE, err)
	}
	defer f.Close()
	var l Loader
	for a, info := range archTable {
		if a != int(ArchUnknown) && info.machine == f.Machine {
			l.Arch = Arch(a)
		}
	}
	if l.Arch == ArchUnknown {
		return Loader{}, fmt.Errorf("%w (PE machine %#04x)", ErrUnknownArch, f.Machine)
	}
	s := f.Section("mods")
	if s == nil {
		return l, nil
	}
	data, err := s.Data()
	if err != nil {
		return Loader{}, fmt.Errorf("reading GRUB's mods section: %w", err)
	}
	l.GRUB = true
	l.Prefix, err = grubPrefix(data)
	return l, err
}

// GRUB's module area (include/grub/kernel.h): a grub_module_info64 header
// (magic "mimg", padding, offset and size of the objects from the header's
// start), then objects, each a grub_module_header (type, size including
// the header). OBJ_TYPE_PREFIX holds the NUL-terminated prefix that
// grub-mkimage -p wrote.
const (
	grubModuleMagic = 0x676d696d
	grubObjPrefix   = 3
)

func grubPrefix(mods []byte) (string, error) {
	if len(mods) < 24 || binary.LittleEndian.Uint32(mods) != grubModuleMagic {
		return "", errors.New("GRUB's mods section has no module header")
	}
	off := binary.LittleEndian.Uint64(mods[8:])
	end := binary.LittleEndian.Uint64(mods[16:])
	if end > uint64(len(mods)) || off > end {
		return "", errors.New("GRUB's module header points outside its section")
	}
	for p := off; p+8 <= end; {
		typ := binary.LittleEndian.Uint32(mods[p:])
		size := uint64(binary.LittleEndian.Uint32(mods[p+4:]))
		if size < 8 || p+size > end {
			return "", fmt.Errorf("GRUB module object at %d has a bad size %d", p, size)
		}
		if typ == grubObjPrefix {
			body := mods[p+8 : p+size]
			if i := bytes.IndexByte(body, 0); i >= 0 {
				body = body[:i]
			}
			return string(body), nil
		}
		p += size
	}
	return "", nil
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
