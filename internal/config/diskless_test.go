package config

import (
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/cmdline"
)

func TestRootPath(t *testing.T) {
	t.Parallel()
	f := cmdline.Facts{MAC: "00:18:e7:42:84:3a", Hostname: "station-01", Server: "192.168.1.21", RootPath: "ignored"}
	for _, c := range []struct {
		name, tmpl, want, err string
	}{
		{"none", "", "", ""},
		{"plain", "192.168.1.21:/srv/root", "192.168.1.21:/srv/root", ""},
		{"per machine", "{{.Server}}:/srv/hosts/{{.Hostname}}", "192.168.1.21:/srv/hosts/station-01", ""},
		{"not from itself", "{{.RootPath}}", "", ""},
		{"too long", "{{.Server}}:/" + strings.Repeat("x", 250), "", "264 bytes, more than the 255 of a DHCP option"},
	} {
		p := &Profile{Name: "d", RootPath: c.tmpl}
		got, err := RootPath(p, f)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: RootPath = %q, %v; want %q, %q", c.name, got, err, c.want, c.err)
		}
	}
	if got, err := RootPath(nil, f); got != "" || err != nil {
		t.Errorf("RootPath(nil) = %q, %v", got, err)
	}
}
