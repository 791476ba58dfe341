package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestISCCorpus reads every dhcpd.conf under testdata/isc. One that parses
// is converted: NAME.yaml holds the expected YAML, and that YAML read back
// must give the same Config. One that does not parse, or that Validate
// finds problems in, has its expected messages in NAME.err. A golden file
// that should not exist is an error too, so a broken file cannot pass by
// parsing. -update rewrites the golden files.
func TestISCCorpus(t *testing.T) {
	confs, err := filepath.Glob("testdata/isc/*.conf")
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
			if !LooksLikeISC(data) {
				t.Errorf("LooksLikeISC(%s) = false", conf)
			}
			file := filepath.Base(conf)
			var yamlOut, errOut string
			c, err := ParseISC(file, data)
			if err != nil {
				errOut = err.Error() + "\n"
			} else {
				y, err := c.YAML()
				if err != nil {
					t.Fatalf("YAML: %v", err)
				}
				yamlOut = string(y)
				back, err := Parse(file, y)
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
			}
			golden(t, strings.TrimSuffix(conf, ".conf")+".yaml", yamlOut)
			golden(t, strings.TrimSuffix(conf, ".conf")+".err", errOut)
		})
	}
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
		t.Errorf("%s does not exist; got:\n%s(run go test ./internal/config -run TestISCCorpus -update)", path, got)
	case err != nil:
		t.Fatal(err)
	default:
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s differs (-want +got):\n%s", path, diff)
		}
	}
}

func TestLooksLikeISC(t *testing.T) {
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
		if got := LooksLikeISC([]byte(c.src)); got != c.want {
			t.Errorf("LooksLikeISC(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}

// TestISCLoad checks that Load, which serve and check use, reads a
// dhcpd.conf by its content whatever the file is called, and YAML likewise.
func TestISCLoad(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "pxed.yaml") // a misleading name on purpose
	os.WriteFile(conf, []byte("subnet 192.168.1.0 netmask 255.255.255.0 {\n  range 192.168.1.10 192.168.1.20\n}\n"), 0o644)
	_, err := Load(conf)
	if want := conf + `:2: expected ';' after range 192.168.1.10 192.168.1.20, got "}"`; err == nil || err.Error() != want {
		t.Errorf("Load of a broken dhcpd.conf: %v, want %s", err, want)
	}
	yml := filepath.Join(dir, "dhcpd.conf")
	os.WriteFile(yml, []byte("dhcp:\n  authoritative: true\n"), 0o644)
	if c, err := Load(yml); err != nil || !c.DHCP.Authoritative {
		t.Errorf("Load of YAML named dhcpd.conf: %v", err)
	}
}

// TestISCExampleMatchesSeed checks that examples/dhcpd.conf is the reference
// network: its DHCP part (subnets, hosts, boot files, next-server,
// authoritative, domain, lease time) equals that of examples/seed.yaml.
func TestISCExampleMatchesSeed(t *testing.T) {
	seed, err := Load("../../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	isc, err := Load("../../examples/dhcpd.conf")
	if err != nil {
		t.Fatal(err)
	}
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

// TestISCCorpusAgreesWithDhcpd runs ISC dhcpd's own configuration check
// (dhcpd -t) on the corpus: every file pxed converts must be one dhcpd
// accepts, so the subset pxed reads is dhcpd.conf as dhcpd reads it; and
// the files with syntax errors must be rejected by dhcpd too. Skipped where
// dhcpd is not installed (Debian: isc-dhcp-server); -t only reads the file.
func TestISCCorpusAgreesWithDhcpd(t *testing.T) {
	dhcpd, err := exec.LookPath("dhcpd")
	if err != nil {
		t.Skip("dhcpd (isc-dhcp-server) is not installed")
	}
	confs, _ := filepath.Glob("testdata/isc/*.conf")
	confs = append(confs, "../../examples/dhcpd.conf")
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
