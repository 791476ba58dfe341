package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSyslogValidate: syslog.listen is HOST:PORT with a port, and not
// TFTP's UDP port; each problem at its line.
func TestSyslogValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
		port      int
	}{
		{name: "none", src: "dhcp: {enabled: false}\n"},
		{name: "all addresses", src: "dhcp: {enabled: false}\nsyslog:\n  listen: \":514\"\n", port: 514},
		{name: "one address", src: "dhcp: {enabled: false}\nsyslog:\n  listen: 192.168.1.21:5514\n", port: 5514},
		{
			name: "no port",
			src:  "dhcp: {enabled: false}\nsyslog:\n  listen: 192.168.1.21\n",
			want: []string{`pxed.yaml:3: syslog.listen "192.168.1.21" is not HOST:PORT (like :514 or 192.168.1.21:514)`},
		},
		{
			name: "port 0",
			src:  "dhcp: {enabled: false}\nsyslog:\n  listen: \":0\"\n",
			want: []string{`pxed.yaml:3: syslog.listen ":0" has no valid port (1..65535)`},
		},
		{
			name: "tftp's port",
			src:  "dhcp: {enabled: false}\ntftp:\n  root: ROOT\n  address: 192.168.1.21:69\nsyslog:\n  listen: \":69\"\n",
			want: []string{`pxed.yaml:6: syslog.listen ":69" takes the UDP port of tftp.address "192.168.1.21:69" (line 4)`},
			port: 69,
		},
		{
			name: "tftp's port on another address",
			src:  "dhcp: {enabled: false}\ntftp:\n  root: ROOT\n  address: 192.168.1.21:69\nsyslog:\n  listen: 10.0.0.1:69\n",
			port: 69,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := validate(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			c, err := Parse("pxed.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if p := c.SyslogPort(); p != tt.port {
				t.Errorf("SyslogPort() = %d, want %d", p, tt.port)
			}
		})
	}
}
