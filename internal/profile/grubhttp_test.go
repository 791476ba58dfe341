package profile

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/ipmap"
)

func TestGRUBHTTPRender(t *testing.T) {
	t.Parallel()
	f := cmdline.Facts{MAC: "00:18:e7:42:7a:3e", IP: "192.168.1.103", Hostname: "station-03", Server: "192.168.1.21", Arch: "efi-x64"}
	p := &config.Profile{Name: "live", Kernel: "/live/vmlinuz", Initrd: []string{"live/initrd.img", "live/extra.img"}, Cmdline: "boot=live"}
	got, err := GRUBHTTP("192.168.1.21:8080")(p, f)
	if err != nil {
		t.Fatal(err)
	}
	want := "set timeout=0\nset default=0\nmenuentry \"pxed live\" {\n" +
		"  linux (http,192.168.1.21:8080)/live/vmlinuz boot=live\n" +
		"  initrd (http,192.168.1.21:8080)/live/initrd.img (http,192.168.1.21:8080)/live/extra.img\n}\n"
	if !strings.HasSuffix(string(got), want) {
		t.Errorf("GRUB config over HTTP:\n%s\nwant it to end in:\n%s", got, want)
	}
	tftp, err := GRUB(p, f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tftp), "  linux /live/vmlinuz boot=live\n") || strings.Contains(string(tftp), "(http,") {
		t.Errorf("GRUB config over TFTP:\n%s", tftp)
	}
	// local boots nothing, over either.
	local, err := GRUBHTTP("192.168.1.21:8080")(&config.Profile{Name: config.LocalProfile}, f)
	if err != nil || !strings.HasSuffix(string(local), "exit\n") {
		t.Errorf("local over HTTP: %q, %v", local, err)
	}
}

// TestServiceGRUBHTTP: pxed renders (http,SERVER:PORT) paths for a GRUB
// whose image has http built in, and TFTP paths for one without (Debian
// 12's), over IPv6, with HTTP off, or when nobody inspected the images.
func TestServiceGRUBHTTP(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{*installer}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st03 := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x7a, 0x3e}
	withHTTP := func(dir string) bool { return dir == "/grub-http" }
	for _, c := range []struct {
		name     string
		port     int
		grubHTTP func(string) bool
		path     string
		local    string
		want     string
	}{
		{"http built in", 8080, withHTTP, "/grub-http/grub.cfg", "192.168.1.21", "linux (http,192.168.1.21:8080)/debian-installer/amd64/linux "},
		{"by MAC, http built in", 8080, withHTTP, "grub-http/grub.cfg-01-00-18-e7-42-7a-3e", "192.168.1.21", "linux (http,192.168.1.21:8080)/debian-installer/amd64/linux "},
		{"Debian 12's GRUB: no http", 8080, withHTTP, "/debian-installer/amd64/grub/grub.cfg", "192.168.1.21", "linux /debian-installer/amd64/linux "},
		{"pxed's HTTP off", 0, withHTTP, "/grub-http/grub.cfg", "192.168.1.21", "linux /debian-installer/amd64/linux "},
		{"images not inspected", 8080, nil, "/grub-http/grub.cfg", "192.168.1.21", "linux /debian-installer/amd64/linux "},
		{"IPv4-mapped server", 8080, withHTTP, "/grub-http/grub.cfg", "::ffff:192.168.1.21", "linux (http,192.168.1.21:8080)/debian-installer/amd64/linux "},
		{"over IPv6", 8080, withHTTP, "/grub-http/grub.cfg", "2001:db8:1::21", "linux /debian-installer/amd64/linux "},
	} {
		holders := &ipmap.Map{}
		s := &Service{Catalog: func() *catalog.Snapshot { return snap }, HTTPPort: c.port, Holders: holders, GRUBHTTP: c.grubHTTP}
		holders.Record(events.Event{Proto: "dhcp", Kind: events.DHCPAck, MAC: st03, IP: netip.MustParseAddr("192.168.1.103")})
		f, err := s.Open(context.Background(), &bootfs.Request{
			Path: c.path, Remote: netip.AddrPortFrom(netip.MustParseAddr("192.168.1.103"), 2000), Local: netip.MustParseAddr(c.local),
		})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s: config\n%s\nwant a line with %q", c.name, b, c.want)
		}
	}
}
