package rules_test

import (
	"fmt"
	"net"

	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rules"
)

// A rule for the lab's QEMU machines, judged first at DHCP time (MAC and
// architecture only) and again once the machine's inventory is in.
func Example() {
	oui, _ := rules.ParseMACPrefix("52:54:00")
	serial, _ := rules.CompileGlob("pxed-*")
	memory, _ := rules.ParseSizeRange("1GiB-4GiB")
	name, _ := rules.CompileHostname("node-{{.Serial}}")
	rs := []rules.Rule{{
		Name:     "lab-by-serial",
		Match:    rules.Matcher{MACs: []rules.MACPrefix{oui}, Serial: &serial, Memory: &memory},
		Hostname: name,
	}}

	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	f := rules.Facts{MAC: mac, Arch: pxe.ArchBIOS, HasArch: true}
	i, res := rules.First(rs, f)
	fmt.Println("at DHCP time:", i, res)

	f.Inventory = &inventory.Inventory{DMI: inventory.DMI{Serial: "PXED-0042"}, MemoryBytes: 1536 << 20}
	i, res = rules.First(rs, f)
	host, _ := rs[i].Hostname.Render(f)
	fmt.Println("with its inventory:", i, res, host)
	// Output:
	// at DHCP time: 0 needs-inventory
	// with its inventory: 0 match node-pxed-0042
}
