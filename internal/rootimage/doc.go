// Package rootimage runs diskless machines in RAM from pxed alone: a
// profile's root image (a directory, or a tar archive) is packed into an
// initramfs the kernel unpacks into its RAM file system and runs as the
// whole system, and each machine gets a small second archive of its own
// files (host name, machine ID, keys) laid over it. No NFS server, no disk.
//
// The archive format is the kernel's: newc cpio, compressed, one archive
// after another in memory, each unpacked over the last
// (Documentation/driver-api/early-userspace/buffer-format.rst;
// init/initramfs.c). What the unpacker does decides what Pack writes:
//   - it makes no missing parent directory, so a directory precedes its
//     entries and parents a tar archive never lists are written first;
//   - it links a regular file to an earlier entry with the same inode
//     number only when that first entry's nlink is 2 or more (maybe_link),
//     so a tar archive is read twice: once, headers only, to count links;
//   - it applies a directory entry's mode to a directory that exists, so a
//     machine's overlay leaves out the parents the image already has.
//
// Libraries: github.com/u-root/u-root/pkg/cpio writes the records. It is
// the cpio code of u-root, the project that builds Go initramfs images for
// LinuxBoot, maintained with it, and, unlike github.com/cavaliergopher/cpio,
// writes a device node's numbers (rdevmajor, rdevminor): a root has
// /dev/console and /dev/null. github.com/klauspost/compress/zstd compresses
// (pure Go, streaming, the encoder Go programs use); gzip is the standard
// library's.
//
// Memory stays bounded whatever the image's size. Pack streams: a
// directory walk or a tar reader, one file's content at a time, into the
// cpio writer, the compressor (at most two block encoders, an 8 MiB
// window), a buffered temporary file; what it keeps grows with the number
// of names (the directories, the hard links), not with their content. The
// Cache renames the finished file into place and serves it from disk: every
// machine reads the same file at offsets.
//
// Cache keeps one image per source under pxed's data directory, named by
// the source's fingerprint (a tar's size, modification time and inode; a
// directory's paths, modes, owners, sizes and times, from a walk that reads
// no file), so that a restarted pxed serves what it packed before. A
// source is looked at when its image is asked for (or a machine is given a
// config naming it: Prepare), at most once every few seconds; when it
// changed, it is packed anew while machines asking wait, then the new file
// replaces the old one. A machine reading the old file reads it to its end.
//
// Service is the bootfs.Opener that answers images/<profile>/root.cpio.zst
// (.gz) and images/<profile>/<mac>.cpio; internal/profile names them as the
// last initrds of a profile that has an image.
package rootimage
