package config

import (
	"strings"
	"testing"
)

// TestServes: which services the switches leave on, dhcp6.enabled
// included (a file host that shares its YAML with the DHCP host keeps the
// DHCPv6 subnets and switches DHCPv6 off).
func TestServes(t *testing.T) {
	t.Parallel()
	const subnets = "dhcp:\n  subnets:\n    - network: 192.168.1.0/24\n" +
		"dhcp6:\n  subnets:\n    - prefix: 2001:db8:1::/64\n"
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"everything", "http: {enabled: true}\n", "dhcp, tftp, http"},
		{"DHCP host", "tftp: {enabled: false}\nhttp: {enabled: true}\n", "dhcp"},
		{"file host, DHCPv6 still on", "http: {enabled: true}\n", "dhcp, tftp, http"},
		{"file host", "http: {enabled: true}\n", "tftp, http"},
		{"nothing", "tftp: {enabled: false}\n", "nothing"},
	} {
		src := subnets + tc.extra
		switch tc.name {
		case "file host, DHCPv6 still on":
			src = strings.Replace(src, "dhcp:\n", "dhcp:\n  enabled: false\n", 1)
		case "file host", "nothing":
			src = strings.Replace(src, "dhcp:\n", "dhcp:\n  enabled: false\n", 1)
			src = strings.Replace(src, "dhcp6:\n", "dhcp6:\n  enabled: false\n", 1)
		}
		c, err := Parse("pxed.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.Serves().String(); got != tc.want {
			t.Errorf("%s: serves %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFilesElsewhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"dhcp:\n  subnets: [{network: 192.168.1.0/24}]\n", ""},
		{"dhcp:\n  subnets: [{network: 192.168.1.0/24, boot: {next_server: 192.168.1.23}}]\nboot: {next_server: 192.168.1.21}\ntftp: {enabled: false}\n",
			"tftp is off here: boot files and profile kernels not checked (served by 192.168.1.21, 192.168.1.23)"},
		{"dhcp: {enabled: false}\ntftp: {enabled: false}\n", ""},
	} {
		c, err := Parse("pxed.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.FilesElsewhere(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.src, got, tc.want)
		}
	}
}
