//go:build linux

package agent

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		name, line string
		want       string // server token mac, or the error's text
	}{
		{"all three", "console=ttyS0,115200 pxed.server=http://192.168.1.21:8080 pxed.token=ab12 pxed.mac=52:54:00:A9:00:01\n",
			"http://192.168.1.21:8080 ab12 52:54:00:a9:00:01"},
		{"later wins", "pxed.server=http://a pxed.server=http://b:80 pxed.token=t pxed.mac=52-54-00-a9-00-01",
			"http://b:80 t 52:54:00:a9:00:01"},
		{"quoted", `pxed.server="http://10.0.0.1:80" foo="a b" pxed.token=t pxed.mac=52:54:00:a9:00:01`,
			"http://10.0.0.1:80 t 52:54:00:a9:00:01"},
		{"none", "console=ttyS0 quiet", "error: kernel command line: no pxed.server, no pxed.token, no pxed.mac"},
		{"bad server", "pxed.server=ftp://x pxed.token=t pxed.mac=52:54:00:a9:00:01",
			`error: kernel command line: pxed.server "ftp://x" is not an http:// or https:// URL`},
		{"bad mac", "pxed.server=http://x pxed.token=t pxed.mac=00:11:22:33:44:55:66:77",
			`error: kernel command line: pxed.mac "00:11:22:33:44:55:66:77" is not an Ethernet MAC`},
		{"empty token", "pxed.server=http://x pxed.token= pxed.mac=52:54:00:a9:00:01", "error: kernel command line: no pxed.token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseCmdline(tt.line)
			var got string
			if err != nil {
				got = "error: " + err.Error()
			} else {
				got = strings.Join([]string{p.Server.String(), p.Token, p.MAC.String()}, " ")
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParseCmdline(f *testing.F) {
	f.Add("console=ttyS0 pxed.server=http://192.168.1.21:8080 pxed.token=ab pxed.mac=52:54:00:a9:00:01")
	f.Add(`pxed.server="http://x y" "pxed.token=a b"`)
	f.Fuzz(func(t *testing.T, line string) {
		p, err := ParseCmdline(line)
		if err == nil && (p.Server == nil || p.Token == "" || len(p.MAC) != 6) {
			t.Errorf("ParseCmdline(%q) = %+v without error", line, p)
		}
	})
}
