package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKernelArchitecture checks that pxed check refuses a kernel of the
// wrong architecture: an entry's kernel built for another machine, and the
// network-wide profile's own kernel for an architecture the network-wide
// boot.files gives a loader and the profile no entry.
func TestKernelArchitecture(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for name, data := range map[string][]byte{
		"amd64/linux": peImage(0x8664, false), "arm64/linux": peImage(0xaa64, false), "plain/vmlinuz": []byte("no PE header"),
		"grubx64.efi": peImage(0x8664, false), "grubaa64.efi": peImage(0xaa64, false),
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
`, want: []string{`pxed.yaml:11: profile "d-i": efi-arm64 machines (boot.files.efi-arm64) would boot amd64/linux, an AMD64 (x64) kernel: give them their own (profiles[].arch.efi-arm64)`}},
		{name: "an entry's kernel of another architecture", profiles: `
  - name: d-i
    kernel: amd64/linux
    arch:
      efi-arm64: {kernel: amd64/linux}
`, want: []string{`pxed.yaml:13: profile "d-i": the efi-arm64 kernel amd64/linux is an AMD64 (x64) kernel`}},
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
