package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
)

func TestMakeHostname(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "node-PXED-0042", want: "node-pxed-0042"},
		{in: "node-SN 1234 5678", want: "node-sn-1234-5678"}, // spaces
		{in: "node-1.2.3", want: "node-1-2-3"},               // dots: one label
		{in: "  CZ3_41 /07X  ", want: "cz3-41-07x"},          // runs become one hyphen, ends trimmed
		{in: "srv-Ünïcødé", want: "srv-n-c-d"},               // letters outside ASCII
		{in: "Ärger", want: "rger"},                          // a leading gap leaves no hyphen
		{in: "a--b", want: "a-b"},
		{in: "node-" + strings.Repeat("x", 70), want: "node-" + strings.Repeat("x", 58)}, // cut to 63
		{in: strings.Repeat("a", 62) + ".b", want: strings.Repeat("a", 62)},              // no hyphen left at the cut
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: "-._-", wantErr: true},
		{in: "日本", wantErr: true},
	}
	for _, tt := range tests {
		got, err := MakeHostname(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("MakeHostname(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("MakeHostname(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	facts := station(t)
	dhcpOnly := facts
	dhcpOnly.Inventory = nil
	dhcpOnly.UUID = "8A1B7C2E-0000-4000-8000-0000000000FF"
	spaces := station(t)
	spaces.Inventory.DMI.Serial = "  SN 12.34/56  "
	unicode := station(t)
	unicode.Inventory.DMI.Serial = "Σειρά-7"
	empty := station(t)
	empty.Inventory.DMI.Serial = ""
	efi := station(t)
	efi.Arch = pxe.ArchX64UEFI

	tests := []struct {
		name, text string
		facts      Facts
		want       string
		wantErr    bool
	}{
		{"serial", "node-{{.Serial}}", facts, "node-pxed-0042", false},
		{"serial with spaces, dots and a slash", "node-{{.Serial}}", spaces, "node-sn-12-34-56", false},
		{"serial in another script", "{{.Serial}}", unicode, "7", false},
		{"empty serial", "{{.Serial}}", empty, "", true},
		{"empty serial with a prefix", "node-{{.Serial}}", empty, "node", false},
		{"mac with hyphens", "m-{{.MAC}}", facts, "m-52-54-00-12-34-56", false},
		{"vendor and product", "{{.Vendor}}-{{.Product}}", facts, "qemu-standard-pc-i440fx-piix-1996", false},
		{"uuid from the inventory", "{{.UUID}}", facts, "8a1b7c2e-0000-4000-8000-00000000002a", false},
		{"uuid from dhcp", "{{.UUID}}", dhcpOnly, "8a1b7c2e-0000-4000-8000-0000000000ff", false},
		{"arch", "{{.Arch}}-{{.Serial}}", efi, "efi-x64-pxed-0042", false},
		{"no inventory", "node-{{.Serial}}", dhcpOnly, "node", false},
		{"template functions", `{{printf "%.4s" .Serial}}`, facts, "pxed", false},
	}
	for _, tt := range tests {
		tmpl, err := CompileHostname(tt.text)
		if err != nil {
			t.Errorf("%s: CompileHostname(%q): %v", tt.name, tt.text, err)
			continue
		}
		got, err := tmpl.Render(tt.facts)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: Render = %q, %v; want error %v", tt.name, got, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: Render = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCompileHostnameRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, want string
	}{
		{"", "host name template is empty"},
		{"node-{{.Serial", `hostname:1: unclosed action`},
		{"node-{{.Hostname}}", `hostname:1:7: executing "hostname" at <.Hostname>: map has no entry for key "Hostname" (names: Serial, Vendor, Product, UUID, MAC, Arch)`},
		{"{{range 100000}}x{{end}}", "writes more than 4096 bytes"}, // output is bounded
		{"{{template \"x\"}}", `hostname:1:11: executing "hostname" at <{{template "x"}}>: template "x" not defined (names: Serial, Vendor, Product, UUID, MAC, Arch)`},
	}
	for _, tt := range tests {
		_, err := CompileHostname(tt.text)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("CompileHostname(%q) error (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestNameFactsOf(t *testing.T) {
	t.Parallel()
	got := NameFactsOf(Facts{MAC: mustMAC(t, "52:54:00:AB:CD:EF"), Inventory: &inventory.Inventory{DMI: inventory.DMI{Serial: "S"}}})
	want := NameFacts{Serial: "S", MAC: "52-54-00-ab-cd-ef"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NameFactsOf (-want +got):\n%s", diff)
	}
}
