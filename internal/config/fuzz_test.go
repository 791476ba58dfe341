package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse feeds arbitrary bytes to Parse and, when they parse, to Validate
// and the lookups. None may panic, and every Parse error must name the file.
func FuzzParse(f *testing.F) {
	if seed, err := os.ReadFile("../../examples/seed.yaml"); err == nil {
		f.Add(seed)
	}
	for _, s := range []string{
		"",
		"---\n",
		"hosts:\n  - nmae: x\n",
		"dhcp:\n  subnets:\n    - network: 10.0.0.0/31\n      pools: [10.0.0.0-10.0.0.1]\n",
		"dhcp:\n  subnets:\n    - network: 0.0.0.0/0\n      pools: [0.0.0.0-255.255.255.255]\n",
		"hosts:\n  - {name: a, mac: 00:00:00:00:00:01, ip: 10.0.0.1, options: [{code: 43, hex: 'zz'}, {code: 1}]}\n",
		"boot:\n  files: {\"7\": a, efi-x64: b, \"70000\": c, \"\": d}\n  file: ../../x\n",
		"tftp: {max_block_size: -1, timeout: -9223372036854775808}\n",
		"dhcp: {lease_time: 1e400}\n",
		"a: &a [*a]\n",
		"hosts: [{mac: &m 00:00:00:00:00:01}, {mac: *m}]\n",
	} {
		f.Add([]byte(s))
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		c.TFTP.Root = root
		for _, p := range c.Validate() {
			if p.File != "fuzz.yaml" || p.Msg == "" {
				t.Errorf("malformed problem %#v", p)
			}
		}
		c.SubnetFor(netip.MustParseAddr("10.0.0.1"))
		for i := range c.DHCP.Subnets {
			c.DHCP.Subnets[i].InPool(netip.MustParseAddr("10.0.0.1"))
		}
		for _, h := range c.Hosts {
			for _, o := range h.Options {
				o.Value()
			}
		}
	})
}

// FuzzParseISC feeds arbitrary bytes to ParseISC. It may not panic; every
// error line must name the file and a line; a Config it returns must convert
// to YAML that reads back as an equal Config, and validate without panicking.
func FuzzParseISC(f *testing.F) {
	confs, _ := filepath.Glob("testdata/isc/*.conf")
	confs = append(confs, "../../examples/dhcpd.conf")
	for _, c := range confs {
		if data, err := os.ReadFile(c); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", ";", "}", "{", "\"", "#", "host", "host a {", "subnet 0.0.0.0 netmask 0.0.0.0 { range 0.0.0.0 255.255.255.255; }",
		"option x code 1 = string; option x \"\\777\";", "group { group { host h { } } }",
		"class \"c\" { match if substring(option vendor-class-identifier, 0, 20) = \"PXEClient:Arch:99999\"; filename \"\"; }",
	} {
		f.Add([]byte(s))
	}
	lineRef := regexp.MustCompile(`^fuzz\.conf:[1-9][0-9]*: .`)
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseISC("fuzz.conf", data)
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !lineRef.MatchString(l) {
					t.Errorf("error line without file and line: %q", l)
				}
			}
			return
		}
		y, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := Parse("fuzz.conf", y)
		if err != nil {
			t.Fatalf("converted YAML does not parse: %v\n%s", err, y)
		}
		if diff := cmp.Diff(c, back, cmpConfig...); diff != "" {
			t.Errorf("converted YAML reads back differently (-dhcpd.conf +yaml):\n%s\n%s", diff, y)
		}
		c.TFTP.Root = root
		for _, p := range c.Validate() {
			if p.File != "fuzz.conf" || p.Msg == "" {
				t.Errorf("malformed problem %#v", p)
			}
		}
	})
}
