// Package rules is the pure part of pxed's discovery rules: the parsers of
// what a rule's match may say (MAC prefixes, architecture names, globs over
// the SMBIOS identity, firmware modes, size ranges), the compiled Matcher
// that tells whether a machine's facts match, and the host-name Template
// that names the machine a rule adopts.
//
// A machine is known in two stages. At DHCP time pxed knows its MAC and
// architecture (option 93) and nothing more; once its discovery boot has
// reported, it knows its inventory too. A Matcher says which fields need
// the inventory, and Match answers NeedsInventory when the DHCP facts match
// and the rest cannot be told yet: discovery.boot "rules" sends such a
// machine to the discovery boot, whose report then decides.
//
// internal/config compiles each rule of its discovery section through this
// package (and so validates it, pxed check, with every problem at its line);
// the catalog matches the compiled rules when an inventory comes in. The
// package imports only pxe (the architecture registry) and inventory, so
// config may import it.
package rules
