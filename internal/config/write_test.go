package config

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestYAMLRoundTrip writes configurations as YAML and reads them back: the
// result must equal the original, and only what differs from the defaults
// may be written.
func TestYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	lan, err := os.ReadFile("testdata/lan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, src string
		want      []string // lines the output must hold
		not       []string // and must not
	}{
		{name: "lan", src: string(lan), want: []string{"interfaces: [br0]", "  profile: debian-installer", "    efi-x64: debian-installer/amd64/grubx64.efi"}},
		{name: "defaults only", src: "# nothing\n", not: []string{"tftp:", "data_dir:", "log:"}},
		{
			name: "switches set off and durations",
			src:  "tftp: {enabled: false, timeout: 1s}\ndhcp: {enabled: false, lease_time: 90m, offer_hold: 45s}\n",
			want: []string{"  enabled: false", "  lease_time: 1h30m", "  offer_hold: 45s"},
			not:  []string{"timeout:"}, // 1s is the default
		},
		{
			name: "options and empty boot",
			src:  "hosts:\n  - {name: a, mac: 00:00:00:00:00:01, boot: {}, options: [{code: 19, bool: false}, {code: 43, hex: '01:02'}]}\n",
			want: []string{"    boot: {}", "      - {code: 19, bool: false}", `      - {code: 43, hex: "01:02"}`},
		},
		{
			name: "profile with per-architecture files",
			src:  "profiles:\n  - name: d-i\n    kernel: amd64/linux\n    cmdline: console={{.Console}}\n    arch:\n      efi-arm64: {kernel: arm64/linux, initrd: [arm64/initrd.gz], console: ttyAMA0}\n      efi-riscv64: {kernel: riscv64/linux}\n",
			want: []string{"    arch:", "      efi-arm64:", "        kernel: arm64/linux", "        initrd: [arm64/initrd.gz]", "        console: ttyAMA0", "      efi-riscv64:"},
			not:  []string{"cmdline: \"\""},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, err := Parse("in.yaml", []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			y, err := in.YAML()
			if err != nil {
				t.Fatal(err)
			}
			out, err := Parse("in.yaml", y)
			if err != nil {
				t.Fatalf("written YAML does not parse: %v\n%s", err, y)
			}
			if diff := cmp.Diff(in, out, cmpConfig...); diff != "" {
				t.Errorf("read back differently (-in +out):\n%s\n%s", diff, y)
			}
			lines := strings.Split(string(y), "\n")
			for _, w := range c.want {
				if !slices.Contains(lines, w) {
					t.Errorf("no line %q in:\n%s", w, y)
				}
			}
			for _, n := range c.not {
				if strings.Contains(string(y), n) {
					t.Errorf("%q written, though it is the default:\n%s", n, y)
				}
			}
		})
	}
}
