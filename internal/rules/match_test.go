package rules

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
)

func mustMAC(t *testing.T, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustGlob(t *testing.T, s string) *Glob {
	t.Helper()
	g, err := CompileGlob(s)
	if err != nil {
		t.Fatal(err)
	}
	return &g
}

func mustRange(t *testing.T, s string) *SizeRange {
	t.Helper()
	r, err := ParseSizeRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

func mustPrefix(t *testing.T, s string) MACPrefix {
	t.Helper()
	p, err := ParseMACPrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// station is the lab's discovery machine: QEMU, 1536 MiB, disks of 8 and
// 16 GiB, a set serial.
func station(t *testing.T) Facts {
	return Facts{
		MAC:     mustMAC(t, "52:54:00:12:34:56"),
		Arch:    pxe.ArchBIOS,
		HasArch: true,
		Inventory: &inventory.Inventory{
			DMI:         inventory.DMI{Vendor: "QEMU", Product: "Standard PC (i440FX + PIIX, 1996)", Serial: "PXED-0042", UUID: "8a1b7c2e-0000-4000-8000-00000000002a"},
			Firmware:    inventory.Firmware{Mode: inventory.ModeBIOS},
			MemoryBytes: 1536 << 20,
			Disks:       []inventory.Disk{{Name: "vda", SizeBytes: 8 << 30}, {Name: "vdb", SizeBytes: 16 << 30}},
		},
	}
}

func TestMatcherMatch(t *testing.T) {
	t.Parallel()
	full := station(t)
	dhcpOnly := full
	dhcpOnly.Inventory = nil
	noArch := full
	noArch.HasArch = false
	uefiHTTP := full
	uefiHTTP.Arch = pxe.ArchX64HTTP
	ebc := full
	ebc.Arch = pxe.ArchEBC
	noMemory := station(t)
	noMemory.Inventory.MemoryBytes = 0

	tests := []struct {
		name  string
		m     Matcher
		facts Facts
		want  Result
	}{
		{"empty matches all", Matcher{}, full, Match},
		{"empty matches without inventory", Matcher{}, dhcpOnly, Match},
		{"mac oui", Matcher{MACs: []MACPrefix{mustPrefix(t, "52:54:00")}}, full, Match},
		{"mac full", Matcher{MACs: []MACPrefix{mustPrefix(t, "52-54-00-12-34-56")}}, full, Match},
		{"mac any of", Matcher{MACs: []MACPrefix{mustPrefix(t, "00:18:e7"), mustPrefix(t, "525400")}}, full, Match},
		{"mac other", Matcher{MACs: []MACPrefix{mustPrefix(t, "00:18:e7")}}, full, NoMatch},
		{"mac other refuses before inventory", Matcher{MACs: []MACPrefix{mustPrefix(t, "00:18:e7")}, Serial: mustGlob(t, "*")}, dhcpOnly, NoMatch},
		{"arch", Matcher{Arches: []pxe.Arch{pxe.ArchBIOS}}, full, Match},
		{"arch other", Matcher{Arches: []pxe.Arch{pxe.ArchX64UEFI}}, full, NoMatch},
		{"arch unknown", Matcher{Arches: []pxe.Arch{pxe.ArchBIOS}}, noArch, NoMatch},
		{"efi-x64 takes http boot", Matcher{Arches: []pxe.Arch{pxe.ArchX64UEFI}}, uefiHTTP, Match},
		{"efi-x64 takes code 9", Matcher{Arches: []pxe.Arch{pxe.ArchX64UEFI}}, ebc, Match},
		{"http-efi-x64 only http boot", Matcher{Arches: []pxe.Arch{pxe.ArchX64HTTP}}, ebc, NoMatch},
		{"http-efi-x64", Matcher{Arches: []pxe.Arch{pxe.ArchX64HTTP}}, uefiHTTP, Match},
		{"vendor", Matcher{Vendor: mustGlob(t, "qemu")}, full, Match},
		{"vendor other", Matcher{Vendor: mustGlob(t, "Dell*")}, full, NoMatch},
		{"product", Matcher{Product: mustGlob(t, "Standard PC*")}, full, Match},
		{"product other", Matcher{Product: mustGlob(t, "PowerEdge*")}, full, NoMatch},
		{"serial", Matcher{Serial: mustGlob(t, "PXED-*")}, full, Match},
		{"serial other", Matcher{Serial: mustGlob(t, "PXED-1*")}, full, NoMatch},
		{"firmware", Matcher{Firmware: inventory.ModeBIOS}, full, Match},
		{"firmware other", Matcher{Firmware: inventory.ModeUEFI}, full, NoMatch},
		{"memory", Matcher{Memory: mustRange(t, "1GiB-2GiB")}, full, Match},
		{"memory exact bound", Matcher{Memory: mustRange(t, "<=1536MiB")}, full, Match},
		{"memory other", Matcher{Memory: mustRange(t, ">=2GiB")}, full, NoMatch},
		{"memory unknown", Matcher{Memory: mustRange(t, "<=64GiB")}, noMemory, NoMatch},
		{"disk one of two", Matcher{Disk: mustRange(t, ">=12GiB")}, full, Match},
		{"disk the other", Matcher{Disk: mustRange(t, "<10GB")}, full, Match},
		{"disk none", Matcher{Disk: mustRange(t, ">=100GB")}, full, NoMatch},
		{"all fields", Matcher{
			MACs: []MACPrefix{mustPrefix(t, "52:54:00")}, Arches: []pxe.Arch{pxe.ArchBIOS},
			Vendor: mustGlob(t, "QEMU"), Product: mustGlob(t, "*"), Serial: mustGlob(t, "pxed-00??"),
			Firmware: inventory.ModeBIOS, Memory: mustRange(t, "1GiB-4GiB"), Disk: mustRange(t, "16GiB-16GiB"),
		}, full, Match},
		{"all but one field", Matcher{
			MACs: []MACPrefix{mustPrefix(t, "52:54:00")}, Vendor: mustGlob(t, "QEMU"), Disk: mustRange(t, "1TB-2TB"),
		}, full, NoMatch},
		{"needs inventory", Matcher{Serial: mustGlob(t, "PXED-*")}, dhcpOnly, NeedsInventory},
		{"needs inventory after dhcp facts", Matcher{MACs: []MACPrefix{mustPrefix(t, "52:54:00")}, Memory: mustRange(t, ">=1GiB")}, dhcpOnly, NeedsInventory},
		{"dhcp facts alone decide", Matcher{MACs: []MACPrefix{mustPrefix(t, "52:54:00")}, Arches: []pxe.Arch{pxe.ArchBIOS}}, dhcpOnly, Match},
	}
	for _, tt := range tests {
		if got := tt.m.Match(tt.facts); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFirst(t *testing.T) {
	t.Parallel()
	full := station(t)
	dhcpOnly := full
	dhcpOnly.Inventory = nil
	other := full
	other.MAC = mustMAC(t, "00:18:e7:42:84:3a")
	other.Inventory = nil

	rs := []Rule{
		{Name: "dell", Match: Matcher{Vendor: mustGlob(t, "Dell*")}},
		{Name: "by-serial", Match: Matcher{MACs: []MACPrefix{mustPrefix(t, "52:54:00")}, Serial: mustGlob(t, "PXED-*")}},
		{Name: "qemu", Match: Matcher{MACs: []MACPrefix{mustPrefix(t, "52:54:00")}}},
	}
	type result struct {
		Index  int
		Result Result
	}
	tests := []struct {
		name  string
		rules []Rule
		facts Facts
		want  result
	}{
		{"first match wins", rs, full, result{1, Match}},
		{"only a rule that refuses", rs[:1:1], full, result{-1, NoMatch}},
		{"without inventory the first that could match decides", rs, dhcpOnly, result{0, NeedsInventory}},
		{"a machine only inventory rules could take", rs, other, result{0, NeedsInventory}},
		{"no rules", nil, full, result{-1, NoMatch}},
		{"dhcp-only rule decides alone", rs[2:], dhcpOnly, result{0, Match}},
		{"no match", rs[1:], other, result{-1, NoMatch}},
	}
	for _, tt := range tests {
		i, r := First(tt.rules, tt.facts)
		if diff := cmp.Diff(tt.want, result{i, r}); diff != "" {
			t.Errorf("%s: First (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseMACPrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "52:54:00", want: "52:54:00"},
		{in: "52-54-00", want: "52:54:00"},
		{in: "525400", want: "52:54:00"},
		{in: "00:18:E7:42:84:3A", want: "00:18:e7:42:84:3a"},
		{in: "52", want: "52"},
		{in: "", wantErr: true},
		{in: "52:54:0", wantErr: true},
		{in: "5254000", wantErr: true},
		{in: "52:54:00:12:34:56:78", wantErr: true},
		{in: "52:54:zz", wantErr: true},
		{in: "52::54", wantErr: true},
		{in: "52:54:00:*", wantErr: true},
	}
	for _, tt := range tests {
		p, err := ParseMACPrefix(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseMACPrefix(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && p.String() != tt.want {
			t.Errorf("ParseMACPrefix(%q) = %s, want %s", tt.in, p, tt.want)
		}
	}
}

func TestParseFirmware(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"bios": "bios", "UEFI": "uefi", " uefi ": "uefi", "efi": "", "": ""} {
		got, err := ParseFirmware(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("ParseFirmware(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// FuzzParseMACPrefix checks that what parses writes back to a form that
// parses to the same octets.
func FuzzParseMACPrefix(f *testing.F) {
	for _, s := range []string{"52:54:00", "525400", "00-18-e7-42-84-3a", "5", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseMACPrefix(s)
		if err != nil {
			return
		}
		back, err := ParseMACPrefix(p.String())
		if err != nil || string(back) != string(p) {
			t.Fatalf("ParseMACPrefix(%q) = %s, which reads back as %v, %v", s, p, back, err)
		}
	})
}
