package config

import (
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

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
// their PE header names the machine they run on.
func checkedArches() []pxe.Arch {
	return []pxe.Arch{pxe.ArchX64UEFI, pxe.ArchARM64UEFI, pxe.ArchRISCV64UEFI}
}

// peMachineOf is the PE/COFF machine type (PE format, "Machine Types") of
// a's kernels, 0 for an architecture not checked. A kernel of the wrong
// type ends in GRUB's "error: cannot load image" (seen with an arm64
// machine given the amd64 kernel), so `pxed check` says so first.
func peMachineOf(a pxe.Arch) uint16 {
	switch a {
	case pxe.ArchX64UEFI:
		return 0x8664
	case pxe.ArchARM64UEFI:
		return 0xaa64
	case pxe.ArchRISCV64UEFI:
		return 0x5064
	}
	return 0
}

func machineName(m uint16) string {
	for _, a := range checkedArches() {
		if peMachineOf(a) == m {
			return strings.TrimPrefix(a.String(), "efi-")
		}
	}
	return fmt.Sprintf("PE machine %#x", m)
}

// peMachine reads the machine type of the PE image name in root; ok is
// false for a file that is no PE image (a kernel without an EFI stub).
func peMachine(root *os.Root, name string) (uint16, bool) {
	f, err := root.Open(path.Clean(strings.TrimLeft(name, "/")))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var dos [64]byte
	if _, err := f.ReadAt(dos[:], 0); err != nil || dos[0] != 'M' || dos[1] != 'Z' {
		return 0, false
	}
	var pe [6]byte
	if _, err := f.ReadAt(pe[:], int64(binary.LittleEndian.Uint32(dos[0x3c:]))); err != nil || string(pe[:4]) != "PE\x00\x00" {
		return 0, false
	}
	return binary.LittleEndian.Uint16(pe[4:]), true
}

// kernelArch checks k against the machines that boot it: an entry's
// kernel against its architecture; the profile's own kernel, when it is
// the network-wide profile (boot.profile), against every architecture the
// network-wide boot.files gives a loader and the profile no entry. Other
// scopes may well keep one architecture apart, so they are not judged.
func (v *validator) kernelArch(root *os.Root, k kernelFile, loaders map[pxe.Arch]bool) {
	m, ok := peMachine(root, k.name)
	if !ok {
		return
	}
	if !k.own {
		if want := peMachineOf(k.arch); want != 0 && m != want {
			v.add(k.path, "profile %q: the %s kernel %s is an %s kernel", k.profile, k.arch, k.name, machineName(m))
		}
		return
	}
	if k.profile != v.c.Boot.Profile {
		return
	}
	for _, a := range checkedArches() {
		if loaders[a] && !slices.Contains(k.covered, a) && m != peMachineOf(a) {
			v.add(k.path, "profile %q: %s machines (boot.files.%s) would boot %s, an %s kernel: give them their own (profiles[].arch.%s)", k.profile, a, a, k.name, machineName(m), a)
		}
	}
}
