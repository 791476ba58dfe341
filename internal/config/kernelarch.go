package config

import (
	"os"
	"slices"

	"github.com/pxed/pxed/internal/efiimage"
	"github.com/pxed/pxed/internal/pxe"
)

// kernelFile is a profile's kernel that Validate checks against the
// machines that boot it: those of arch for an entry of profiles[].arch,
// every machine with a loader and no entry of its own for the profile's
// kernel (own, with the entries' architectures in covered).
type kernelFile struct {
	path, name, profile string
	arch                pxe.Arch
	own                 bool
	covered             []pxe.Arch
}

// checkedArches are the UEFI architectures whose Linux kernels carry an
// EFI stub, as both Debian's amd64 bzImage and arm64 Image do, so that
// their PE header names the machine they run on. A kernel of the wrong
// machine ends in GRUB's "error: cannot load image" (seen with an arm64
// machine given the amd64 kernel), so `pxed check` says so first.
func checkedArches() []pxe.Arch {
	return []pxe.Arch{pxe.ArchX64UEFI, pxe.ArchARM64UEFI, pxe.ArchRISCV64UEFI}
}

// kernelMachine reads the machine type of the PE image name in root; ok
// is false for a file that is no PE image (a kernel without an EFI stub).
func kernelMachine(root *os.Root, name string) (efiimage.Machine, bool) {
	f, err := root.Open(rootName(name))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	img, err := efiimage.Inspect(f)
	return img.Machine, err == nil
}

// kernelArch checks k against the machines that boot it: an entry's
// kernel against its architecture; the profile's own kernel, when it is
// the network-wide profile (boot.profile), against every architecture the
// network-wide boot.files gives a loader and the profile no entry. Other
// scopes may well keep one architecture apart, so they are not judged.
func (v *validator) kernelArch(root *os.Root, k kernelFile, loaders map[pxe.Arch]bool) {
	m, ok := kernelMachine(root, k.name)
	if !ok {
		return
	}
	if !k.own {
		if want, known := peMachines[k.arch]; known && m != want {
			v.add(k.path, "profile %q: the %s kernel %s is an %s kernel", k.profile, k.arch, k.name, m)
		}
		return
	}
	if k.profile != v.c.Boot.Profile {
		return
	}
	for _, a := range checkedArches() {
		if loaders[a] && !slices.Contains(k.covered, a) && m != peMachines[a] {
			v.add(k.path, "profile %q: %s machines (boot.files.%s) would boot %s, an %s kernel: give them their own (profiles[].arch.%s)", k.profile, a, a, k.name, m, a)
		}
	}
}
