// Package atomicfile replaces small files so that a crash or a power cut at
// any moment leaves either the old content or the new, never an empty or
// torn file: write a temporary file in the same directory, fsync it, rename
// it over the target, fsync the directory.
//
// Why each step: rename(2) is atomic within one file system (POSIX), so the
// temporary file must sit in the target's directory; without the fsync
// before it, a file system that orders metadata ahead of data (ext4 with
// delalloc, XFS) may persist the rename and not the data, which is the empty
// file a crash leaves behind; without the fsync of the directory after it,
// the rename itself may not survive.
//
// The catalog file and the API token file are written with WriteFile; the
// lease journal, which renames its compacted file itself, uses SyncDir.
package atomicfile
