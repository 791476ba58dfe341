// Package agentimage builds the initramfs of the discovery boot
// (docs/discovery.md) and serves it, with the kernel it goes with, as a
// bootfs.Opener at discovery/initrd.img and discovery/vmlinuz.
//
// The initramfs holds pxed itself as /init (pxed is one static binary, and
// run as PID 1 it is `pxed agent`, internal/agent), /dev/console (the
// kernel opens it for init's output before anything is mounted), and the
// drivers of common NICs and disks taken from the kernel's own module tree
// (config discovery.modules) with every module they depend on
// (modules.dep), decompressed when the tree holds .ko.xz, .ko.zst or
// .ko.gz (a kernel decompresses a module itself only when built with
// CONFIG_MODULE_DECOMPRESS, which Debian 12's is not), listed in load order
// in /etc/pxed/modules for the agent.
//
// The archive is a newc cpio (Linux's
// Documentation/driver-api/early-userspace/buffer-format.rst) written with
// u-root's pkg/cpio, compressed with zstd when the kernel's config (beside
// its module tree, /boot/config-<version>) says CONFIG_RD_ZSTD, else gzip,
// which every kernel takes. It is built once and kept under the data dir,
// and built again when pxed's binary or the module tree changes.
package agentimage
