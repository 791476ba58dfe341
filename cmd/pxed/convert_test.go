package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pxed/pxed/internal/config"
)

// labConf is a lab LAN as a dhcpd.conf: a BIOS and a UEFI boot file by
// PXE class, one subnet with a pool, three stations.
const labConf = `authoritative;
default-lease-time 43200;
class "uefi-x64" {
  match if substring(option vendor-class-identifier, 0, 20) = "PXEClient:Arch:00007";
  filename "debian-installer/amd64/grubx64.efi";
}
class "pxeclients" {
  match if substring(option vendor-class-identifier, 0, 9) = "PXEClient";
  next-server 192.168.1.21;
  filename "pxelinux.0";
}
subnet 192.168.1.0 netmask 255.255.255.0 {
  option domain-name "test.lan";
  range 192.168.1.150 192.168.1.199;
}
host station-01 { hardware ethernet 00:18:E7:42:84:3A; fixed-address 192.168.1.101; }
host station-02 { hardware ethernet 00:18:E7:42:85:21; fixed-address 192.168.1.102; }
host station-03 { hardware ethernet 00:18:E7:42:7A:3E; fixed-address 192.168.1.103; }
`

// TestConvertRoundTrip converts a dhcpd.conf, saves the YAML as an operator
// would, and checks that pxed reads it as the same configuration as the
// dhcpd.conf itself; then that check accepts the dhcpd.conf directly.
func TestConvertRoundTrip(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "dhcpd.conf")
	if err := os.WriteFile(conf, []byte(labConf), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI("convert", conf)
	if code != 0 || stderr != "" {
		t.Fatalf("convert: exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "# pxed configuration converted by pxed convert from "+conf+".\n") {
		t.Errorf("output does not say where it comes from:\n%s", stdout)
	}
	yml := filepath.Join(t.TempDir(), "pxed.yaml")
	if err := os.WriteFile(yml, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	fromYAML, err := loadConfig(yml)
	if err != nil {
		t.Fatalf("converted YAML: %v\n%s", err, stdout)
	}
	fromISC, err := loadConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{cmpopts.IgnoreUnexported(config.Config{}), cmpopts.IgnoreFields(config.Config{}, "File"), cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}
	if diff := cmp.Diff(fromISC, fromYAML, opts...); diff != "" {
		t.Errorf("YAML from pxed convert reads differently from the dhcpd.conf (-dhcpd.conf +yaml):\n%s", diff)
	}
	if code, again, _ := runCLI("convert", conf); code != 0 || again != stdout {
		t.Errorf("a second conversion printed something else:\n%s", again)
	}

	root := t.TempDir()
	for _, f := range []string{"pxelinux.0", "debian-installer/amd64/grubx64.efi"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644)
	}
	code, stdout, stderr = runCLI("check", "--config", conf, "--tftp-root", root)
	if code != 0 || !strings.Contains(stdout, "ok: 1 subnet(s), 3 host(s)") {
		t.Errorf("check of the dhcpd.conf: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestConvertAndCheckNameTheLine checks that convert and check report
// problems in a dhcpd.conf at its lines: check the same validation as for
// YAML, both the statements pxed does not read.
func TestConvertAndCheckNameTheLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "dhcpd.conf")
	os.WriteFile(conf, []byte(`authoritative;
subnet 192.168.1.0 netmask 255.255.255.0 {
  range 192.168.1.150 192.168.1.199;
}
host a { hardware ethernet 00:18:e7:42:84:3a; fixed-address 192.168.1.101; }
host b { hardware ethernet 00:18:e7:42:85:21; fixed-address 192.168.1.101; }
`), 0o644)
	code, _, stderr := runCLI("check", "--config", conf, "--tftp-root", dir)
	if want := conf + `:6: host "b" has the same IP 192.168.1.101 as host "a" (line 5)` + "\n"; code != 1 || stderr != want {
		t.Errorf("check: exit %d, stderr %q, want %q", code, stderr, want)
	}
	os.WriteFile(conf, []byte("authoritative\nsubnet 192.168.1.0 netmask 255.255.255.0 { }\nshared-network x { }\n"), 0o644)
	for _, cmd := range [][]string{{"convert", conf}, {"check", "--config", conf, "--tftp-root", dir}} {
		code, stdout, stderr := runCLI(cmd...)
		want := conf + `:1: expected ';' after authoritative, got "subnet"` + "\n" +
			conf + ":3: shared-network is not supported by pxed (see docs/dhcpd-conf.md for the statements it reads)\n"
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q, want %q", cmd[0], code, stdout, stderr, want)
		}
	}
	if code, _, stderr := runCLI("convert"); code != 2 || !strings.Contains(stderr, "give one dhcpd.conf") {
		t.Errorf("convert without a file: exit %d, %q", code, stderr)
	}
}

// TestCheckDhcpdConfEveryProblem: pxed check on a dhcpd.conf with a syntax
// error still validates the rest, and prints every problem in the order of
// the lines: here the missing ';' and the address two hosts share, which
// it used to hide. convert, which does not validate, reports the first.
func TestCheckDhcpdConfEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "dhcpd.conf")
	os.WriteFile(conf, []byte(`subnet 192.168.1.0 netmask 255.255.255.0 {
  range 192.168.1.150 192.168.1.199;
  authoritative;
}
host a {
  hardware ethernet 00:18:e7:42:84:3a
  fixed-address 192.168.1.101;
}
host b { hardware ethernet 00:18:e7:42:85:21; fixed-address 192.168.1.101; }
host c { hardware ethernet 00:18:e7:42:85:21; fixed-address 192.168.1.160; }
`), 0o644)
	code, stdout, stderr := runCLI("check", "--config", conf, "--tftp-root", dir)
	want := conf + `:6: expected ';' after hardware ethernet 00:18:e7:42:84:3a, got "fixed-address"` + "\n" +
		conf + `:9: host "b" has the same IP 192.168.1.101 as host "a" (line 7)` + "\n" +
		conf + `:10: host "c" has the same MAC 00:18:e7:42:85:21 as host "b" (line 9)` + "\n" +
		conf + `:10: host "c" IP 192.168.1.160 is inside the dynamic pool 192.168.1.150-192.168.1.199 (line 2)` + "\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("check: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, stdout, stderr, want)
	}
	code, stdout, stderr = runCLI("convert", conf)
	if want := conf + `:6: expected ';' after hardware ethernet 00:18:e7:42:84:3a, got "fixed-address"` + "\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("convert: exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
	}
}

