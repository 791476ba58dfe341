package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("..", "..", "examples", "seed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	parse := func(t *testing.T, src string) *Config {
		t.Helper()
		c, err := Parse("pxed.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name         string
		edit         func(string) string
		applies      []string
		needsRestart []string
	}{
		{name: "same file", edit: func(s string) string { return s }},
		{
			name: "comments and lines moved",
			edit: func(s string) string { return "# a new first line\n\n" + s },
		},
		{
			name: "a wider pool",
			edit: func(s string) string {
				return strings.Replace(s, "192.168.1.150-192.168.1.199", "192.168.1.140-192.168.1.199", 1)
			},
			applies: []string{"dhcp.subnets"},
		},
		{
			name: "profile and host",
			edit: func(s string) string {
				s = strings.Replace(s, "priority=critical", "priority=low", 1)
				return strings.Replace(s, "hosts:\n", "hosts:\n  - {name: station-09, mac: \"52:54:00:00:00:09\", ip: 192.168.1.59}\n", 1)
			},
			applies: []string{"hosts", "profiles"},
		},
		{
			name: "rate limits and authority",
			edit: func(s string) string {
				return strings.Replace(s, "authoritative: true", "authoritative: false\n  rate_per_mac: 5", 1)
			},
			applies: []string{"dhcp.authoritative", "dhcp.rate_per_mac"},
		},
		{
			name: "probe settings",
			edit: func(s string) string {
				return strings.Replace(s, "authoritative: true", "authoritative: true\n  probe: {rate: 10, conflict_hold: 1h}", 1)
			},
			applies: []string{"dhcp.probe.rate", "dhcp.probe.conflict_hold"},
		},
		{
			name: "interfaces and web address",
			edit: func(s string) string {
				return strings.Replace(s, "interfaces: [br0]", "interfaces: [br1]\nweb: {address: \"127.0.0.1:9070\"}", 1)
			},
			needsRestart: []string{"interfaces", "web.address"},
		},
		{
			name: "tftp root applies, tftp address does not",
			edit: func(s string) string {
				s = strings.Replace(s, "tftp:\n", "tftp:\n  root: /srv/other\n  address: \":6969\"\n", 1)
				return s + "store: {postgres: {dsn: \"postgres://db/pxed\"}}\n"
			},
			applies:      []string{"tftp.root"},
			needsRestart: []string{"store.postgres.dsn", "tftp.address"},
		},
		{
			name:         "log and user",
			edit:         func(s string) string { return s + "user: pxed\n" + "data_dir: /var/lib/other\n" },
			needsRestart: []string{"data_dir", "user"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			applies, restart := Diff(parse(t, string(seed)), parse(t, tc.edit(string(seed))))
			if d := cmp.Diff(tc.applies, applies); d != "" {
				t.Errorf("applies (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.needsRestart, restart); d != "" {
				t.Errorf("needs a restart (-want +got):\n%s", d)
			}
		})
	}
}
