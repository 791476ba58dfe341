package catalog_test

import (
	"context"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
)

// openDiscovery opens a catalog over the test base with discovery.boot
// set to boot (and one rule naming the MAC prefix 52:54:00), adopting
// with adopt.
func openDiscovery(t *testing.T, boot string, adopt catalog.Adopter) *catalog.Catalog {
	t.Helper()
	cfg := parse(t)
	cfg.Discovery = config.Discovery{Boot: boot, Kernel: "/boot/vmlinuz", Rules: []config.Rule{{Name: "qemu", Match: config.RuleMatch{MAC: []string{"52:54:00"}}, Assign: config.RuleAssign{Hostname: "qemu-{{.MAC}}"}}}}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c, err := catalog.Open(context.Background(), cfg, st, catalog.Options{Now: func() time.Time { return clock }, CallbackKey: []byte("api-token"), Adopt: adopt})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Which machines boot the built-in discovery profile: none with
// discovery off, every unknown one with all, the ones a rule's MAC could
// match with rules; a known host never.
func TestResolveDiscovery(t *testing.T) {
	t.Parallel()
	link := netip.MustParseAddr("192.168.1.21")
	for _, tc := range []struct {
		boot string
		mac  string
		want string
	}{
		{config.DiscoveryOff, "52:54:00:12:34:56", "debian-installer"},
		{config.DiscoveryAll, "52:54:00:12:34:56", config.DiscoveryProfile},
		{config.DiscoveryAll, "0a:00:00:00:00:01", config.DiscoveryProfile},
		{config.DiscoveryAll, "00:18:e7:42:84:3a", "debian-installer"}, // station-01
		{config.DiscoveryRules, "52:54:00:12:34:56", config.DiscoveryProfile},
		{config.DiscoveryRules, "0a:00:00:00:00:01", "debian-installer"},
	} {
		c := openDiscovery(t, tc.boot, nil)
		d := c.Snapshot().Resolve(mac(tc.mac), pxe.Client{}, link)
		if d.Profile == nil || d.Profile.Name != tc.want {
			t.Errorf("boot %s, %s: profile %v, want %s", tc.boot, tc.mac, d.Profile, tc.want)
			continue
		}
		if tc.want == config.DiscoveryProfile {
			p := d.Profile
			if p.Kernel != catalog.DiscoveryKernel || len(p.Initrd) != 1 || p.Initrd[0] != catalog.DiscoveryInitrd || !strings.Contains(p.Cmdline, "{{.Agent}}") || d.Why != "discovery" {
				t.Errorf("discovery profile = %+v (why %q)", p, d.Why)
			}
		}
	}
}

// Under discovery.boot "rules" the DHCP facts decide who boots discovery:
// an architecture rule takes only machines that asked with that
// architecture (an x64 UEFI machine also when it asks for HTTP Boot), and
// a rule that asks about the inventory alone could take any machine.
func TestResolveDiscoveryByRuleFacts(t *testing.T) {
	t.Parallel()
	link := netip.MustParseAddr("192.168.1.21")
	uefi := pxe.Client{PXE: true, Arch: pxe.ArchX64UEFI, HasArch: true}
	uefiHTTP := pxe.Client{HTTP: true, Arch: pxe.ArchX64HTTP, HasArch: true}
	bios := pxe.Client{PXE: true, Arch: pxe.ArchBIOS, HasArch: true}
	for _, tc := range []struct {
		name  string
		match config.RuleMatch
		c     pxe.Client
		want  string
	}{
		{"arch matches", config.RuleMatch{Arch: []string{"efi-x64"}}, uefi, config.DiscoveryProfile},
		{"arch names the machine, HTTP Boot too", config.RuleMatch{Arch: []string{"efi-x64"}}, uefiHTTP, config.DiscoveryProfile},
		{"another arch", config.RuleMatch{Arch: []string{"efi-x64"}}, bios, "debian-installer"},
		{"no option 93", config.RuleMatch{Arch: []string{"efi-x64"}}, pxe.Client{PXE: true}, "debian-installer"},
		{"inventory only", config.RuleMatch{Serial: "PXED-*"}, bios, config.DiscoveryProfile},
		{"MAC and inventory, MAC refuses", config.RuleMatch{MAC: []string{"00:18:e7"}, Serial: "PXED-*"}, bios, "debian-installer"},
	} {
		cfg := parse(t)
		cfg.Discovery = config.Discovery{Boot: config.DiscoveryRules, Kernel: "/boot/vmlinuz",
			Rules: []config.Rule{{Name: "r", Match: tc.match, Assign: config.RuleAssign{Hostname: "n-{{.Serial}}"}}}}
		st, err := catalog.OpenFile(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		c, err := catalog.Open(context.Background(), cfg, st, catalog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := c.Snapshot().Resolve(mac("52:54:00:12:34:56"), tc.c, link)
		if d.Profile == nil || d.Profile.Name != tc.want {
			t.Errorf("%s: profile %v, want %s", tc.name, d.Profile, tc.want)
		}
	}
}

// A machine's agent token is its own: another MAC's, or a catalog with
// another key, does not pass; without a key there are none.
func TestAgentToken(t *testing.T) {
	t.Parallel()
	c := openDiscovery(t, config.DiscoveryAll, nil)
	a, b := mac("52:54:00:12:34:56"), mac("52:54:00:12:34:57")
	tok, err := c.AgentToken(a)
	if err != nil || !regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]{32}$`).MatchString(tok) {
		t.Fatalf("AgentToken = %q, %v", tok, err)
	}
	if !c.CheckAgent(a, tok) || c.CheckAgent(b, tok) || c.CheckAgent(a, "") || c.CheckAgent(a, strings.ToUpper(tok)) {
		t.Error("CheckAgent accepts a token that is not the machine's, or refuses its own")
	}
	if cb, _ := c.CallbackToken(a.String()); cb == tok {
		t.Error("the agent token equals a callback token of the same text")
	}
	st, _ := catalog.OpenFile(t.TempDir())
	nokey, err := catalog.Open(context.Background(), parse(t), st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nokey.AgentToken(a); err == nil {
		t.Error("a catalog without a key made an agent token")
	}
}

// Each boot's token carries when it was issued: it is good for
// AgentTokenLife, not after, and not when its time is altered.
func TestAgentTokenExpires(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Open(context.Background(), parse(t), st, catalog.Options{Now: func() time.Time { return now }, CallbackKey: []byte("api-token")})
	if err != nil {
		t.Fatal(err)
	}
	a := mac("52:54:00:12:34:56")
	tok, err := c.AgentToken(a)
	if err != nil {
		t.Fatal(err)
	}
	issued, sum, _ := strings.Cut(tok, "-")
	n, _ := strconv.ParseInt(issued, 16, 64)
	later := strconv.FormatInt(n+3600, 16) + "-" + sum
	now = now.Add(time.Hour)
	if next, _ := c.AgentToken(a); next == tok {
		t.Error("two boots an hour apart were given the same token")
	}
	if !c.CheckAgent(a, tok) {
		t.Error("a token an hour old is refused")
	}
	if c.CheckAgent(a, later) {
		t.Error("a token whose issue time was changed passes")
	}
	now = now.Add(catalog.AgentTokenLife)
	if c.CheckAgent(a, tok) {
		t.Errorf("a token %v old passes", catalog.AgentTokenLife+time.Hour)
	}
}

// An inventory report is stored with the machine; a rule's adoption makes
// the host entry in the same change, and the agent is then told to reboot.
// A report no rule adopts leaves the machine waiting, and an operator's
// host entry ends the wait. A restart keeps the inventory.
func TestReportInventory(t *testing.T) {
	t.Parallel()
	inv := inventory.Inventory{DMI: inventory.DMI{Vendor: "QEMU", Serial: "PXED-7"}, Firmware: inventory.Firmware{Mode: inventory.ModeBIOS}, MemoryBytes: 1536 << 20}
	adopt := func(m catalog.Machine) (config.Host, string, bool) {
		if m.Inventory == nil || m.Inventory.DMI.Serial != "PXED-7" {
			return config.Host{}, "", false
		}
		return config.Host{Name: "node-" + strings.ToLower(m.Inventory.DMI.Serial), MAC: m.MAC, Boot: &config.Boot{Profile: "debian-installer"}, Rule: "by-serial"}, "by-serial", true
	}
	c := openDiscovery(t, config.DiscoveryAll, adopt)
	ctx := context.Background()
	adopted, waiting := mac("52:54:00:00:00:07"), mac("52:54:00:00:00:08")

	m, err := c.ReportInventory(ctx, adopted, inv)
	if err != nil {
		t.Fatal(err)
	}
	if m.Host != "node-pxed-7" || m.Rule != "by-serial" || m.Inventory == nil || m.Inventory.MemoryBytes != 1536<<20 {
		t.Errorf("adopted machine = %+v", m)
	}
	snap := c.Snapshot()
	h, ok := snap.Match(adopted, nil)
	if !ok || h.Name != "node-pxed-7" || h.Rule != "by-serial" || h.Source != catalog.FromAPI {
		t.Fatalf("host of the adopted machine = %+v, %v", h, ok)
	}
	if got := snap.InstructionFor(adopted); got != catalog.Reboot {
		t.Errorf("instruction for the adopted machine = %s, want reboot", got)
	}
	if d := snap.Resolve(adopted, pxe.Client{}, netip.MustParseAddr("192.168.1.21")); d.Profile == nil || d.Profile.Name != "debian-installer" {
		t.Errorf("adopted machine boots %v, want debian-installer", d.Profile)
	}

	other := inv
	other.DMI.Serial = "OTHER"
	if m, err = c.ReportInventory(ctx, waiting, other); err != nil || m.Host != "" || m.Rule != "" {
		t.Fatalf("report no rule adopts = %+v, %v", m, err)
	}
	snap = c.Snapshot()
	if got := snap.InstructionFor(waiting); got != catalog.Wait {
		t.Errorf("instruction for a machine no rule adopts = %s, want wait", got)
	}
	var discovered []string
	for _, d := range snap.Discovered() {
		discovered = append(discovered, d.MAC.String())
	}
	if diff := cmp.Diff([]string{waiting.String()}, discovered); diff != "" {
		t.Errorf("discovered (-want +got):\n%s", diff)
	}
	// Adopted by hand: the record stays, with its inventory, marked.
	if err := c.PutHost(ctx, config.Host{Name: "by-hand", MAC: config.MAC{HardwareAddr: waiting}}); err != nil {
		t.Fatal(err)
	}
	snap = c.Snapshot()
	if got := snap.InstructionFor(waiting); got != catalog.Reboot {
		t.Errorf("instruction after adoption by hand = %s, want reboot", got)
	}
	if rec, ok := snap.Machine(waiting); !ok || rec.Host != "by-hand" || rec.Inventory == nil || rec.Inventory.DMI.Serial != "OTHER" {
		t.Errorf("record after adoption by hand = %+v, %v", rec, ok)
	}
	if len(snap.Discovered()) != 0 {
		t.Errorf("discovered after adoption = %v, want none", snap.Discovered())
	}
}

// A rule's host that breaks the configuration (an address another host
// has) is refused as an API entry would be, and nothing is stored.
func TestReportInventoryInvalidHost(t *testing.T) {
	t.Parallel()
	adopt := func(m catalog.Machine) (config.Host, string, bool) {
		return config.Host{Name: "clash", MAC: m.MAC, IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.101")}}, "clash-rule", true
	}
	c := openDiscovery(t, config.DiscoveryAll, adopt)
	m := mac("52:54:00:00:00:09")
	_, err := c.ReportInventory(context.Background(), m, inventory.Inventory{})
	if err == nil || !strings.Contains(err.Error(), "clash-rule") {
		t.Fatalf("err = %v, want the rule's host refused", err)
	}
	if _, known := c.Snapshot().Match(m, nil); known {
		t.Error("the refused host was stored")
	}
}