// TestLoadConfigByContent checks that serve and check read a dhcpd.conf by
// its content whatever the file is called, and YAML likewise, and that an
// unreadable file says so.
func TestLoadConfigByContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "pxed.yaml") // a misleading name on purpose
	os.WriteFile(conf, []byte("subnet 192.168.1.0 netmask 255.255.255.0 {\n  range 192.168.1.10 192.168.1.20\n}\n"), 0o644)
	_, err := loadConfig(conf)
	if want := conf + `:2: expected ';' after range 192.168.1.10 192.168.1.20, got "}"`; err == nil || err.Error() != want {
		t.Errorf("loadConfig of a broken dhcpd.conf: %v, want %s", err, want)
	}
	yml := filepath.Join(dir, "dhcpd.conf")
	os.WriteFile(yml, []byte("dhcp:\n  authoritative: true\n"), 0o644)
	if c, err := loadConfig(yml); err != nil || !c.DHCP.Authoritative {
		t.Errorf("loadConfig of YAML named dhcpd.conf: %v", err)
	}
	os.WriteFile(yml, []byte("log:\n  levle: debug\n"), 0o644)
	if _, err := loadConfig(yml); err == nil || err.Error() != yml+`:2: unknown key "levle"` {
		t.Errorf("loadConfig of a misspelt key: %v", err)
	}
	if _, err := loadConfig(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "reading config: ") {
		t.Errorf("loadConfig(missing) = %v, want a reading config error", err)
	}
}

