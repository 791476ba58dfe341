package catalog_test

import (
	"context"
	"errors"
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

// openDiscovery opens a catalog in dir over the test base with
// discovery.boot set to boot and the discovery rules rs in its file (by
// default one rule naming the MAC prefix 52:54:00).
func openDiscovery(t *testing.T, dir, boot string, rs ...config.Rule) *catalog.Catalog {
	t.Helper()
	cfg := parse(t)
	if rs == nil {
		rs = []config.Rule{{Name: "qemu", Match: config.RuleMatch{MAC: []string{"52:54:00"}}, Assign: config.RuleAssign{Hostname: "qemu-{{.MAC}}"}}}
	}
	cfg.Discovery = config.Discovery{Boot: boot, Kernel: "/boot/vmlinuz", Rules: rs}
	if ps := cfg.Validate(); len(ps) > 0 {
		t.Fatal(config.JoinProblems(ps))
	}
	st, err := catalog.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	c, err := catalog.Open(context.Background(), cfg, st, catalog.Options{Now: func() time.Time { return clock }, CallbackKey: []byte("api-token")})
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
		c := openDiscovery(t, t.TempDir(), tc.boot)
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
	c := openDiscovery(t, t.TempDir(), config.DiscoveryAll)
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
	bySerial := config.Rule{Name: "by-serial", Match: config.RuleMatch{Serial: "PXED-7"}, Assign: config.RuleAssign{Hostname: "node-{{.Serial}}", Profile: "debian-installer"}}
	c := openDiscovery(t, t.TempDir(), config.DiscoveryAll, bySerial)
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
// has) is refused as an API entry would be, and nothing is stored: a rule
// with an address adopts its first machine, and a second clashes with it.
func TestReportInventoryInvalidHost(t *testing.T) {
	t.Parallel()
	rule := config.Rule{Name: "clash-rule", Match: config.RuleMatch{Serial: "PXED-*"},
		Assign: config.RuleAssign{Hostname: "n-{{.Serial}}", IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.140")}}}
	c := openDiscovery(t, t.TempDir(), config.DiscoveryAll, rule)
	ctx := context.Background()
	first, err := c.ReportInventory(ctx, mac("52:54:00:00:00:08"), inventory.Inventory{DMI: inventory.DMI{Serial: "PXED-8"}})
	if err != nil || first.Host != "n-pxed-8" {
		t.Fatalf("first machine = %+v, %v; want adopted as n-pxed-8", first, err)
	}
	m := mac("52:54:00:00:00:09")
	_, err = c.ReportInventory(ctx, m, inventory.Inventory{DMI: inventory.DMI{Serial: "PXED-9"}})
	if err == nil || !strings.Contains(err.Error(), "clash-rule") {
		t.Fatalf("err = %v, want the rule's host refused", err)
	}
	if _, known := c.Snapshot().Match(m, nil); known {
		t.Error("the refused host was stored")
	}
}

// Discovery rules made through the API lay over the file's as hosts do:
// the file's in file order, an API rule of the same name in its place,
// the other API rules after them by name. They are held to the checks of
// `pxed check`, adopt machines as the file's do, and survive a restart.
func TestRulesThroughAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	fileRules := []config.Rule{
		{Name: "qemu", Match: config.RuleMatch{MAC: []string{"52:54:00"}, Serial: "QEMU-*"}, Assign: config.RuleAssign{Hostname: "qemu-{{.Serial}}"}},
		{Name: "uefi", Match: config.RuleMatch{Arch: []string{"efi-x64"}, Serial: "UEFI-*"}, Assign: config.RuleAssign{Hostname: "uefi-{{.Serial}}"}},
	}
	c := openDiscovery(t, dir, config.DiscoveryRules, fileRules...)
	order := func(c *catalog.Catalog) []string {
		var out []string
		for _, r := range c.Snapshot().Rules() {
			out = append(out, r.Name+"/"+string(r.Source))
		}
		return out
	}
	put := func(r config.Rule) {
		t.Helper()
		if err := c.PutRule(ctx, r); err != nil {
			t.Fatalf("PutRule %s: %v", r.Name, err)
		}
	}
	put(config.Rule{Name: "zeta", Match: config.RuleMatch{Serial: "ZETA-*"}, Assign: config.RuleAssign{Hostname: "z-{{.Serial}}"}})
	put(config.Rule{Name: "Alpha", Match: config.RuleMatch{MAC: []string{"0a:00:00"}, Serial: "ALPHA-*"}, Assign: config.RuleAssign{Hostname: "a-{{.Serial}}", Profile: "rescue"}})
	// Replaces the file's "qemu" in place, its name in another case.
	put(config.Rule{Name: "QEMU", Match: config.RuleMatch{MAC: []string{"52:54:00"}, Serial: "QEMU-*"}, Assign: config.RuleAssign{Hostname: "vm-{{.Serial}}", Profile: "debian-installer"}})
	want := []string{"QEMU/api", "uefi/config", "Alpha/api", "zeta/api"}
	if diff := cmp.Diff(want, order(c)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}

	// The API rule decides who boots discovery: 0a:00:00 did not before.
	link := netip.MustParseAddr("192.168.1.21")
	if d := c.Snapshot().Resolve(mac("0a:00:00:00:00:01"), pxe.Client{PXE: true}, link); d.Profile == nil || d.Profile.Name != config.DiscoveryProfile {
		t.Errorf("a machine an API rule names boots %v, want discovery", d.Profile)
	}
	// And adopts: the replaced file rule no longer does, its API rule does.
	m, err := c.ReportInventory(ctx, mac("52:54:00:00:00:11"), inventory.Inventory{DMI: inventory.DMI{Serial: "QEMU-11"}})
	if err != nil || m.Host != "vm-qemu-11" || m.Rule != "QEMU" {
		t.Errorf("adopted by the API rule = %+v, %v; want host vm-qemu-11 by rule QEMU", m, err)
	}
	if m, err = c.ReportInventory(ctx, mac("0a:00:00:00:00:01"), inventory.Inventory{DMI: inventory.DMI{Serial: "ALPHA-1"}}); err != nil || m.Host != "a-alpha-1" {
		t.Errorf("adopted by a new API rule = %+v, %v", m, err)
	}
	if h, ok := c.Snapshot().Host("a-alpha-1"); !ok || h.Rule != "Alpha" || h.Boot == nil || h.Boot.Profile != "rescue" {
		t.Errorf("host of the API rule = %+v, %v", h, ok)
	}

	// Refused as `pxed check` refuses a rule in the file; nothing changes.
	for _, tt := range []struct {
		name string
		r    config.Rule
	}{
		{"bad name", config.Rule{Name: "a b", Assign: config.RuleAssign{Hostname: "x-{{.Serial}}"}}},
		{"no host-name template", config.Rule{Name: "nameless"}},
		{"bad template", config.Rule{Name: "tpl", Assign: config.RuleAssign{Hostname: "{{.Nope"}}},
		{"bad MAC prefix", config.Rule{Name: "mac", Match: config.RuleMatch{MAC: []string{"zz:00"}}, Assign: config.RuleAssign{Hostname: "m-{{.MAC}}"}}},
		{"bad memory range", config.Rule{Name: "mem", Match: config.RuleMatch{Memory: "lots"}, Assign: config.RuleAssign{Hostname: "m-{{.MAC}}"}}},
		{"unknown profile", config.Rule{Name: "prof", Assign: config.RuleAssign{Hostname: "p-{{.MAC}}", Profile: "nope"}}},
		{"address of a host", config.Rule{Name: "ip", Assign: config.RuleAssign{Hostname: "i-{{.MAC}}", IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.101")}}}},
		{"address in the pool", config.Rule{Name: "pool", Assign: config.RuleAssign{Hostname: "i-{{.MAC}}", IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.160")}}}},
		{"bad netboot", config.Rule{Name: "nb", Assign: config.RuleAssign{Hostname: "n-{{.MAC}}", Netboot: "sometimes"}}},
	} {
		var inv *catalog.InvalidError
		if err := c.PutRule(ctx, tt.r); !errors.As(err, &inv) {
			t.Errorf("%s: PutRule = %v, want InvalidError", tt.name, err)
		}
	}
	if diff := cmp.Diff(want, order(c)); diff != "" {
		t.Errorf("rules after refused changes (-want +got):\n%s", diff)
	}
	// A profile an API rule assigns stays while the rule does.
	if err := c.PutProfile(ctx, config.Profile{Name: "memtest", Kernel: "memtest86+.bin"}); err != nil {
		t.Fatal(err)
	}
	put(config.Rule{Name: "zeta", Match: config.RuleMatch{Serial: "ZETA-*"}, Assign: config.RuleAssign{Hostname: "z-{{.Serial}}", Profile: "memtest"}})
	var inv *catalog.InvalidError
	if err := c.DeleteProfile(ctx, "memtest"); !errors.As(err, &inv) {
		t.Errorf("deleting a profile an API rule assigns = %v, want InvalidError", err)
	}

	// A restart keeps the API rules, in their places.
	c = openDiscovery(t, dir, config.DiscoveryRules, fileRules...)
	if diff := cmp.Diff(want, order(c)); diff != "" {
		t.Errorf("rules after a restart (-want +got):\n%s", diff)
	}
	if r, ok := c.Snapshot().Rule("zeta"); !ok || r.Assign.Profile != "memtest" || r.Source != catalog.FromAPI {
		t.Errorf("rule zeta after a restart = %+v, %v", r, ok)
	}

	// A file rule can only be overridden: deleting its override brings it
	// back, deleting it is refused; an unknown rule is not found.
	if err := c.DeleteRule(ctx, "qemu"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRule(ctx, "qemu"); !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), "can only be overridden") {
		t.Errorf("deleting a file rule = %v, want ErrNotFound saying it can only be overridden", err)
	}
	if err := c.DeleteRule(ctx, "nowhere"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("deleting an unknown rule = %v, want ErrNotFound", err)
	}
	if err := c.DeleteRule(ctx, "ALPHA"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"qemu/config", "uefi/config", "zeta/api"}, order(c)); diff != "" {
		t.Errorf("rules after deletes (-want +got):\n%s", diff)
	}
	if _, ok := c.Snapshot().Host("a-alpha-1"); !ok {
		t.Error("the host a deleted rule adopted went with it")
	}
}
