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

	"github.com/google/go-cmp/cmp"

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

// TestLeasesJSON: `pxed leases` lists the journal's DHCPv4 and DHCPv6
// leases, as JSON and as a table; a DHCPv6 lease shows its family, DUID and
// IAID, and a dash for a MAC pxed does not know.
func TestLeasesJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j, err := lease.OpenJournal(dir, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	duid := []byte{0, 4, 0xd7, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8}
	for _, l := range []lease.Lease{
		{IP: netip.MustParseAddr("192.168.1.101"), MAC: []byte{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}, Hostname: "station-01", State: lease.Bound, Expires: exp},
		{IP: netip.MustParseAddr("2001:db8:1::1000"), ClientID: append(append([]byte("v6:"), duid...), 0, 0, 0, 7), State: lease.Bound, Expires: exp},
	} {
		if err := j.Commit(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	defer j.Close()
	code, stdout, stderr := runCLI("leases", "--data-dir", dir, "--json")
	var got []web.LeaseJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	seven := uint32(7)
	want := []web.LeaseJSON{
		{MAC: "00:18:e7:42:84:3a", IP: "192.168.1.101", Family: "ipv4", Hostname: "station-01", State: "bound", Expires: exp.UTC(), Active: true},
		{IP: "2001:db8:1::1000", Family: "ipv6", DUID: "0004d71a2b3c4d5e6f708192a3b4c5d6e7f8", IAID: &seven, State: "bound", Expires: exp.UTC(), Active: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leases --json (-want +got):\n%s", diff)
	}
	code, stdout, _ = runCLI("leases", "--data-dir", dir)
	for _, row := range []string{
		"192.168.1.101     ipv4    00:18:e7:42:84:3a  station-01  bound",
		"2001:db8:1::1000  ipv6    -                  -           bound",
		"0004d71a2b3c4d5e6f708192a3b4c5d6e7f8/7",
	} {
		if code != 0 || !strings.Contains(stdout, row) {
			t.Errorf("leases table lacks %q:\n%s", row, stdout)
		}
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
