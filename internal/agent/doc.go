// Package agent is pxed's discovery agent: what runs as `pxed agent` in
// the initramfs of the discovery boot (docs/discovery.md), as PID 1 (/init).
//
// It collects the machine's inventory (Collect: SMBIOS tables, firmware,
// CPUs, memory, disks and NICs, read through an fs.FS so that tests read
// testdata trees), brings up the NIC the machine booted from by DHCP, posts
// the inventory to the pxed server the kernel command line names
// (pxed.server, pxed.token, pxed.mac) and then does what the server says:
// wait, reboot or power off. The steps that touch the machine (mounts,
// kernel modules, links, addresses, reboot) are behind the System
// interface; the protocol loop (Agent.Run) is plain code over it.
package agent
