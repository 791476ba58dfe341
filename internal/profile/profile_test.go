package profile

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/ipmap"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rootimage"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

var installer = &config.Profile{
	Name:    "debian-installer",
	Kernel:  "debian-installer/amd64/linux",
	Initrd:  []string{"debian-installer/amd64/initrd.gz"},
	Cmdline: "console=ttyS0,115200 priority=critical hostname={{.Hostname}} ---",
}

func TestPXELINUX(t *testing.T) {
	t.Parallel()
	facts := cmdline.Facts{MAC: "00:18:e7:42:84:3a", IP: "192.168.1.101", Hostname: "station-01", Server: "192.168.1.21"}
	httpBase := func(f cmdline.Facts) cmdline.Facts { f.HTTPBase = "http://192.168.1.21:8080/"; return f }
	efi := func(f cmdline.Facts) cmdline.Facts {
		f.UUID, f.Arch = "8a1b7c2e-0000-4000-8000-00000000002a", "efi-x64"
		return f
	}
	live := &config.Profile{Name: "live", Kernel: "/live/vmlinuz", Initrd: []string{"live/initrd.img", "live/extra.img"},
		Cmdline: "boot=live fetch=http://{{.Server}}/live.squashfs uuid={{.UUID}} arch={{.Arch}}"}
	local := &config.Profile{Name: "local"}
	ram := &config.Profile{Name: "diskless-ram", Kernel: "diskless/vmlinuz", Initrd: []string{"diskless/microcode.img"},
		Image: "/var/lib/pxed/images/debian", Overlay: map[string]string{"/etc/hostname": "{{.Hostname}}\n"},
		Cmdline: "console=ttyS0,115200 rdinit=/sbin/init"}
	ramGzip := &config.Profile{Name: "diskless-ram", Kernel: "diskless/vmlinuz", Image: "debian.tar", ImageCompression: "gzip",
		Cmdline: "rdinit=/sbin/init"}
	for _, tc := range []struct {
		golden string
		render renderer
		p      *config.Profile
		f      func(cmdline.Facts) cmdline.Facts
	}{
		{"pxelinux-tftp.cfg", PXELINUX, installer, nil},
		{"pxelinux-http.cfg", PXELINUX, installer, httpBase},
		{"pxelinux-local.cfg", PXELINUX, local, nil},
		{"ipxe-http.ipxe", IPXE, installer, httpBase},
		{"ipxe-local.ipxe", IPXE, local, httpBase},
		{"grub-installer.cfg", GRUB, installer, efi},
		{"grub-local.cfg", GRUB, local, efi},
		{"grub-two-initrds.cfg", GRUB, live, efi},
		// A root image and the machine's overlay come after the profile's
		// own initrds, over HTTP when the loader can, else TFTP.
		{"pxelinux-image.cfg", PXELINUX, ram, nil},
		{"ipxe-image.ipxe", IPXE, ram, httpBase},
		{"grub-image.cfg", GRUB, ram, efi},
		{"ipxe-image-gzip.ipxe", IPXE, ramGzip, httpBase},
	} {
		f := facts
		if tc.f != nil {
			f = tc.f(f)
		}
		out, err := tc.render(tc.p, f)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tc.golden, out)
	}
	bad := &config.Profile{Name: "x", Kernel: "k", Cmdline: "a={{.Nope}}"}
	for name, render := range map[string]renderer{"PXELINUX": PXELINUX, "GRUB": GRUB, "IPXE": IPXE} {
		if _, err := render(bad, facts); err == nil {
			t.Errorf("%s: a template naming an unknown fact rendered", name)
		}
	}
}

// stations is a LAN of three known machines that boot the installer
// profile, but for station-02, which boots its disk.
const stations = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
boot:
  next_server: 192.168.1.21
  profile: debian-installer
