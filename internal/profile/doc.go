// Package profile renders what each machine boots into the config its
// loader reads, and serves those configs over TFTP and HTTP. What a machine
// boots is the catalog's decision (catalog.Snapshot.Resolve: host, else
// subnet, else network-wide profile; "local" once an install-once host has
// called back); the rendering is a pure function of the profile and the
// machine's facts (cmdline.Facts: MAC, address, host name, architecture,
// console, UUID, server), with the command line expanded by cmdline.Expand.
// The architecture the machine's DHCP request named picks the profile's
// files and console (config.Profile.ForArch), so one profile serves x64
// and arm64 machines alike.
//
// Rendered configs, each at the path its loader asks for first:
//   - PXELINUX: pxelinux.cfg/01-<mac> (syslinux's PXELINUX config search:
//     UUID, 01-MAC, hex IP prefixes, default).
//   - GRUB: grub.cfg-01-<mac> in any directory (GRUB manual, "Network":
//     with a network prefix GRUB tries grub.cfg-01-<mac>, then
//     grub.cfg-<hex IP> prefixes, then grub.cfg), and grub/grub.cfg itself,
//     which Debian's netboot grubx64.efi reads at once from its prefix
//     (/debian-installer/amd64/grub/grub.cfg, seen in the lab's captures),
//     answered for the machine at the requesting address.
//   - iPXE: ipxe/<mac>.ipxe, over HTTP or TFTP.
//
// A profile with a root image (internal/rootimage) gets the packed image
// and the machine's overlay as its last initrds, at the paths
// internal/rootimage serves them.
package profile
