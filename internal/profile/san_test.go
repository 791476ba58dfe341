package profile

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/config"
)

// sanTarget is the reference network's SAN target for each station: the
// target per machine, its disk at LUN 1 (tgt keeps LUN 0 for its
// controller).
const sanTarget = "iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}}"

// TestSAN renders a SAN profile for each loader: iPXE attaches and boots
// the target (or, with hook, boots the kernel with it attached); PXELINUX
// and GRUB, which cannot reach iSCSI, say so and boot on.
func TestSAN(t *testing.T) {
	t.Parallel()
	facts := cmdline.Facts{MAC: "00:18:e7:42:84:3a", IP: "192.168.1.101", Hostname: "station-01", Server: "192.168.1.21",
		HTTPBase: "http://192.168.1.21:8080/"}
	san := &config.Profile{Name: "san", SAN: &config.SAN{Target: sanTarget}}
	install := &config.Profile{Name: "install-onto-san", Kernel: "debian-installer/amd64/linux",
		Initrd: []string{"debian-installer/amd64/initrd.gz"}, Cmdline: "console=ttyS0,115200 disk-detect/ibft/enable=true ---",
		SAN: &config.SAN{Target: sanTarget, Hook: true}}
	for _, tc := range []struct {
		golden string
		render renderer
		p      *config.Profile
	}{
		{"ipxe-san.ipxe", IPXE, san},
		{"ipxe-sanhook.ipxe", IPXE, install},
		{"pxelinux-san.cfg", PXELINUX, san},
		{"grub-san.cfg", GRUB, san},
	} {
		out, err := tc.render(tc.p, facts)
		if err != nil {
			t.Fatalf("%s: %v", tc.golden, err)
		}
		golden(t, tc.golden, out)
	}
	// A machine whose facts make no target (no host name: the name would
	// end in ":") gets no config at all, rather than one its iSCSI client
	// refuses.
	noName := facts
	noName.Hostname = ""
	for name, render := range map[string]renderer{"PXELINUX": PXELINUX, "GRUB": GRUB, "IPXE": IPXE} {
		if out, err := render(san, noName); err == nil {
			t.Errorf("%s rendered a SAN profile without a valid target:\n%s", name, out)
		}
	}
}

// TestServiceSANRefusalLogged: a SAN profile read by PXELINUX is logged as
// a machine that cannot boot, and its iPXE script is not.
func TestServiceSANRefusalLogged(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{{Name: "debian-installer", SAN: &config.SAN{Target: sanTarget}}}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	s := &Service{Catalog: func() *catalog.Snapshot { return snap }, HTTPPort: 8080,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	read := func(path string) string {
		f, err := s.Open(context.Background(), &bootfs.Request{
			Path: path, Remote: netip.MustParseAddrPort("192.168.1.101:2000"), Local: netip.MustParseAddr("192.168.1.21"),
		})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		return string(b)
	}
	mac := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	if got := read(IPXEScriptPath(mac)); !strings.Contains(got, "sanhook iscsi:192.168.1.21:::1:iqn.2026-12.lan.test:station-01\nsanboot\n") {
		t.Errorf("iPXE script:\n%s", got)
	}
	if logged.Len() != 0 {
		t.Errorf("the iPXE script was logged as a refusal: %s", logged.String())
	}
	if got := read("pxelinux.cfg/01-00-18-e7-42-84-3a"); !strings.Contains(got, "which PXELINUX cannot reach") {
		t.Errorf("PXELINUX config:\n%s", got)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "mac=00:18:e7:42:84:3a") {
		t.Errorf("PXELINUX's refusal was not logged: %q", logged.String())
	}
}
