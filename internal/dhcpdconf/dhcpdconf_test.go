package dhcpdconf

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pxed/pxed/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var cmpConfig = []cmp.Option{
	cmpopts.IgnoreUnexported(config.Config{}),
	cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}),
}

func ptr[T any](v T) *T { return &v }

// TestCorpus reads every dhcpd.conf under testdata. One that parses is
// converted: NAME.yaml holds the expected YAML, and that YAML read back
// must give the same Config. One that does not parse, or that Validate
// finds problems in, has its expected messages in NAME.err. A golden file
// that should not exist is an error too, so a broken file cannot pass by
// parsing. -update rewrites the golden files.
func TestCorpus(t *testing.T) {
	t.Parallel()
	confs, err := filepath.Glob("testdata/*.conf")
	if err != nil || len(confs) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			if !LooksLike(data) {
				t.Errorf("LooksLike(%s) = false", conf)
			}
			yamlOut, errOut := convert(t, filepath.Base(conf), data)
			golden(t, strings.TrimSuffix(conf, ".conf")+".yaml", yamlOut)
			golden(t, strings.TrimSuffix(conf, ".conf")+".err", errOut)
		})
	}
}

// convert reads a dhcpd.conf and returns what pxed convert would print (the
// YAML, once it is checked to read back as the same Config) or, when it
// does not parse or does not validate, the messages, all of them.
func convert(t *testing.T, file string, data []byte) (yamlOut, errOut string) {
	t.Helper()
	c, read := Read(file, data)
	if len(read) > 0 {
		// What pxed check prints: the problems of reading and those
		// Validate finds in what was read.
		if _, err := Parse(file, data); err == nil {
			t.Errorf("Read reports problems, Parse none")
		}
		c.TFTP.Enabled = ptr(false)
		for _, p := range Problems(c, read) {
			errOut += p.Error() + "\n"
		}
		return "", errOut
	}
	y, err := c.YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	back, err := config.Parse(file, y)
	if err != nil {
		t.Fatalf("converted YAML does not parse: %v\n%s", err, y)
	}
	if diff := cmp.Diff(c, back, cmpConfig...); diff != "" {
		t.Errorf("converted YAML reads back as another Config (-dhcpd.conf +yaml):\n%s", diff)
	}
	// TFTP off: the boot files live in no TFTP root here.
	c.TFTP.Enabled = ptr(false)
	for _, p := range c.Validate() {
		errOut += p.Error() + "\n"
	}
	return string(y), errOut
}

// golden compares got with the file at path; "" means the file must not
// exist. With -update it writes (or removes) the file instead.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err) && got == "":
	case os.IsNotExist(err):
		t.Errorf("%s does not exist; got:\n%s(run go test ./internal/dhcpdconf -run TestCorpus -update)", path, got)
	case err != nil:
		t.Fatal(err)
	default:
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s differs (-want +got):\n%s", path, diff)
		}
	}
}

