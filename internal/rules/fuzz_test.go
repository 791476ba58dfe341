package rules

import (
	"net"
	"testing"

	"github.com/pxed/pxed/internal/inventory"
)

// FuzzHostname checks that a template that compiles renders, for any
// serial number, either an error or one valid host-name label.
func FuzzHostname(f *testing.F) {
	for _, s := range [][2]string{
		{"node-{{.Serial}}", "PXED-0042"},
		{"{{.Serial}}", "  SN 12.34/56  "},
		{"{{.Vendor}}-{{.Serial}}", "Σειρά-7"},
		{"{{.MAC}}", ""},
		{`{{printf "%s%s" .Serial .Serial}}`, "x"},
	} {
		f.Add(s[0], s[1])
	}
	mac := net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	f.Fuzz(func(t *testing.T, text, serial string) {
		tmpl, err := CompileHostname(text)
		if err != nil {
			return
		}
		name, err := tmpl.Render(Facts{MAC: mac, Inventory: &inventory.Inventory{DMI: inventory.DMI{Serial: serial, Vendor: serial}}})
		if err != nil {
			return
		}
		if !validLabel(name) {
			t.Fatalf("template %q with serial %q renders %q, not a host-name label", text, serial, name)
		}
	})
}

// validLabel is RFC 1123 §2.1's label, written out apart from
// MakeHostname so that the fuzz target checks one against the other.
func validLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
