package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/cmdline"
)

// TestValidateSAN: what pxed check says of SAN profiles, each problem at
// its line.
func TestValidateSAN(t *testing.T) {
	t.Parallel()
	got, _ := validate(t, `profiles:
  - name: san
    san: {target: "iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}}"}
  - name: install-onto-san
    kernel: d-i/linux
    initrd: [d-i/initrd.gz]
    san: {target: "iscsi:[2001:db8:1::21]::3261::iqn.2026-12.lan.test:{{.MAC}}", hook: true}
  - name: no-target
    san: {hook: false}
  - name: bad-template
    san:
      target: "iscsi:{{.Servr}}::::iqn.2026-12.lan.test:x"
  - name: not-iscsi
    san:
      target: "{{.Server}}:/srv/root"
  - name: bad-lun
    san:
      target: "iscsi:{{.Server}}:::lun1:iqn.2026-12.lan.test:{{.Hostname}}"
  - name: no-name
    san:
      target: "iscsi:{{.Server}}::::"
  - name: hook-without-kernel
    san:
      target: "iscsi:{{.Server}}::::iqn.2026-12.lan.test:x"
      hook: true
  - name: kernel-without-hook
    kernel: d-i/linux
    san:
      target: "iscsi:{{.Server}}::::iqn.2026-12.lan.test:x"
  - name: root-path-and-san
    root_path: "{{.Server}}:/srv/root"
    san:
      target: "iscsi:{{.Server}}::::iqn.2026-12.lan.test:x"
dhcp: {enabled: false}
`)
	want := []string{
		`pxed.yaml:9: profile "no-target" san has no target: give an iSCSI root path, iscsi:<server>:<protocol>:<port>:<LUN>:<target name> (RFC 4173)`,
		`pxed.yaml:12: profile "bad-template" san target: cmdline:1:8: executing "cmdline" at <.Servr>: map has no entry for key "Servr" (facts: MAC, IP, Hostname, Server, ServerHost, Arch, Console, UUID, HTTPBase, CallbackURL, MachineID, Agent, LogHost, LogPort)`,
		`pxed.yaml:15: profile "not-iscsi": san target "192.168.1.21:/srv/root": "192.168.1.21:/srv/root" does not start with "iscsi:"`,
		`pxed.yaml:18: profile "bad-lun": san target "iscsi:192.168.1.21:::lun1:iqn.2026-12.lan.test:station-01": LUN "lun1": write it in hexadecimal, up to four groups of up to four digits separated by "-" (1, 4752-3a4b)`,
		`pxed.yaml:21: profile "no-name": san target "iscsi:192.168.1.21::::": no target name: RFC 4173 §5 requires the target's iSCSI name (iqn.…)`,
		`pxed.yaml:25: profile "hook-without-kernel" san hook attaches the disk and then boots the profile's kernel, but it has none`,
		`pxed.yaml:28: profile "kernel-without-hook" boots its SAN disk, so its kernel, initrds and command line would never be used: remove them, or set san.hook: true to attach the disk and boot the kernel`,
		`pxed.yaml:32: profile "root-path-and-san" has a root_path and a san: its root path (DHCP option 17) is the SAN target; remove root_path`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestSANRootPath(t *testing.T) {
	t.Parallel()
	s := &SAN{Target: "iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}}"}
	f := cmdline.Facts{Server: "192.168.1.21", Hostname: "station-02"}
	got, err := s.RootPath(f)
	if err != nil || got != "iscsi:192.168.1.21:::1:iqn.2026-12.lan.test:station-02" {
		t.Errorf("RootPath = %q, %v", got, err)
	}
	// A machine without a host entry has no host name: its target would
	// have no name, and is refused rather than sent.
	if got, err := s.RootPath(cmdline.Facts{Server: "192.168.1.21"}); err == nil {
		t.Errorf("RootPath without a host name = %q, want an error", got)
	}
}