func TestLooksLike(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"# comment\n\nsubnet 10.0.0.0 netmask 255.0.0.0 {}\n", true},
		{"authoritative;\n", true},
		{"  host a {\n", true},
		{"option domain-name \"x\";\n", true},
		{"class \"pxeclients\" {\n", true},
		{"dhcp:\n  authoritative: true\n", false},
		{"authoritative: true\n", false}, // a YAML key, however it is spelt
		{"host : x\n", false},            // likewise
		{"---\nsubnet: x\n", false},      // a YAML document marker
		{"# subnet 10.0.0.0\nhosts: []\n", false},
		{"", false},
		{"subnetwork: 10.0.0.0\n", false},
		{"ping-check true;\n", true},                   // no keyword, but a statement
		{"update-static-leases on; # comment\n", true}, // likewise
		{"hosts\n", false},
		{"- a\n", false},
	} {
		if got := LooksLike([]byte(c.src)); got != c.want {
			t.Errorf("LooksLike(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}

// TestExampleDhcpdConfIsSeed is a test of the examples, not of the
// package: examples/dhcpd.conf must be the reference network of
// examples/seed.yaml, its DHCP part (subnets, hosts, boot files,
// next-server, authoritative, domain, lease time) equal to the YAML's.
func TestExampleDhcpdConfIsSeed(t *testing.T) {
	t.Parallel()
	read := func(path string, parse func(string, []byte) (*config.Config, error)) *config.Config {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parse(path, data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	seed := read("../../examples/seed.yaml", config.Parse)
	isc := read("../../examples/dhcpd.conf", Parse)
	if diff := cmp.Diff(seed.DHCP, isc.DHCP, cmpConfig...); diff != "" {
		t.Errorf("dhcp differs (-seed.yaml +dhcpd.conf):\n%s", diff)
	}
	if diff := cmp.Diff(seed.Hosts, isc.Hosts, cmpConfig...); diff != "" {
		t.Errorf("hosts differ (-seed.yaml +dhcpd.conf):\n%s", diff)
	}
	// The profile and HTTP and IPv6 settings are pxed's own: dhcpd.conf has no words for them.
	seedBoot := seed.Boot
	seedBoot.Profile = ""
	if diff := cmp.Diff(seedBoot, isc.Boot, cmpConfig...); diff != "" {
		t.Errorf("boot differs (-seed.yaml +dhcpd.conf):\n%s", diff)
	}
}

// TestCorpusAgreesWithDhcpd runs ISC dhcpd's own configuration check
// (dhcpd -t) on the corpus: every file pxed converts must be one dhcpd
// accepts, so the subset pxed reads is dhcpd.conf as dhcpd reads it; and
// the files with syntax errors must be rejected by dhcpd too. Skipped where
// dhcpd is not installed (Debian: isc-dhcp-server); -t only reads the file.
// examples/dhcpd.conf is checked with the corpus.
func TestCorpusAgreesWithDhcpd(t *testing.T) {
	t.Parallel()
	dhcpd, err := exec.LookPath("dhcpd")
	if err != nil {
		t.Skip("dhcpd (isc-dhcp-server) is not installed")
	}
	confs, _ := filepath.Glob("testdata/*.conf")
	ddns, _ := filepath.Glob("testdata/ddns/*.conf")
	confs = append(append(confs, ddns...), "../../examples/dhcpd.conf")
	syntaxErrors := map[string]bool{"missing-semicolon": true, "missing-brace": true, "unterminated-string": true, "bad-values": true}
	checked := 0
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		_, converts := os.Stat(strings.TrimSuffix(conf, ".conf") + ".yaml")
		if conf == "../../examples/dhcpd.conf" {
			converts = nil
		}
		if converts != nil && !syntaxErrors[name] {
			continue // valid dhcpd.conf outside pxed's subset: dhcpd's verdict proves nothing here
		}
		out, err := exec.Command(dhcpd, "-t", "-4", "-cf", conf).CombinedOutput()
		switch {
		case converts == nil && err != nil:
			t.Errorf("pxed converts %s, but dhcpd -t rejects it: %v\n%s", conf, err, out)
		case syntaxErrors[name] && err == nil:
			t.Errorf("%s is in the corpus as a syntax error, but dhcpd -t accepts it", conf)
		}
		checked++
	}
	t.Logf("dhcpd -t checked %d files", checked)
}

// TestBOOTPLines: a subnet's bootp keeps the line of the statement it
// comes from (its dynamic-bootp range, its deny bootp), so that Validate
// names the dhcpd.conf's line.
func TestBOOTPLines(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/bootp.conf")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("bootp.conf", data)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		mode config.BOOTP
		line int
	}{{config.BOOTPReserved, 0}, {config.BOOTPDynamic, 19}, {config.BOOTPOff, 26}, {config.BOOTPOff, 31}} {
		s := c.DHCP.Subnets[i]
		if s.BOOTP != want.mode {
			t.Errorf("subnet %s: bootp %v, want %v", s.Network, s.BOOTP, want.mode)
		}
		if want.line > 0 {
			if got := c.Line(fmt.Sprintf("dhcp.subnets[%d].bootp", i)); got != want.line {
				t.Errorf("subnet %s: bootp on line %d, want %d", s.Network, got, want.line)
			}
		}
	}
}

// TestDNSUpdates reads the dhcpd.confs under testdata/ddns as TestCorpus
// reads its own: NAME.yaml the YAML, NAME.err the problems. The TSIG key
// their zones sign with is never in the YAML: it goes to its own file in
// BIND's syntax, KEYNAME.key beside the dhcpd.conf (golden too), which is
// where the Config's dns_updates.key_file points and what Validate reads.
func TestDNSUpdates(t *testing.T) {
	t.Parallel()
	confs, err := filepath.Glob("testdata/ddns/*.conf")
	if err != nil || len(confs) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			if k, ok := DNSKey(conf, data); ok {
				golden(t, k.File, string(k.Text()))
			}
			yamlOut, errOut := convert(t, conf, data)
			if strings.Contains(yamlOut, "secret") || strings.Contains(yamlOut, "q83vEjRW") || strings.Contains(yamlOut, "AAECAwQF") {
				t.Errorf("the YAML holds the key's secret:\n%s", yamlOut)
			}
			golden(t, strings.TrimSuffix(conf, ".conf")+".yaml", yamlOut)
			golden(t, strings.TrimSuffix(conf, ".conf")+".err", errOut)
		})
	}
}
