package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/pxe"
)

func TestProfileByNameHasLocal(t *testing.T) {
	t.Parallel()
	if p, ok := (&Config{}).ProfileByName(LocalProfile); !ok || p.Name != LocalProfile || p.Kernel != "" {
		t.Errorf("built-in local profile: %+v, %v", p, ok)
	}
	if _, ok := (&Config{}).ProfileByName("rescue"); ok {
		t.Error("an undefined profile was found")
	}
}

// TestProfileForArch checks what one multi-architecture profile boots on
// each kind of machine: its own fields on x64 and BIOS, the efi-arm64 entry
// on arm64 whether its firmware asked by PXE (11) or HTTP Boot (19), and a
// console always set.
func TestProfileForArch(t *testing.T) {
	t.Parallel()
	p := &Profile{
		Name:    "d-i",
		Kernel:  "amd64/linux",
		Initrd:  []string{"amd64/initrd.gz"},
		Cmdline: "console={{.Console}} ---",
		Arch: map[string]ProfileArch{
			"efi-arm64": {Kernel: "arm64/linux", Initrd: []string{"arm64/initrd.gz"}},
			"27":        {Kernel: "riscv64/linux", Console: "ttySIF0", Cmdline: "earlycon console={{.Console}}"},
		},
	}
	base := Profile{Name: "d-i", Kernel: "amd64/linux", Initrd: []string{"amd64/initrd.gz"}, Cmdline: "console={{.Console}} ---", Console: "ttyS0,115200"}
	arm := Profile{Name: "d-i", Kernel: "arm64/linux", Initrd: []string{"arm64/initrd.gz"}, Cmdline: "console={{.Console}} ---", Console: "ttyAMA0"}
	for _, tc := range []struct {
		arch  pxe.Arch
		known bool
		want  Profile
	}{
		{pxe.ArchBIOS, true, base},
		{pxe.ArchX64UEFI, true, base},
		{pxe.ArchX64HTTP, true, base},
		{pxe.ArchARM64UEFI, true, arm},
		{pxe.ArchARM64HTTP, true, arm},
		{pxe.ArchARM64UEFI, false, base}, // unknown: the profile's own, PC console
		{pxe.ArchARM32UEFI, true, func() Profile { b := base; b.Console = "ttyAMA0"; return b }()},
		{pxe.ArchRISCV64HTTP, true, Profile{Name: "d-i", Kernel: "riscv64/linux", Cmdline: "earlycon console={{.Console}}", Console: "ttySIF0"}},
	} {
		if diff := cmp.Diff(tc.want, p.ForArch(tc.arch, tc.known)); diff != "" {
			t.Errorf("ForArch(%s, %v) (-want +got):\n%s", tc.arch, tc.known, diff)
		}
	}
	// The profile's own console wins over the architecture's default; an
	// entry's console over the profile's.
	p.Console = "ttyS1"
	if got := p.ForArch(pxe.ArchX64UEFI, true).Console; got != "ttyS1" {
		t.Errorf("profile console: got %q", got)
	}
	p.Arch["efi-arm64"] = ProfileArch{Kernel: "arm64/linux", Console: "ttyAMA1"}
	if got := p.ForArch(pxe.ArchARM64HTTP, true); got.Console != "ttyAMA1" || got.Initrd != nil {
		t.Errorf("entry console or initrd: got %+v", got)
	}
}
