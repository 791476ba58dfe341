package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
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

func TestCheckSeed(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "debian-installer", "amd64"), 0o755)
	for _, f := range []string{"linux", "initrd.gz", "grubx64.efi"} {
		os.WriteFile(filepath.Join(root, "debian-installer", "amd64", f), []byte("x"), 0o644)
	}
	seed := "../../examples/seed.yaml"
	code, _, stderr := runCLI("check", "--config", seed, "--tftp-root", root)
	if code != 1 || !regexp.MustCompile(`^\.\./\.\./examples/seed\.yaml:\d+: .*pxelinux\.0`).MatchString(stderr) {
		t.Errorf("check without pxelinux.0: exit %d, stderr %q", code, stderr)
	}
	os.WriteFile(filepath.Join(root, "pxelinux.0"), []byte("x"), 0o644)
	code, stdout, stderr := runCLI("check", "--config", seed, "--tftp-root", root)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "ok: 1 subnet(s), 3 host(s)") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("clean check: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestCheckReportsEveryProblemWithLine(t *testing.T) {
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
