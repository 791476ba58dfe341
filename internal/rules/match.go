package rules

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
)

// Facts are what pxed knows of a machine: from DHCP its MAC, its
// architecture (option 93) and UUID (option 97); from its discovery boot,
// once that has reported, its Inventory.
type Facts struct {
	MAC net.HardwareAddr
	// Arch is meaningful when HasArch is set: a client that sent no option
	// 93 has no architecture to match.
	Arch    pxe.Arch
	HasArch bool
	// UUID is the SMBIOS UUID the client sent in option 97, "" when none;
	// the inventory's, when there is one, is preferred.
	UUID string
	// Inventory is nil until the machine's discovery boot has reported.
	Inventory *inventory.Inventory
}

// Result is what a rule makes of a machine.
type Result uint8

const (
	// NoMatch: a fact the rule asks about is known and does not fit.
	NoMatch Result = iota
	// Match: every fact the rule asks about fits.
	Match
	// NeedsInventory: the DHCP facts (MAC, architecture) fit, and the
	// rule asks about the inventory, which is not in yet.
	NeedsInventory
)

func (r Result) String() string {
	switch r {
	case NoMatch:
		return "no-match"
	case Match:
		return "match"
	case NeedsInventory:
		return "needs-inventory"
	}
	return fmt.Sprintf("result-%d", uint8(r))
}

// Matcher is a rule's match compiled. Each field left empty (nil) asks
// nothing; a machine must fit every field that is set.
type Matcher struct {
	// MACs: the machine's MAC starts with one of these.
	MACs []MACPrefix
	// Arches: the machine's architecture is one of these (see ArchMatches).
	Arches []pxe.Arch
	// Vendor, Product, Serial: globs over the inventory's SMBIOS identity.
	Vendor, Product, Serial *Glob
	// Firmware: inventory.ModeBIOS or inventory.ModeUEFI; "" asks nothing.
	Firmware string
	// Memory: the memory installed lies in the range.
	Memory *SizeRange
	// Disk: at least one disk's size lies in the range.
	Disk *SizeRange
}

// NeedsInventory reports whether m asks about anything beyond the DHCP
// facts, so that its answer waits for the machine's inventory.
func (m *Matcher) NeedsInventory() bool {
	return m.Vendor != nil || m.Product != nil || m.Serial != nil || m.Firmware != "" || m.Memory != nil || m.Disk != nil
}

// Match tells whether the machine with facts f fits m. The DHCP facts are
// judged first, so that a machine a rule can never match is told so
// before its inventory is in.
func (m *Matcher) Match(f Facts) Result {
	if len(m.MACs) > 0 && !slices.ContainsFunc(m.MACs, func(p MACPrefix) bool { return p.Matches(f.MAC) }) {
		return NoMatch
	}
	if len(m.Arches) > 0 && (!f.HasArch || !slices.ContainsFunc(m.Arches, func(a pxe.Arch) bool { return ArchMatches(a, f.Arch) })) {
		return NoMatch
	}
	if !m.NeedsInventory() {
		return Match
	}
	inv := f.Inventory
	if inv == nil {
		return NeedsInventory
	}
	ok := globOK(m.Vendor, inv.DMI.Vendor) && globOK(m.Product, inv.DMI.Product) && globOK(m.Serial, inv.DMI.Serial) &&
		(m.Firmware == "" || m.Firmware == strings.ToLower(inv.Firmware.Mode)) &&
		// A memory size of 0 is one the agent could not read: it fits no range.
		(m.Memory == nil || inv.MemoryBytes > 0 && m.Memory.Contains(Size(inv.MemoryBytes))) &&
		(m.Disk == nil || slices.ContainsFunc(inv.Disks, func(d inventory.Disk) bool { return m.Disk.Contains(Size(d.SizeBytes)) }))
	if ok {
		return Match
	}
	return NoMatch
}

func globOK(g *Glob, s string) bool { return g == nil || g.Match(s) }

// ArchMatches reports whether a machine that sent architecture got fits a
// rule naming want. A rule names the machine ("efi-x64"), and the same
// machine asks under several codes: UEFI HTTP Boot beside PXE (16 beside
// 7), and x64 UEFI firmware sends 9 as often as 7 (pxe.Arch.Machine). A
// rule that names an HTTP Boot code ("http-efi-x64") asks for that way of
// booting, and fits only it.
func ArchMatches(want, got pxe.Arch) bool {
	if want.HTTP() {
		return want.Family() == got.Family()
	}
	return want.Machine() == got.Machine()
}

// ParseArch reads an architecture name of the option 93 registry
// ("bios", "efi-x64", "http-efi-arm64") or its number.
func ParseArch(s string) (pxe.Arch, error) { return pxe.ParseArch(s) }

// ParseFirmware reads "bios" or "uefi", in any case.
func ParseFirmware(s string) (string, error) {
	switch m := strings.ToLower(strings.TrimSpace(s)); m {
	case inventory.ModeBIOS, inventory.ModeUEFI:
		return m, nil
	}
	return "", fmt.Errorf("firmware %q is not bios or uefi", s)
}

// Rule is a discovery rule compiled: its name, what it matches and the
// template of the host name it gives.
type Rule struct {
	Name     string
	Match    Matcher
	Hostname *Template
}

// First finds the rule that decides for the machine with facts f: the
// first whose answer is not NoMatch, with that answer; -1 and NoMatch when
// every rule refuses. The first match wins, so a rule that NeedsInventory
// decides even when a later one would Match already: until the inventory
// is in, nobody can tell whether the earlier rule takes the machine.
func First(rs []Rule, f Facts) (int, Result) {
	for i := range rs {
		if r := rs[i].Match.Match(f); r != NoMatch {
			return i, r
		}
	}
	return -1, NoMatch
}