// TestConvertDNSUpdates: a dhcpd.conf's DDNS statements become
// dns_updates, and its TSIG key a file of its own, never the YAML: --keys
// writes it (mode 0600) where key_file points, and pxed check reads it
// there; without --keys, stderr says where it is to go. A file holding
// another key is not overwritten.
func TestConvertDNSUpdates(t *testing.T) {
	t.Parallel()
	const secret = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
	dir := t.TempDir()
	conf := filepath.Join(dir, "dhcpd.conf")
	src := labConf + `ddns-update-style standard;
ddns-ttl 600;
key ddns-key { algorithm hmac-sha256; secret "` + secret + `"; };
zone test.lan. { primary 192.168.1.21; key ddns-key; }
zone 1.168.192.in-addr.arpa. { primary 192.168.1.21; key ddns-key; }
`
	if err := os.WriteFile(conf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI("convert", conf)
	wantNote := conf + `:21: the TSIG key "ddns-key" is not put in the YAML: dns_updates.key_file names ` + filepath.Join(dir, "ddns-key.key")
	if code != 0 || !strings.HasPrefix(stderr, wantNote) || strings.Contains(stdout, secret) {
		t.Errorf("convert without --keys: exit %d, stderr %q (want %q first)", code, stderr, wantNote)
	}

	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o700)
	code, stdout, stderr = runCLI("convert", "--keys", keys, conf)
	if code != 0 {
		t.Fatalf("convert --keys: exit %d, stderr %q", code, stderr)
	}
	keyFile := filepath.Join(keys, "ddns-key.key")
	if strings.Contains(stdout, secret) || !strings.Contains(stdout, "key_file: "+keyFile+"\n") {
		t.Errorf("YAML (want key_file %s, no secret):\n%s", keyFile, stdout)
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keyFile, fi.Mode().Perm())
	}
	key, _ := os.ReadFile(keyFile)
	if want := "key \"ddns-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + secret + "\";\n};\n"; string(key) != want {
		t.Errorf("%s:\n%s\nwant:\n%s", keyFile, key, want)
	}
	yml := filepath.Join(dir, "pxed.yaml")
	os.WriteFile(yml, []byte(stdout), 0o644)
	cfg, err := loadConfig(yml)
	if err != nil {
		t.Fatalf("converted YAML: %v\n%s", err, stdout)
	}
	d := cfg.DNSUpdates
	if d.ForwardZone != "test.lan" || d.TTL != 600 || len(d.ReverseZones) != 1 || len(d.Servers) != 1 || d.Servers[0] != "192.168.1.21" {
		t.Errorf("dns_updates: %+v", d)
	}
	root := t.TempDir()
	for _, f := range []string{"pxelinux.0", "debian-installer/amd64/grubx64.efi"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644)
	}
	if code, stdout, stderr := runCLI("check", "--config", yml, "--tftp-root", root); code != 0 {
		t.Errorf("check of the converted YAML: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// Again: the same key is there, fine. Another key: left alone.
	if code, _, stderr := runCLI("convert", "--keys", keys, conf); code != 0 {
		t.Errorf("a second convert --keys: exit %d, stderr %q", code, stderr)
	}
	os.WriteFile(keyFile, []byte("key \"ddns-key\" { algorithm hmac-sha256; secret \"AAAA\"; };\n"), 0o600)
	if code, _, stderr := runCLI("convert", "--keys", keys, conf); code == 0 || !strings.Contains(stderr, "not overwritten") {
		t.Errorf("convert --keys over another key: exit %d, stderr %q", code, stderr)
	}
	if got, _ := os.ReadFile(keyFile); !strings.Contains(string(got), "AAAA") {
		t.Errorf("the other key was overwritten: %s", got)
	}
}
