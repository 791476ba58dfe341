package config

// Discovery is what machines without a host entry boot, and the rules that
// adopt them (docs/discovery.md).
type Discovery struct {
	// Boot says which machines without a host entry get the discovery
	// boot: "off" (default: they boot the network-wide boot file as
	// before), "all", or "rules" (only those a rule's DHCP facts match:
	// MAC, MAC prefix, architecture).
	Boot string `yaml:"boot"`
	// Kernel is the Linux kernel the discovery boot runs: a path on this
	// server, absolute or under the TFTP root.
	Kernel string `yaml:"kernel"`
	// Modules is that kernel's module tree (/lib/modules/<version>); the
	// initramfs pxed builds carries its NIC and disk drivers.
	Modules string `yaml:"modules"`
	// Cmdline is added to the discovery kernel's command line.
	Cmdline string `yaml:"cmdline"`
	// Rules adopt discovered machines: the first that matches wins. A
	// machine no rule matches waits to be adopted by hand.
	Rules []Rule `yaml:"rules"`
}

// Discovery boot choices.
const (
	DiscoveryOff   = "off"
	DiscoveryAll   = "all"
	DiscoveryRules = "rules"
)

// Rule adopts the machines it matches: every field of Match set must
// match, and then Assign makes the machine's host entry.
type Rule struct {
	Name   string     `yaml:"name" json:"name"`
	Match  RuleMatch  `yaml:"match" json:"match"`
	Assign RuleAssign `yaml:"assign" json:"assign"`
}

// RuleMatch is what a rule asks of a machine. Empty fields match anything.
// MAC and Arch are known from DHCP; the rest from the machine's inventory.
type RuleMatch struct {
	// MAC: addresses or prefixes ("52:54:00", an OUI), any of which matches.
	MAC []string `yaml:"mac" json:"mac,omitempty"`
	// Arch: architecture names (bios, efi-x64, efi-arm64), any of which.
	Arch []string `yaml:"arch" json:"arch,omitempty"`
	// Vendor, Product, Serial: globs ("*" any run, "?" one character),
	// compared ignoring case, over the SMBIOS system identity.
	Vendor  string `yaml:"vendor" json:"vendor,omitempty"`
	Product string `yaml:"product" json:"product,omitempty"`
	Serial  string `yaml:"serial" json:"serial,omitempty"`
	// Firmware: bios or uefi.
	Firmware string `yaml:"firmware" json:"firmware,omitempty"`
	// Memory: a size range the memory installed falls in: "1GiB-4GiB",
	// ">=1GiB", "<=64GiB".
	Memory string `yaml:"memory" json:"memory,omitempty"`
	// Disk: a size range that at least one disk falls in.
	Disk string `yaml:"disk" json:"disk,omitempty"`
}

// RuleAssign is the host entry a rule makes.
type RuleAssign struct {
	// Hostname is a template over the machine's facts ({{.Serial}},
	// {{.MAC}}, ...), made into a valid host name.
	Hostname string `yaml:"hostname" json:"hostname"`
	// IP is a reserved address; empty: the machine leases from the pool.
	IP Addr `yaml:"ip" json:"ip,omitzero"`
	// Profile is what the machine boots once adopted.
	Profile string `yaml:"profile" json:"profile,omitempty"`
	// Netboot is the host's policy (always, once, never).
	Netboot Netboot `yaml:"netboot" json:"netboot,omitempty"`
}
