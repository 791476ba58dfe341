package config

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pe is the start of a PE image for machine m: the DOS header's e_lfanew
// at 0x3c pointing at "PE\0\0" and the COFF machine field, as in the
// EFI stub of Debian's amd64 and arm64 kernels.
func pe(m uint16) []byte {
	b := make([]byte, 0x80)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x44:], m)
	return b
}

// TestKernelArchitecture checks that pxed check refuses a kernel of the
// wrong architecture: an entry's kernel built for another machine, and the
// network-wide profile's own kernel for an architecture the network-wide
// boot.files gives a loader and the profile no entry.
func TestKernelArchitecture(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for name, data := range map[string][]byte{
		"amd64/linux": pe(0x8664), "arm64/linux": pe(0xaa64), "plain/vmlinuz": []byte("no PE header"),
		"grubx64.efi": pe(0x8664), "grubaa64.efi": pe(0xaa64),
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, profiles string
		want           []string
	}{
		{name: "each architecture its own kernel", profiles: `
  - name: d-i
    kernel: amd64/linux
    arch:
      efi-arm64: {kernel: arm64/linux}
`},
		{name: "arm64 machines given the x64 kernel", profiles: `
  - name: d-i
    kernel: amd64/linux
`, want: []string{`pxed.yaml:11: profile "d-i": efi-arm64 machines (boot.files.efi-arm64) would boot amd64/linux, an x64 kernel: give them their own (profiles[].arch.efi-arm64)`}},
		{name: "an entry's kernel of another architecture", profiles: `
  - name: d-i
    kernel: amd64/linux
    arch:
      efi-arm64: {kernel: amd64/linux}
`, want: []string{`pxed.yaml:13: profile "d-i": the efi-arm64 kernel amd64/linux is an x64 kernel`}},
		{name: "a kernel without a PE header is not judged", profiles: `
  - name: d-i
    kernel: plain/vmlinuz
`},
		{name: "a profile not used network-wide is not judged", profiles: `
  - name: d-i
    kernel: amd64/linux
    arch:
      efi-arm64: {kernel: arm64/linux}
  - name: x64-rescue
    kernel: amd64/linux
`},
	} {
		src := "dhcp: {enabled: false}\nboot:\n  profile: d-i\n  files:\n    efi-x64: grubx64.efi\n    efi-arm64: grubaa64.efi\ntftp:\n  root: " + root + "\nprofiles:" + tc.profiles
		c, err := Parse("pxed.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range c.Validate() {
			got = append(got, p.Error())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
