package catalog_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
)

const base = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
    - network: 10.0.0.0/24
      boot:
        profile: rescue
        file: sub.0
dhcp6:
  subnets:
    - prefix: 2001:db8:1::/64
    - prefix: 2001:db8:2::/64
      boot:
        profile: rescue
        file: sub6.0
tftp:
  enabled: false
web:
  address: ":9069"
boot:
  file: pxelinux.0
  profile: debian-installer
profiles:
  - name: debian-installer
    kernel: d-i/linux
    initrd: [d-i/initrd.gz]
    cmdline: priority=critical ---
  - name: rescue
    kernel: rescue/linux
    loader: {file: rescue.0}
hosts:
  - name: station-01
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
  - name: by-uuid
    uuid: 8A1B7C2E-0000-4000-8000-00000000002A
    boot: {profile: rescue}
  - name: batch
    macs: ["00:18:e7:*"]
    boot: {profile: local, file: batch.0}
  - name: station-02
    mac: 00:18:e7:42:85:21
    ip: 192.168.1.102
    netboot: once
    options:
      - {code: 17, string: "iscsi:192.168.1.21::::iqn.2026-01.lan:s2"}
  - name: station-04
    macs: [00:18:e7:42:99:01]
    netboot: never
  - name: rescue-own
    mac: 00:18:e7:42:99:02
    boot: {profile: rescue, file: own.0}
