// Package draft writes a first pxed configuration from what a host sees on
// one link: the interface's address and prefix, the addresses in use there
// (the kernel's neighbour table, the host's own, the gateway), the name
// servers of resolv.conf, the boot programs under the TFTP root, and
// whether another DHCP server answered a DISCOVER. pxed init gathers those
// facts (link_linux.go, loaders.go, resolv.go) and Build decides, with no
// I/O, what the configuration says.
package draft
