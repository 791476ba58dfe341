package main

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/web"
)

// The hosts and profiles commands against a real API server: set makes an
// entry (or changes one field of it), list and show read it back, rm
// removes it; errors come back with the server's reason.
func TestHostsAndProfilesCLI(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp:
  enabled: false
web:
  address: ":9069"
profiles:
  - name: debian-installer
    kernel: d-i/linux
hosts:
  - name: station-02
    mac: 00:18:e7:42:85:21
    ip: 192.168.1.102
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const tok = "0123456789abcdef0123"
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{CallbackKey: []byte(tok)})
	if err != nil {
		t.Fatal(err)
	}
	s := &web.Server{Token: []byte(tok)}
	web.CatalogRoutes(s, cat, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte(tok+"\n"), 0o600)
	api := []string{"--api", ts.URL, "--token-file", tokFile}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(append(args, api...)...)
	}

	if code, out, errs := cli("profiles", "set", "rescue", "--kernel", "rescue/linux", "--initrd", "rescue/a.img", "--initrd", "rescue/b.img", "--cmdline", "host={{.Hostname}}"); code != 0 {
		t.Fatalf("profiles set: %d %q %q", code, out, errs)
	}
	code, out, errs := cli("profiles", "show", "rescue")
	if code != 0 || !strings.Contains(out, "initrd:  rescue/a.img rescue/b.img") || !strings.Contains(out, "source:  api") {
		t.Errorf("profiles show: %d %q %q", code, out, errs)
	}
	// A SAN profile, set in two steps; the server checks its target.
	if code, out, errs := cli("profiles", "set", "san", "--san-target", "iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}}"); code != 0 {
		t.Fatalf("profiles set --san-target: %d %q %q", code, out, errs)
	}
	if code, out, errs := cli("profiles", "set", "san", "--san-hook", "true", "--kernel", "d-i/linux"); code != 0 {
		t.Fatalf("profiles set --san-hook: %d %q %q", code, out, errs)
	}
	code, out, errs = cli("profiles", "show", "san")
	if code != 0 || !strings.Contains(out, "san:     iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}} (sanhook, then the kernel)\n") {
		t.Errorf("profiles show san: %d %q %q", code, out, errs)
	}
	code, _, errs = cli("profiles", "set", "bad-san", "--san-target", "iscsi:{{.Server}}::::station")
	if code != 1 || !strings.Contains(errs, "is no iSCSI name") || !strings.Contains(errs, "HTTP 422") {
		t.Errorf("a SAN target that is no root path: %d %q", code, errs)
	}
	// A diskless profile: its image and each machine's overlay.
	if code, out, errs := cli("profiles", "set", "ram", "--kernel", "rescue/linux", "--image", "/srv/ram.tar", "--image-compression", "gzip",
		"--overlay", "/etc/hostname={{.Hostname}}", "--overlay", "/etc/machine-id={{.MachineID}}"); code != 0 {
		t.Fatalf("profiles set ram: %d %q %q", code, out, errs)
	}
	code, out, errs = cli("profiles", "show", "ram")
	if code != 0 || !strings.Contains(out, "image:   /srv/ram.tar (gzip)\n") || !strings.Contains(out, `overlay /etc/machine-id: "{{.MachineID}}"`) {
		t.Errorf("profiles show ram: %d %q %q", code, out, errs)
	}
	code, out, _ = cli("profiles", "list")
	if code != 0 || !strings.Contains(out, "debian-installer") || !strings.Contains(out, "rescue") || !strings.Contains(out, "local") {
		t.Errorf("profiles list: %d %q", code, out)
	}

	// Override a file host's profile and netboot; its MAC and IP are kept.
	code, out, errs = cli("hosts", "set", "station-02", "--profile", "rescue", "--netboot", "once")
	if code != 0 || out != "host station-02: 00:18:e7:42:85:21, profile rescue, netboot once\n" {
		t.Fatalf("hosts set: %d %q %q", code, out, errs)
	}
	if d := cat.Snapshot().Resolve([]byte{0, 0x18, 0xe7, 0x42, 0x85, 0x21}, pxe.Client{}, netipLAN()); d.Profile == nil || d.Profile.Name != "rescue" || d.Host.IP.String() != "192.168.1.102" {
		t.Errorf("after hosts set: %+v", d)
	}
	code, out, _ = cli("hosts", "list")
	if code != 0 || !strings.Contains(out, "station-02") || !strings.Contains(out, "rescue") || !strings.Contains(out, "api") {
		t.Errorf("hosts list: %d %q", code, out)
	}
	code, out, errs = cli("hosts", "set", "batch", "--macs", "52:54:00:*", "--profile", "local")
	if code != 0 {
		t.Fatalf("hosts set batch: %d %q %q", code, out, errs)
	}
	code, out, _ = cli("hosts", "show", "batch", "--json")
	if code != 0 || !strings.Contains(out, `"52:54:00:*"`) {
		t.Errorf("hosts show --json: %d %q", code, out)
	}
	// The server's refusal reaches the operator.
	code, _, errs = cli("hosts", "set", "dup", "--mac", "00:18:e7:42:85:21")
	if code != 1 || !strings.Contains(errs, "same MAC") || !strings.Contains(errs, "HTTP 422") {
		t.Errorf("duplicate MAC: %d %q", code, errs)
	}
	if code, _, errs := cli("hosts", "rm", "batch"); code != 0 {
		t.Errorf("hosts rm: %d %q", code, errs)
	}
	if code, _, errs := cli("hosts", "show", "batch"); code != 1 || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("hosts show after rm: %d %q", code, errs)
	}
	if code, _, _ := runCLI("hosts", "set", "x", "--api", ts.URL, "--mac", "52:54:00:00:00:01"); code != 1 {
		t.Errorf("hosts set without a token: exit %d, want 1", code)
	}
}

func netipLAN() netip.Addr { return netip.MustParseAddr("192.168.1.21") }

// A host's hardware prints a field per line, sizes in binary units.
func TestPrintInventory(t *testing.T) {
	inv := inventory.Inventory{
		DMI:         inventory.DMI{Vendor: "QEMU", Product: "Standard PC", Serial: "PXED-1"},
		Firmware:    inventory.Firmware{Mode: "uefi", SecureBoot: true},
		CPU:         inventory.CPU{Model: "QEMU Virtual CPU", Sockets: 1, Cores: 2, Threads: 2},
		MemoryBytes: 1536 << 20,
		Disks:       []inventory.Disk{{Name: "vda", SizeBytes: 8 << 30, Serial: "DISK0"}},
		NICs:        []inventory.NIC{{Name: "eth0", MAC: "52:54:00:12:34:56", Driver: "e1000", SpeedMbps: 1000, Booted: true}},
	}
	var b strings.Builder
	if err := printInventory(&b, catalog.Machine{Inventory: &inv, Rule: "by-serial"}); err != nil {
		t.Fatal(err)
	}
	want := `rule:         by-serial
system:       QEMU Standard PC
serial:       PXED-1
smbios uuid:  -
firmware:     uefi, Secure Boot on
cpu:          QEMU Virtual CPU (1 sockets, 2 cores, 2 threads)
memory:       1.5 GiB
disk:         vda 8.0 GiB ssd - serial DISK0
nic:          eth0 52:54:00:12:34:56 e1000 1000 Mb/s (booted)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("printInventory (-want +got):\n%s", diff)
	}
}
