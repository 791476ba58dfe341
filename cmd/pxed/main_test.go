package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/web"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// lab is a lab LAN booting the Debian installer: a BIOS and a UEFI
// loader, a profile, three stations.
const lab = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
boot:
  next_server: 192.168.1.21
  file: pxelinux.0
  profile: debian-installer
  files:
    efi-x64: debian-installer/amd64/grubx64.efi
profiles:
  - name: debian-installer
    kernel: debian-installer/amd64/linux
    initrd: [debian-installer/amd64/initrd.gz]
hosts:
  - {name: station-01, mac: 00:18:e7:42:84:3a, ip: 192.168.1.101}
  - {name: station-02, mac: 00:18:e7:42:85:21, ip: 192.168.1.102}
  - {name: station-03, mac: 00:18:e7:42:7a:3e, ip: 192.168.1.103}
`

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pxed.yaml")
	os.WriteFile(cfg, []byte(lab), 0o644)
	root := filepath.Join(dir, "tftp")
	os.MkdirAll(filepath.Join(root, "debian-installer", "amd64"), 0o755)
	for _, f := range []string{"linux", "initrd.gz", "grubx64.efi"} {
		os.WriteFile(filepath.Join(root, "debian-installer", "amd64", f), []byte("x"), 0o644)
	}
	code, _, stderr := runCLI("check", "--config", cfg, "--tftp-root", root)
	if want := cfg + `:7: boot file "pxelinux.0" is not in the TFTP root ` + root + "\n"; code != 1 || stderr != want {
		t.Errorf("check without pxelinux.0: exit %d, stderr %q, want %q", code, stderr, want)
	}
	os.WriteFile(filepath.Join(root, "pxelinux.0"), []byte("x"), 0o644)
	code, stdout, stderr := runCLI("check", "--config", cfg, "--tftp-root", root)
	if code != 0 || stderr != "" || stdout != cfg+": ok: 1 subnet(s), 3 host(s), tftp root "+root+"\n" {
		t.Errorf("clean check: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestCheckReportsEveryProblemWithLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
hosts:
  - name: a
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.160
  - name: b
    mac: 00:18:E7:42:84:3A
    ip: 10.0.0.1
tftp:
  enabled: false
`), 0o644)
	code, _, stderr := runCLI("check", "--config", cfg)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) < 3 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{cfg + ":8: ", cfg + ":10: ", cfg + ":11: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no problem reported at %q in:\n%s", want, stderr)
		}
	}
	os.WriteFile(cfg, []byte("dhcp:\n  authoritive: true\n"), 0o644)
	code, _, stderr = runCLI("check", "--config", cfg)
	if code != 1 || strings.TrimSpace(stderr) != cfg+`:2: unknown key "authoritive"` {
		t.Errorf("misspelt key: exit %d, stderr %q", code, stderr)
	}
}

func TestLeasesJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j, err := lease.OpenJournal(dir, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	l := lease.Lease{IP: netip.MustParseAddr("192.168.1.101"), MAC: []byte{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}, Hostname: "station-01", State: lease.Bound, Expires: exp}
	if err := j.Commit(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	code, stdout, stderr := runCLI("leases", "--data-dir", dir, "--json")
	var got []web.LeaseJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	want := web.LeaseJSON{MAC: "00:18:e7:42:84:3a", IP: "192.168.1.101", Hostname: "station-01", State: "bound", Expires: exp.UTC(), Active: true}
	if len(got) != 1 || got[0] != want {
		t.Errorf("leases --json = %+v, want [%+v]", got, want)
	}
	code, stdout, _ = runCLI("leases", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "192.168.1.101  00:18:e7:42:84:3a  station-01  bound") {
		t.Errorf("leases table: %q", stdout)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if code, _, stderr := runCLI("frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI("serve"); code != 2 || !strings.Contains(stderr, "--config FILE is required") {
		t.Errorf("serve without config: %d %q", code, stderr)
	}
	if code, stdout, _ := runCLI("version"); code != 0 || !strings.HasPrefix(stdout, "pxed ") {
		t.Errorf("version: %d %q", code, stdout)
	}
}
