// Package ramdisk builds the disk images that UEFI HTTP Boot machines boot
// from RAM, so that GRUB finds its config and the kernel without any
// network access of its own.
//
// Why: under UEFI HTTP Boot, Debian 12's signed GRUB takes its root from
// the firmware's URL as (http,host), has no http module built in and, under
// Secure Boot, may load none; it reads no config and stops at grub>. EDK2's
// HttpBootDxe takes a download whose Content-Type is
// application/vnd.efi-img (or whose URL ends in .img) as a disk: it
// registers it as a RAM disk (HttpBootRegisterRamDisk) and the boot manager
// starts \EFI\BOOT\BOOTX64.EFI (BOOTAA64.EFI) from the FAT file system on
// it (BmExpandNetworkFileSystem, BmExpandMediaDevicePath). GRUB loaded from
// that disk has it as its root.
//
// An image is a FAT32 file system (github.com/diskfs/go-diskfs) holding:
//   - the machine's loader at the removable-media path; when it is shim, the
//     GRUB beside it in the boot root at EFI/BOOT/grubx64.efi, where shim
//     looks for its second stage;
//   - GRUB's config at the path GRUB's embedded prefix reads
//     (debian-installer/amd64/grub/grub.cfg for Debian's netboot GRUB),
//     read from the GRUB binary itself (Inspect);
//   - the kernel and initrds the config loads, at the paths it names.
//
// The config is the one pxed renders for the machine over TFTP
// (internal/profile, asked as grub.cfg-01-<mac>). It is the only part that
// differs between machines of one profile (host name, MAC and address
// facts), so an image is built once per loader and set of files, with a
// fixed-size slot for the config, and each machine's config is laid over
// that slot as the image is read (File). Images are files under pxed's data
// directory, named by a hash of what went in (Service, cache); a changed
// loader, kernel, initrd or profile makes a new one, and the least recently
// used go when there are more than MaxImages.
package ramdisk
