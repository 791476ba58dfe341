package profile

import (
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
)

// TestServiceLogTarget: {{.LogHost}} and {{.LogPort}} name pxed's syslog
// receiver at the address the machine reached pxed on, for the Debian
// installer's log_host= and log_port=; without a receiver they are empty.
func TestServiceLogTarget(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{{
		Name: "debian-installer", Kernel: "debian-installer/amd64/linux", Initrd: []string{"debian-installer/amd64/initrd.gz"},
		Cmdline: "log_host={{.LogHost}} log_port={{.LogPort}} ---",
	}}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		port int
		want string
	}{
		{514, "log_host=192.168.1.21 log_port=514 ---"},
		{0, "log_host= log_port= ---"},
	} {
		s := &Service{Catalog: func() *catalog.Snapshot { return snap }, LogPort: tt.port}
		f, err := s.Open(context.Background(), &bootfs.Request{
			Path: "pxelinux.cfg/01-00-18-e7-42-7a-3e", Remote: netip.AddrPortFrom(netip.MustParseAddr("192.168.1.103"), 2000), Local: netip.MustParseAddr("192.168.1.21"),
		})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		if !strings.Contains(string(b), tt.want) {
			t.Errorf("LogPort %d: PXELINUX config:\n%s\nwant a line with %q", tt.port, b, tt.want)
		}
	}
}
