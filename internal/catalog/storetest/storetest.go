// Package storetest checks that a catalog.Store keeps the contract the
// Catalog relies on. Each implementation's tests call Run.
package storetest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
)

// Opener opens the store under test. Called twice in one test, it must
// open the same (durable) store again: that is how Run checks that
// changes survive a restart. The test closes what it opens.
type Opener func(t *testing.T) catalog.Store

// Run runs the contract tests against the store open returns; fresh
// returns an Opener on a new, empty store for each subtest. The subtests
// run in parallel: each has a store of its own.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	ctx := context.Background()
	mac := func(s string) config.MAC {
		m, err := net.ParseMAC(s)
		if err != nil {
			t.Fatal(err)
		}
		return config.MAC{HardwareAddr: m}
	}
	str := func(s string) *string { return &s }
	host := config.Host{
		Name: "station-02", MAC: mac("00:18:e7:42:85:21"), MACs: []string{"00:18:e7:99:*"},
		UUID: "8a1b7c2e-0000-4000-8000-00000000002a", IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.102")},
		IP6:     config.Addr6{Addr: netip.MustParseAddr("2001:db8:1::102")},
		Netboot: config.NetbootOnce, Boot: &config.Boot{Profile: "debian-installer"},
		Options: []config.Option{{Code: 17, String: str("iscsi:192.168.1.21::::iqn.2026-01.lan:s2")}},
	}
	prof := config.Profile{Name: "rescue", Kernel: "rescue/vmlinuz", Initrd: []string{"rescue/initrd"}, Cmdline: "console={{.Console}}",
		Console: "ttyS1", Arch: map[string]config.ProfileArch{"efi-arm64": {Kernel: "rescue/arm64", Initrd: []string{"rescue/arm64.img"}, Console: "ttyAMA0"}}}
	// A discovery rule with every field set: all must come back.
	rule := config.Rule{Name: "lab-by-serial",
		Match: config.RuleMatch{MAC: []string{"52:54:00"}, Arch: []string{"bios", "efi-x64"}, Vendor: "QEMU", Product: "Standard*",
			Serial: "PXED-*", Firmware: "uefi", Memory: ">=1GiB", Disk: "8GiB-64GiB"},
		Assign: config.RuleAssign{Hostname: "node-{{.Serial}}", IP: config.Addr{Addr: netip.MustParseAddr("192.168.1.140")},
			Profile: "debian-installer", Netboot: config.NetbootOnce}}
	seen := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	// A machine with its discovery boot's inventory, adopted by a rule:
	// every field must come back as stored.
	machine := catalog.Machine{MAC: mac("52:54:00:12:34:56"), Arch: "efi-x64", UUID: "u", FirstSeen: seen, LastSeen: seen.Add(time.Minute),
		Inventory: &inventory.Inventory{
			Collected: seen, DMI: inventory.DMI{Vendor: "QEMU", Product: "Standard PC (i440FX + PIIX, 1996)", Serial: "PXED-1", UUID: "u"},
			Firmware: inventory.Firmware{Mode: inventory.ModeUEFI, SecureBoot: true}, CPU: inventory.CPU{Model: "QEMU Virtual CPU", Sockets: 1, Cores: 2, Threads: 2},
			MemoryBytes: 1536 << 20,
			Disks:       []inventory.Disk{{Name: "sda", SizeBytes: 8 << 30, Model: "QEMU HARDDISK", Serial: "d1", Rotational: true}},
			NICs:        []inventory.NIC{{Name: "eth0", MAC: "52:54:00:12:34:56", Driver: "e1000", SpeedMbps: 1000, Booted: true}},
		},
		Rule: "by-serial", Host: "node-pxed-1"}
	opts := cmp.Options{
		cmpopts.EquateEmpty(),
		cmp.Comparer(func(a, b config.MAC) bool { return a.String() == b.String() }),
		cmp.Comparer(func(a, b config.Addr) bool { return a.Addr == b.Addr }),
		cmp.Comparer(func(a, b config.Addr6) bool { return a.Addr == b.Addr }),
		cmpopts.EquateApproxTime(0),
	}
	load := func(t *testing.T, s catalog.Store) catalog.State {
		t.Helper()
		st, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		return st
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)(t)
		if diff := cmp.Diff(catalog.State{}, load(t, s), opts); diff != "" {
			t.Errorf("new store not empty (-want +got):\n%s", diff)
		}
	})

	t.Run("durable", func(t *testing.T) {
		t.Parallel()
		open := fresh(t)
		s := open(t)
		must(t, s.PutHost(ctx, host))
		must(t, s.PutProfile(ctx, prof))
		must(t, s.PutRule(ctx, rule))
		must(t, s.SetInstalled(ctx, "Station-02", seen))
		must(t, s.PutMachine(ctx, machine))
		must(t, s.Close())
		want := catalog.State{
			Hosts: []config.Host{host}, Profiles: []config.Profile{prof}, Rules: []config.Rule{rule},
			Installed: map[string]time.Time{"station-02": seen}, Machines: []catalog.Machine{machine},
		}
		if diff := cmp.Diff(want, load(t, open(t)), opts); diff != "" {
			t.Errorf("after reopening (-want +got):\n%s", diff)
		}
	})

	t.Run("replace and delete by name ignoring case", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)(t)
		must(t, s.PutHost(ctx, host))
		h2 := host
		h2.Name, h2.Netboot = "STATION-02", config.NetbootNever
		must(t, s.PutHost(ctx, h2))
		if diff := cmp.Diff([]config.Host{h2}, load(t, s).Hosts, opts); diff != "" {
			t.Errorf("PutHost of the same name did not replace (-want +got):\n%s", diff)
		}
		must(t, s.PutProfile(ctx, prof))
		p2 := prof
		p2.Cmdline = "console=ttyS0 single"
		must(t, s.PutProfile(ctx, p2))
		if diff := cmp.Diff([]config.Profile{p2}, load(t, s).Profiles, opts); diff != "" {
			t.Errorf("PutProfile of the same name did not replace (-want +got):\n%s", diff)
		}
		must(t, s.PutRule(ctx, rule))
		r2 := rule
		r2.Name, r2.Assign.Netboot = "Lab-By-Serial", config.NetbootNever
		must(t, s.PutRule(ctx, r2))
		if diff := cmp.Diff([]config.Rule{r2}, load(t, s).Rules, opts); diff != "" {
			t.Errorf("PutRule of the same name did not replace (-want +got):\n%s", diff)
		}
		must(t, s.DeleteHost(ctx, "station-02"))
		must(t, s.DeleteProfile(ctx, "Rescue"))
		must(t, s.DeleteRule(ctx, "LAB-by-serial"))
		if st := load(t, s); len(st.Hosts)+len(st.Profiles)+len(st.Rules) != 0 {
			t.Errorf("after delete: %+v", st)
		}
		if err := s.DeleteHost(ctx, "station-02"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("DeleteHost of a missing host = %v, want ErrNotFound", err)
		}
		if err := s.DeleteProfile(ctx, "rescue"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("DeleteProfile of a missing profile = %v, want ErrNotFound", err)
		}
		if err := s.DeleteRule(ctx, "lab-by-serial"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("DeleteRule of a missing rule = %v, want ErrNotFound", err)
		}
	})

	t.Run("installed set and cleared", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)(t)
		must(t, s.SetInstalled(ctx, "station-02", seen))
		must(t, s.SetInstalled(ctx, "station-03", seen))
		must(t, s.SetInstalled(ctx, "STATION-02", time.Time{}))
		if diff := cmp.Diff(map[string]time.Time{"station-03": seen}, load(t, s).Installed, opts); diff != "" {
			t.Errorf("installed (-want +got):\n%s", diff)
		}
	})

	t.Run("machines replaced by MAC and deleted", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)(t)
		must(t, s.PutMachine(ctx, machine))
		m2 := machine
		m2.LastSeen = seen.Add(time.Hour)
		must(t, s.PutMachine(ctx, m2))
		other := catalog.Machine{MAC: mac("52:54:00:00:00:01"), FirstSeen: seen, LastSeen: seen}
		must(t, s.PutMachine(ctx, other))
		got := load(t, s).Machines
		if diff := cmp.Diff([]catalog.Machine{m2, other}, got, opts, cmpopts.SortSlices(func(a, b catalog.Machine) bool { return a.MAC.String() < b.MAC.String() })); diff != "" {
			t.Errorf("machines (-want +got):\n%s", diff)
		}
		must(t, s.DeleteMachine(ctx, machine.MAC))
		must(t, s.DeleteMachine(ctx, mac("00:00:00:00:00:01"))) // unknown: no error
		if got := load(t, s).Machines; len(got) != 1 || got[0].MAC.String() != other.MAC.String() {
			t.Errorf("after delete: %+v", got)
		}
	})
}
