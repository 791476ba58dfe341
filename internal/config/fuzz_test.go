package config

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and, when they parse, to Validate
// and the lookups. None may panic, and every Parse error must name the file.
func FuzzParse(f *testing.F) {
	if lan, err := os.ReadFile("testdata/lan.yaml"); err == nil {
		f.Add(lan)
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
