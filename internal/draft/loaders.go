package draft

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pxed/pxed/internal/efiimage"
	"github.com/pxed/pxed/internal/pxe"
)

// biosLoaders are the BIOS boot programs pxed init looks for, best first:
// SYSLINUX's PXELINUX (and its lwIP build), then iPXE's PXE builds.
var biosLoaders = []string{"pxelinux.0", "lpxelinux.0", "undionly.kpxe", "undionly.kkpxe", "ipxe.pxe"}

// efiLoaders are the UEFI boot programs it looks for, best first, "%s"
// standing for an architecture's suffix (efiSuffixes): a signed shim
// (Debian's netboot tree calls its own bootnet%s.efi), the removable-media
// default name, GRUB (a network build first), then iPXE's builds. Their
// architecture comes from their PE header, not their name: snponly.efi
// says none, and a name can lie.
var efiLoaders = []string{"shim%s.efi", "bootnet%s.efi", "boot%s.efi", "grubnet%s.efi", "grub%s.efi", "snponly.efi", "ipxe.efi"}

// efiSuffixes are the architecture suffixes of UEFI file names (UEFI 2.10
// §3.5.1.1, the removable-media boot file names).
var efiSuffixes = []string{"x64", "aa64", "ia32", "arm", "riscv64", "loongarch64"}

// maxDepth bounds how deep under the root FindLoaders looks: loaders sit
// at the root or in a distribution's tree (debian-installer/amd64/).
const maxDepth = 4

// rank is the place of a loader's name in its list; len(list) when absent.
func rank(p string) int {
	name := strings.ToLower(path.Base(p))
	if i := slices.Index(biosLoaders, name); i >= 0 {
		return i
	}
	for i, tmpl := range efiLoaders {
		if !strings.Contains(tmpl, "%s") {
			if name == tmpl {
				return i
			}
			continue
		}
		for _, sfx := range efiSuffixes {
			if name == fmt.Sprintf(tmpl, sfx) {
				return i
			}
		}
	}
	return len(efiLoaders)
}

// machineArch is the PXE architecture of a UEFI loader built for m.
var machineArch = map[efiimage.Machine]pxe.Arch{
	efiimage.MachineAMD64:   pxe.ArchX64UEFI,
	efiimage.MachineARM64:   pxe.ArchARM64UEFI,
	efiimage.MachineI386:    pxe.ArchIA32UEFI,
	efiimage.MachineARM:     pxe.ArchARM32UEFI,
	efiimage.MachineRISCV64: pxe.ArchRISCV64UEFI,
}

// FindLoaders lists the boot programs under root (a TFTP root as an
// fs.FS), at most maxDepth directories down: the BIOS ones by name, the
// UEFI ones by name and PE header. A file that only looks like a loader
// (a UEFI name on a file with no PE header of a known machine) is left out.
func FindLoaders(root fs.FS) ([]Loader, error) {
	var out []Loader
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return nil // an unreadable corner of the root is not ours to judge
		}
		if d.IsDir() {
			if p != "." && strings.Count(p, "/")+1 > maxDepth {
				return fs.SkipDir
			}
			return nil
		}
		name := strings.ToLower(d.Name())
		if slices.Contains(biosLoaders, name) {
			out = append(out, Loader{Path: p, Arch: pxe.ArchBIOS})
			return nil
		}
		if rank(p) == len(efiLoaders) {
			return nil
		}
		if arch, ok := efiArch(root, p); ok {
			out = append(out, Loader{Path: p, Arch: arch})
		}
		return nil
	})
	return out, err
}

// efiArch reads the PE header of the file at p.
func efiArch(root fs.FS, p string) (pxe.Arch, bool) {
	f, err := root.Open(p)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	ra, ok := f.(interface {
		ReadAt([]byte, int64) (int, error)
	})
	if !ok {
		return 0, false
	}
	img, err := efiimage.Inspect(ra)
	if err != nil {
		return 0, false
	}
	arch, ok := machineArch[img.Machine]
	return arch, ok
}