`

func parse(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse("pxed.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatal(config.JoinProblems(ps))
	}
	return c
}

func open(t *testing.T, dir string, now func() time.Time) *catalog.Catalog {
	t.Helper()
	st, err := catalog.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Open(context.Background(), parse(t), st, catalog.Options{Now: now, CallbackKey: []byte("api-token")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

var uuid = []byte{0x8a, 0x1b, 0x7c, 0x2e, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x2a}

func TestResolve(t *testing.T) {
	t.Parallel()
	c := open(t, t.TempDir(), time.Now)
	lan, other := netip.MustParseAddr("192.168.1.21"), netip.MustParseAddr("10.0.0.1")
	lan6, other6 := netip.MustParseAddr("2001:db8:1::21"), netip.MustParseAddr("2001:db8:2::1")
	tests := []struct {
		name     string
		mac      string
		uuid     []byte
		link     netip.Addr
		host     string // "" for none
		profile  string
		why      string
		bootFile string
	}{
		{"exact MAC", "00:18:e7:42:84:3a", nil, lan, "station-01", "debian-installer", "global", "pxelinux.0"},
		{"exact MAC beats UUID", "00:18:e7:42:84:3a", uuid, lan, "station-01", "debian-installer", "global", "pxelinux.0"},
		{"UUID beats glob; the profile's loader", "00:18:e7:00:00:01", uuid, lan, "by-uuid", "rescue", "host", "rescue.0"},
		{"glob", "00:18:E7:00:00:01", nil, lan, "batch", "local", "host", "batch.0"},
		{"unknown machine gets the global profile", "52:54:00:12:34:56", nil, lan, "", "debian-installer", "global", "pxelinux.0"},
		{"unknown machine on a subnet with its own; the profile's loader beats the subnet's file", "52:54:00:12:34:56", nil, other, "", "rescue", "subnet", "rescue.0"},
		{"host profile beats subnet", "00:18:e7:00:00:01", uuid, other, "by-uuid", "rescue", "host", "rescue.0"},
		{"host's own file beats its profile's loader", "00:18:e7:42:99:02", nil, lan, "rescue-own", "rescue", "host", "own.0"},
		{"netboot never boots local", "00:18:e7:42:99:01", nil, lan, "station-04", "local", "netboot never", "pxelinux.0"},
		{"netboot once before the callback", "00:18:e7:42:85:21", nil, lan, "station-02", "debian-installer", "global", "pxelinux.0"},
		{"IPv6 link: the same host by MAC", "00:18:e7:42:84:3a", nil, lan6, "station-01", "debian-installer", "global", "pxelinux.0"},
		{"IPv6 link with its own boot section", "52:54:00:12:34:56", nil, other6, "", "rescue", "subnet", "rescue.0"},
		{"IPv6 link with its own boot section, host file", "00:18:e7:42:99:02", nil, other6, "rescue-own", "rescue", "host", "own.0"},
	}
	snap := c.Snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := snap.Resolve(mac(tt.mac), pxe.Client{UUID: tt.uuid}, tt.link)
			host := ""
			if d.Host != nil {
				host = d.Host.Name
			}
			prof := ""
			if d.Profile != nil {
				prof = d.Profile.Name
			}
			if host != tt.host || prof != tt.profile || d.Why != tt.why || d.Boot.FileFor(pxe.ArchBIOS) != tt.bootFile {
				t.Errorf("Resolve = host %q profile %q (%s) file %q, want %q %q (%s) %q",
					host, prof, d.Why, d.Boot.FileFor(pxe.ArchBIOS), tt.host, tt.profile, tt.why, tt.bootFile)
			}
		})
	}
	h, _ := snap.Match(mac("00:18:e7:42:85:21"), nil)
	if opts := h.RawOptions(); len(opts) != 1 || opts[0].Code != 17 || string(opts[0].Value) != "iscsi:192.168.1.21::::iqn.2026-01.lan:s2" {
		t.Errorf("station-02 options = %v, want option 17 root-path", opts)
	}
}

// The install-once cycle: netboot once boots the profile; the callback
// switches the host to local, durably; clearing it installs again.
func TestInstallOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	ctx := context.Background()
	m := mac("00:18:e7:42:85:21")
	profile := func(c *catalog.Catalog) string {
		return c.Snapshot().Resolve(m, pxe.Client{}, netip.MustParseAddr("192.168.1.21")).Profile.Name
	}
	c := open(t, dir, now)
	if got := profile(c); got != "debian-installer" {
		t.Fatalf("before the callback: %s, want debian-installer", got)
	}
	if err := c.SetInstalled(ctx, "Station-02", true); err != nil {
		t.Fatal(err)
	}
	if got := profile(c); got != config.LocalProfile {
		t.Fatalf("after the callback: %s, want local", got)
	}

	c = open(t, dir, now) // restart
	if got := profile(c); got != config.LocalProfile {
		t.Fatalf("after a restart: %s, want local (the callback was lost)", got)
	}
	if h, _ := c.Snapshot().Host("station-02"); !h.Installed.Equal(clock) {
		t.Errorf("installed at %v, want %v", h.Installed, clock)
	}
	if err := c.SetInstalled(ctx, "station-02", false); err != nil {
		t.Fatal(err)
	}
	c = open(t, dir, now)
	if got := profile(c); got != "debian-installer" {
		t.Fatalf("after clearing and a restart: %s, want debian-installer", got)
	}
	if err := c.SetInstalled(ctx, "no-such-host", true); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("SetInstalled of an unknown host = %v, want ErrNotFound", err)
	}
}

// The API layer overrides the file by name and deleting it restores the
// file's entry; all of it without a new Catalog (no restart).
func TestOverlay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := open(t, dir, time.Now)
	lan := netip.MustParseAddr("192.168.1.21")
	m := mac("00:18:e7:42:84:3a")

	over := config.Host{Name: "STATION-01", MAC: config.MAC{HardwareAddr: m}, IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.111")},
		Boot: &config.Boot{Profile: "rescue"}}
	if err := c.PutHost(ctx, over); err != nil {
		t.Fatal(err)
	}
	d := c.Snapshot().Resolve(m, pxe.Client{}, lan)
	if d.Profile.Name != "rescue" || d.Host.Source != catalog.FromAPI || d.Host.IP.Addr != over.IP.Addr {
		t.Fatalf("after override: %s from %s ip %s", d.Profile.Name, d.Host.Source, d.Host.IP)
	}
	if n := len(c.Snapshot().Hosts()); n != 6 {
		t.Errorf("%d hosts after overriding one, want 6", n)
	}
	if err := c.DeleteHost(ctx, "station-01"); err != nil {
		t.Fatal(err)
	}
	d = c.Snapshot().Resolve(m, pxe.Client{}, lan)
	if d.Profile.Name != "debian-installer" || d.Host.Source != catalog.FromConfig {
		t.Fatalf("after deleting the override: %s from %s", d.Profile.Name, d.Host.Source)
	}
	if err := c.DeleteHost(ctx, "station-01"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("deleting a YAML host = %v, want ErrNotFound", err)
	}

	// New profile and a new host booting it.
	if err := c.PutProfile(ctx, config.Profile{Name: "memtest", Kernel: "memtest86+.bin"}); err != nil {
		t.Fatal(err)
	}
	nh := config.Host{Name: "lab-9", MAC: config.MAC{HardwareAddr: mac("52:54:00:00:00:09")}, Boot: &config.Boot{Profile: "memtest"}}
	if err := c.PutHost(ctx, nh); err != nil {
		t.Fatal(err)
	}
	if d := c.Snapshot().Resolve(nh.MAC.HardwareAddr, pxe.Client{}, lan); d.Profile == nil || d.Profile.Name != "memtest" {
		t.Fatalf("new host: %+v", d)
	}
	c = open(t, dir, time.Now)
	if d := c.Snapshot().Resolve(nh.MAC.HardwareAddr, pxe.Client{}, lan); d.Profile == nil || d.Profile.Name != "memtest" {
		t.Fatalf("new host after restart: %+v", d)
	}
	// An API host deleted after its install callback: a new host of that
	// name installs again.
	nh.Netboot = config.NetbootOnce
	if err := c.PutHost(ctx, nh); err != nil {
		t.Fatal(err)
	}
	if err := c.SetInstalled(ctx, "lab-9", true); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteHost(ctx, "lab-9"); err != nil {
		t.Fatal(err)
	}
	if err := c.PutHost(ctx, nh); err != nil {
		t.Fatal(err)
	}
	if d := c.Snapshot().Resolve(nh.MAC.HardwareAddr, pxe.Client{}, lan); d.Profile.Name != "memtest" || !d.Host.Installed.IsZero() {
		t.Fatalf("re-created lab-9 boots %s (installed %v), want memtest, not installed", d.Profile.Name, d.Host.Installed)
	}
	// The profile is in use: deleting it would leave lab-9 pointing nowhere.
	var inv *catalog.InvalidError
	if err := c.DeleteProfile(ctx, "memtest"); !errors.As(err, &inv) {
		t.Errorf("deleting a profile in use = %v, want InvalidError", err)
	}
}

func TestPutHostRefusesWhatCheckRefuses(t *testing.T) {
	t.Parallel()
	c := open(t, t.TempDir(), time.Now)
	tests := []struct {
		name string
		h    config.Host
	}{
		{"MAC of another host", config.Host{Name: "dup", MAC: config.MAC{HardwareAddr: mac("00:18:e7:42:84:3a")}}},
		{"address in the pool", config.Host{Name: "p", MAC: config.MAC{HardwareAddr: mac("52:54:00:00:00:01")}, IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.150")}}},
		{"unknown profile", config.Host{Name: "q", MAC: config.MAC{HardwareAddr: mac("52:54:00:00:00:02")}, Boot: &config.Boot{Profile: "nope"}}},
		{"bad name", config.Host{Name: "a b", MAC: config.MAC{HardwareAddr: mac("52:54:00:00:00:03")}}},
		{"nothing to match by", config.Host{Name: "nomatch"}},
	}
	for _, tt := range tests {
		var inv *catalog.InvalidError
		if err := c.PutHost(context.Background(), tt.h); !errors.As(err, &inv) {
			t.Errorf("%s: PutHost = %v, want InvalidError", tt.name, err)
		}
	}
	if n := len(c.Snapshot().Hosts()); n != 6 {
		t.Errorf("%d hosts after refused changes, want the file's 6", n)
	}
}

// Unknown PXE and BOOTP clients become discovered machines, durably, with
// first and last seen; adopting one as a host removes it from the list.
func TestDiscovered(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	c := open(t, dir, func() time.Time { return clock })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	heard := &heard{}
	go func() { done <- c.Run(ctx, heard) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	unknown := mac("52:54:00:12:34:56")
	pxeClient := pxe.Client{PXE: true, HasArch: true, Arch: pxe.ArchX64UEFI, UUID: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}
	c.Record(events.Event{Time: clock, Kind: events.DHCPDiscover, MAC: unknown, Client: pxeClient})
	c.Record(events.Event{Time: clock, Kind: events.DHCPDiscover, MAC: mac("00:18:e7:42:84:3a"), Client: pxeClient}) // known
	c.Record(events.Event{Time: clock, Kind: events.DHCPDiscover, MAC: mac("52:54:00:00:00:77")})                    // not PXE
	bootp := mac("52:54:00:00:00:78")
	c.Record(events.Event{Time: clock, Kind: events.BOOTPRequest, MAC: bootp}) // a BOOTP client
	waitFor(t, func() bool { return len(c.Snapshot().Machines()) == 2 })
	// Each new machine is told once, as discovered.
	if got := heard.kinds(); !slices.Equal(got, []string{"discovered 52:54:00:12:34:56", "discovered 52:54:00:00:00:78"}) {
		t.Errorf("events = %q, want one discovered event per new machine", got)
	}
	if err := c.PutHost(context.Background(), config.Host{Name: "bootp-1", MAC: config.MAC{HardwareAddr: bootp}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(c.Snapshot().Machines()) == 1 })
	c.Record(events.Event{Time: clock.Add(2 * time.Minute), Kind: events.DHCPDiscover, MAC: unknown, Client: pxeClient})
	waitFor(t, func() bool { return c.Snapshot().Machines()[0].LastSeen.Equal(clock.Add(2 * time.Minute)) })
	stop()

	c = open(t, dir, func() time.Time { return clock })
	ms := c.Snapshot().Machines()
	if len(ms) != 1 {
		t.Fatalf("after restart: %d machines, want 1", len(ms))
	}
	m := ms[0]
	if m.MAC.String() != unknown.String() || m.Arch != "efi-x64" || m.UUID != "01020304-0506-0708-090a-0b0c0d0e0f10" ||
		!m.FirstSeen.Equal(clock) || !m.LastSeen.Equal(clock.Add(2*time.Minute)) {
		t.Errorf("machine = %+v", m)
	}
	if err := c.PutHost(context.Background(), config.Host{Name: "adopted", MAC: m.MAC}); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Snapshot().Machines()); n != 0 {
		t.Errorf("%d machines after adoption, want 0", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in 5 s")
}

func TestCallbackToken(t *testing.T) {
	t.Parallel()
	c := open(t, t.TempDir(), time.Now)
	tok, err := c.CallbackToken("station-02")
	if err != nil || len(tok) != 32 {
		t.Fatalf("CallbackToken = %q, %v", tok, err)
	}
	if !c.CheckCallback("STATION-02", tok) {
		t.Error("the host's own token was refused")
	}
	if c.CheckCallback("station-01", tok) {
		t.Error("station-02's token let station-01 through")
	}
	if c.CheckCallback("station-02", "") {
		t.Error("an empty token was accepted")
	}
	st, _ := catalog.OpenFile(t.TempDir())
	nokey, _ := catalog.Open(context.Background(), parse(t), st, catalog.Options{})
	if _, err := nokey.CallbackToken("station-02"); !errors.Is(err, catalog.ErrNoCallbacks) {
		t.Errorf("without a key: %v, want ErrNoCallbacks", err)
	}
	if nokey.CheckCallback("station-02", "") {
		t.Error("without a key an empty token was accepted")
	}
}

// heard records the events a Catalog tells.
type heard struct {
	mu sync.Mutex
	ev []events.Event
}

func (h *heard) Record(e events.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ev = append(h.ev, e)
}

func (h *heard) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.ev {
		out = append(out, e.Kind.String()+" "+e.MAC.String())
	}
	return out
}

// TestReload: a file read again replaces the file's hosts and profiles;
// the API's entries stay laid over it; a file that clashes with an API
// entry is refused and the catalog keeps serving the old one.
func TestReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := open(t, t.TempDir(), time.Now)
	lan := netip.MustParseAddr("192.168.1.21")
	api := config.Host{Name: "lab-9", MAC: config.MAC{HardwareAddr: mac("52:54:00:00:00:09")},
		IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.109")}}
	if err := c.PutHost(ctx, api); err != nil {
		t.Fatal(err)
	}
	reparse := func(t *testing.T, src string) *config.Config {
		t.Helper()
		cfg, err := config.Parse("pxed.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if ps := cfg.Validate(); len(ps) > 0 {
			t.Fatal(config.JoinProblems(ps))
		}
		return cfg
	}

	// station-01 leaves the file, station-09 comes; the installer's
	// command line changes.
	next := strings.Replace(base, "  - name: station-01\n    mac: 00:18:e7:42:84:3a\n    ip: 192.168.1.101\n",
		"  - name: station-09\n    mac: 52:54:00:00:01:09\n    ip: 192.168.1.119\n", 1)
	next = strings.Replace(next, "priority=critical", "priority=low", 1)
	if err := c.Reload(ctx, reparse(t, next)); err != nil {
		t.Fatal(err)
	}
	snap := c.Snapshot()
	if _, ok := snap.Host("station-01"); ok {
		t.Error("station-01, gone from the file, is still a host")
	}
	if h, ok := snap.Host("station-09"); !ok || h.IP.Addr != netip.MustParseAddr("192.168.1.119") || h.Source != catalog.FromConfig {
		t.Errorf("station-09 after the reload: %+v, %v", h, ok)
	}
	if h, ok := snap.Host("lab-9"); !ok || h.Source != catalog.FromAPI {
		t.Errorf("the API's lab-9 after the reload: %+v, %v", h, ok)
	}
	if d := snap.Resolve(mac("52:54:00:00:01:09"), pxe.Client{}, lan); d.Profile == nil || d.Profile.Cmdline != "priority=low ---" {
		t.Errorf("station-09's profile after the reload: %+v", d.Profile)
	}

	// A file reserving the API host's address for another host is
	// refused: the catalog stays as it was.
	clash := strings.Replace(next, "ip: 192.168.1.119", "ip: 192.168.1.109", 1)
	err := c.Reload(ctx, reparse(t, clash))
	var invalid *catalog.InvalidError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "192.168.1.109") {
		t.Fatalf("reload with a clashing address = %v, want an InvalidError naming 192.168.1.109", err)
	}
	if c.Snapshot() != snap {
		t.Error("a refused reload published a new snapshot")
	}
	if h, _ := c.Snapshot().Host("station-09"); h.IP.Addr != netip.MustParseAddr("192.168.1.119") {
		t.Errorf("station-09 after a refused reload: %s", h.IP)
	}
	// The old base is still the one changes are checked against.
	if err := c.PutHost(ctx, config.Host{Name: "lab-10", MAC: config.MAC{HardwareAddr: mac("52:54:00:00:00:10")},
		IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.119")}}); err == nil {
		t.Error("an API host on station-09's address was accepted after a refused reload")
	}
}

// TestMergeBootSecureBoot: secure_boot said in a section reaches the
// machines under it, a nearer section's word wins, and unsaid leaves the
// enclosing one's.
func TestMergeBootSecureBoot(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	for _, tc := range []struct {
		name       string
		base, over *bool
		want       bool
	}{
		{"unsaid", nil, nil, false},
		{"said off", nil, &no, true},
		{"said on", nil, &yes, false},
		{"off, then on nearer", &no, &yes, false},
		{"off, unsaid nearer", &no, nil, true},
	} {
		b, err := catalog.MergeBoot(pxe.Boot{IPXE: config.IPXEEFIPath}, &config.Boot{SecureBoot: tc.base})
		if err != nil {
			t.Fatal(err)
		}
		if b, err = catalog.MergeBoot(b, &config.Boot{SecureBoot: tc.over}); err != nil {
			t.Fatal(err)
		}
		if b.SecureBootOff != tc.want || b.IPXE != config.IPXEEFIPath {
			t.Errorf("%s: SecureBootOff %v, IPXE %q; want %v, %q", tc.name, b.SecureBootOff, b.IPXE, tc.want, config.IPXEEFIPath)
		}
	}
}
