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

// TestCheckDHCP6Lines: every problem of a bad dhcp6 section, of hosts'
// ip6 and of ipv6.advertise is reported at its FILE:LINE, values the YAML
// reader refuses as well as those Validate does, and an unknown key too.
func TestCheckDHCP6Lines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad6.yaml")
	write := func(y string) {
		if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`interfaces: [br0]
dhcp6:
  lease_time: -5s
  rate_global: -3
  subnets:
    - prefix: 2001:db8:1::/64
      pools:
        - 2001:db8:1::1000-2001:db8:1::1fff
        - {start: "2001:db8:2::1", end: "2001:db8:2::5"}
      dns_servers: ["ff02::1"]
    - prefix: 2001:db8:1::/48
    - pools: ["2001:db8:9::1-2001:db8:9::2"]
hosts:
  - name: a
    mac: 02:00:00:00:00:01
    ip6: 2001:db8:1::1001
  - name: b
    mac: 02:00:00:00:00:02
    ip6: 2001:db8:7::1
ipv6:
  advertise:
    - interface: br0
      prefixes: [fe80::/64]
tftp:
  root: ` + dir + ` # the test's own: the default, /srv/tftp, is this machine's business
`)
	code, _, stderr := runCLI("check", "--config", cfg)
	want := []string{
		cfg + `:3: lease_time -5s is negative`,
		cfg + `:4: rate_global -3 must be 0 (no global limit) or a positive number of requests per second`,
		cfg + `:9: pool 2001:db8:2::1-2001:db8:2::5 is not inside prefix 2001:db8:1::/64`,
		cfg + `:10: DNS server ff02::1 is not a unicast address`,
		cfg + `:11: prefix 2001:db8:1::/48 overlaps prefix 2001:db8:1::/64 (line 6)`,
		cfg + `:12: subnet has no prefix`,
		cfg + `:16: host "a" ip6 2001:db8:1::1001 is inside the dynamic pool 2001:db8:1::1000-2001:db8:1::1fff (line 8)`,
		cfg + `:19: host "b" ip6 2001:db8:7::1 is in no dhcp6 subnet`,
		cfg + `:23: prefix fe80::/64 is not one to advertise on a link`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(stderr), "\n")); code != 1 || diff != "" {
		t.Errorf("exit %d, problems (-want +got):\n%s", code, diff)
	}

	for _, c := range []struct{ yaml, want string }{
		{"dhcp6:\n  subnets:\n    - prefix: 10.0.0.0/8\n", cfg + `:3: "10.0.0.0/8" is not an IPv6 prefix like 2001:db8:1::/64`},
		{"dhcp6:\n  subnets:\n    - prefix: 2001:db8:1::/64\n      pools: [2001:db8:1::9-2001:db8:1::1]\n", cfg + `:4: pool 2001:db8:1::9-2001:db8:1::1 ends before it starts`},
		{"dhcp6:\n  rapid_comit: true\n", cfg + `:2: unknown key "rapid_comit"`},
		{"hosts:\n  - name: a\n    mac: 02:00:00:00:00:01\n    ip6: 192.168.1.1\n", cfg + `:4: "192.168.1.1" is not an IPv6 address`},
	} {
		write(c.yaml)
		if code, _, stderr := runCLI("check", "--config", cfg); code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.yaml, code, stderr, c.want)
		}
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