hosts:
  - name: station-01
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
  - name: station-02
    mac: 00:18:e7:42:85:21
    ip: 192.168.1.102
    boot: {profile: local}
  - name: station-03
    mac: 00:18:e7:42:7a:3e
    ip: 192.168.1.103
`

func TestServiceAnswersPXELINUXLookup(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{*installer}
	var snap *catalog.Snapshot
	refresh := func() {
		var err error
		if snap, err = catalog.Static(cfg); err != nil {
			t.Fatal(err)
		}
	}
	refresh()
	holders := &ipmap.Map{}
	s := &Service{Catalog: func() *catalog.Snapshot { return snap }, HTTPPort: 8080, Holders: holders}
	st01 := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	s.Record(events.Event{Proto: "dhcp", Kind: events.DHCPDiscover, MAC: st01, Client: pxe.Client{PXE: true, IPXE: true, HasArch: true}})
	read := func(path, remote string) (string, error) {
		f, err := s.Open(context.Background(), &bootfs.Request{
			Path: path, Remote: netip.AddrPortFrom(netip.MustParseAddr(remote), 2000), Local: netip.MustParseAddr("192.168.1.21"),
		})
		if err != nil {
			return "", err
		}
		b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		return string(b), nil
	}
	got, err := read("pxelinux.cfg/01-00-18-e7-42-84-3a", "192.168.1.101")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "station-01.cfg", []byte(got))
	// station-02 is set to boot its disk.
	if got, err := read("/pxelinux.cfg/01-00-18-e7-42-85-21", "192.168.1.102"); err != nil || !contains(got, "localboot 0") {
		t.Errorf("station-02: %q, %v", got, err)
	}
	// The iPXE script is served to anyone who asks by the machine's MAC; it
	// names the kernel and initrd over HTTP, since iPXE reads it.
	got, err = read("ipxe/00-18-e7-42-85-21.ipxe", "192.168.1.102")
	if err != nil || !strings.HasPrefix(got, "#!ipxe\n") || !strings.Contains(got, "exit\n") {
		t.Errorf("station-02 iPXE script: %q, %v", got, err)
	}
	got, err = read("ipxe/00-18-e7-42-7a-3e.ipxe", "192.168.1.103")
	if err != nil || !strings.Contains(got, "kernel http://192.168.1.21:8080/debian-installer/amd64/linux ") {
		t.Errorf("station-03 iPXE script: %q, %v", got, err)
	}
	// Other paths fall through to the files of the root.
	for _, p := range []string{"pxelinux.cfg/default", "pxelinux.cfg/C0A80165", "pxelinux.0", "pxelinux.cfg/01-zz-18-e7-42-84-3a", "ipxe/00-18-e7-42-84-3a", "ipxe/x.ipxe"} {
		if _, err := read(p, "192.168.1.101"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want fs.ErrNotExist", p, err)
		}
	}
	// GRUB: by MAC in any directory, and grub.cfg for the machine
	// acknowledged at the requesting address.
	got, err = read("/boot/grub/grub.cfg-01-00-18-e7-42-84-3a", "192.168.1.101")
	if err != nil || !strings.Contains(got, "linux /debian-installer/amd64/linux console=ttyS0,115200 priority=critical hostname=station-01 ---\n") {
		t.Errorf("station-01 grub.cfg-01-<mac>: %q, %v", got, err)
	}
	if _, err := read("debian-installer/amd64/grub/grub.cfg", "192.168.1.101"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("grub.cfg before any DHCP ACK: %v, want fs.ErrNotExist (the file of the root)", err)
	}
	holders.Record(events.Event{Proto: "dhcp", Kind: events.DHCPAck, MAC: st01, IP: netip.MustParseAddr("192.168.1.101")})
	got, err = read("/debian-installer/amd64/grub/grub.cfg", "192.168.1.101")
	if err != nil || !strings.Contains(got, "for station-01 (00:18:e7:42:84:3a)") {
		t.Errorf("grub.cfg from station-01's address: %q, %v", got, err)
	}
	if _, err := read("debian-installer/amd64/grub/grub.cfg", "192.168.1.150"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("grub.cfg from an address pxed did not acknowledge: %v, want fs.ErrNotExist", err)
	}
	// Without a profile anywhere, nothing is generated.
	cfg.Boot.Profile = ""
	refresh()
	if _, err := read("pxelinux.cfg/01-00-18-e7-42-84-3a", "192.168.1.101"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no profile: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestServiceIPv6Server renders for a machine that reached pxed over IPv6:
// every URL brackets the literal (RFC 3986 §3.2.2), and a link-local
// server address loses pxed's zone, which the machine could not use.
func TestServiceIPv6Server(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	p := *installer
	p.Cmdline = "url=http://{{.ServerHost}}:8080/preseed.cfg server={{.Server}}"
	cfg.Profiles = []config.Profile{p}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Catalog: func() *catalog.Snapshot { return snap }, HTTPPort: 8080}
	st03 := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x7a, 0x3e}
	for _, tc := range []struct{ local, host string }{
		{"2001:db8:1::21", "2001:db8:1::21"},
		{"fe80::21%br0", "fe80::21"},
	} {
		f, err := s.Open(context.Background(), &bootfs.Request{
			Path:   "ipxe/00-18-e7-42-7a-3e.ipxe",
			Remote: netip.MustParseAddrPort("[2001:db8:1::103]:2000"), Local: netip.MustParseAddr(tc.local),
		})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		for _, want := range []string{
			"kernel http://[" + tc.host + "]:8080/debian-installer/amd64/linux ",
			"url=http://[" + tc.host + "]:8080/preseed.cfg server=" + tc.host + "\n",
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("script on %s lacks %q:\n%s", tc.local, want, b)
			}
		}
		if got, want := s.ScriptURL(st03, netip.MustParseAddr(tc.local)), "http://["+tc.host+"]:8080/ipxe/00-18-e7-42-7a-3e.ipxe"; got != want {
			t.Errorf("ScriptURL on %s = %q, want %q", tc.local, got, want)
		}
	}
}

// TestServiceMultiArch serves one profile to an x64 UEFI and an arm64 UEFI
// machine: each one's GRUB reads the same path, grub.cfg, and gets the
// kernel, initrd and console of its own architecture, as its DHCP request
// named it (option 93: 7, and 11 or its HTTP Boot twin 19).
func TestServiceMultiArch(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{{
		Name:    "debian-installer",
		Kernel:  "debian-installer/amd64/linux",
		Initrd:  []string{"debian-installer/amd64/initrd.gz"},
		Cmdline: "console={{.Console}} priority=critical ---",
		Arch: map[string]config.ProfileArch{"efi-arm64": {
			Kernel: "debian-installer/arm64/linux", Initrd: []string{"debian-installer/arm64/initrd.gz"},
		}},
	}}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	holders := &ipmap.Map{}
	s := &Service{Catalog: func() *catalog.Snapshot { return snap }, Holders: holders}
	grubCfg := func(mac net.HardwareAddr, ip string, arch pxe.Arch) string {
		t.Helper()
		s.Record(events.Event{Proto: "dhcp", Kind: events.DHCPRequest, MAC: mac, Client: pxe.Client{PXE: true, Arch: arch, HasArch: true}})
		holders.Record(events.Event{Proto: "dhcp", Kind: events.DHCPAck, MAC: mac, IP: netip.MustParseAddr(ip)})
		f, err := s.Open(context.Background(), &bootfs.Request{
			Path: "/debian-installer/arm64/grub/grub.cfg", Remote: netip.AddrPortFrom(netip.MustParseAddr(ip), 2000), Local: netip.MustParseAddr("192.168.1.21"),
		})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		return string(b)
	}
	st01 := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	st03 := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x7a, 0x3e}
	golden(t, "grub-arm64.cfg", []byte(grubCfg(st03, "192.168.1.103", pxe.ArchARM64UEFI)))
	if got := grubCfg(st03, "192.168.1.103", pxe.ArchARM64HTTP); !strings.Contains(got, "linux /debian-installer/arm64/linux console=ttyAMA0 ") {
		t.Errorf("arm64 over HTTP Boot (arch 19):\n%s", got)
	}
	got := grubCfg(st01, "192.168.1.101", pxe.ArchX64UEFI)
	if !strings.Contains(got, "linux /debian-installer/amd64/linux console=ttyS0,115200 priority=critical ---\n") ||
		!strings.Contains(got, "initrd /debian-installer/amd64/initrd.gz\n") {
		t.Errorf("x64 UEFI:\n%s", got)
	}
}

// TestServiceRootPath: a profile's root_path, rendered for the machine,
// is its command line's {{.RootPath}}: the path DHCP sends it as option 17.
func TestServiceRootPath(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{{
		Name: "debian-installer", Kernel: "diskless/vmlinuz", Initrd: []string{"diskless/initrd.img"},
		RootPath: "{{.Server}}:/srv/diskless/{{.Hostname}}",
		Cmdline:  "root=/dev/nfs nfsroot={{.RootPath}} ip=dhcp systemd.hostname={{.Hostname}}",
	}}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Catalog: func() *catalog.Snapshot { return snap }, HTTPPort: 8080}
	f, err := s.Open(context.Background(), &bootfs.Request{
		Path: "ipxe/00-18-e7-42-7a-3e.ipxe", Remote: netip.AddrPortFrom(netip.MustParseAddr("192.168.1.103"), 2000), Local: netip.MustParseAddr("192.168.1.21"),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	want := "kernel http://192.168.1.21:8080/diskless/vmlinuz root=/dev/nfs nfsroot=192.168.1.21:/srv/diskless/station-03 ip=dhcp systemd.hostname=station-03\n"
	if !strings.Contains(string(b), want) {
		t.Errorf("iPXE script:\n%s\nwant the line\n%s", b, want)
	}
}

// A machine booting a profile with a root image is told of it when its
// config is rendered (so that the image is packed before the loader asks),
// and Machine gives its overlay's facts, machine ID included.
func TestServiceRootImage(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(stations))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles = []config.Profile{{Name: "debian-installer", Kernel: "diskless/vmlinuz", Image: "/srv/ram.tar",
		Overlay: map[string]string{"/etc/hostname": "{{.Hostname}}\n"}, Cmdline: "rdinit=/sbin/init"}}
	snap, err := catalog.Static(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var prepared []string
	s := &Service{Catalog: func() *catalog.Snapshot { return snap }, HTTPPort: 8080, Prepare: func(p string) { prepared = append(prepared, p) }}
	st01 := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	r := &bootfs.Request{Path: "ipxe/00-18-e7-42-84-3a.ipxe", Remote: netip.MustParseAddrPort("192.168.1.101:2000"), Local: netip.MustParseAddr("192.168.1.21")}
	f, err := s.Open(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if !strings.Contains(string(b), "initrd http://192.168.1.21:8080/images/debian-installer/00-18-e7-42-84-3a.cpio\n") {
		t.Errorf("script names no overlay:\n%s", b)
	}
	if d := cmp.Diff([]string{"debian-installer"}, prepared); d != "" {
		t.Errorf("Prepare calls (-want +got):\n%s", d)
	}
	p, facts, ok := s.Machine(r, st01)
	if !ok || p.Image != "/srv/ram.tar" || facts.Hostname != "station-01" || facts.MachineID != rootimage.MachineID(st01) || facts.IP != "192.168.1.101" {
		t.Errorf("Machine = %+v, %+v, %v", p, facts, ok)
	}
	// station-02 boots its disk: no image, no overlay.
	if p, _, ok := s.Machine(r, net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x21}); ok && p.Image != "" {
		t.Errorf("station-02 Machine = %+v", p)
	}
}
