//go:build !linux

package lease

import "os"

// datasync makes the data written to f durable where golang.org/x/sys/unix
// offers no fdatasync: os.File.Sync. On macOS that is fcntl F_FULLFSYNC,
// which also empties the drive's write cache (plain fsync there does not,
// so it would not make a record durable); stronger than Linux's fdatasync
// and slower. On FreeBSD it is fsync(2), which also writes the file's times.
// Either keeps the journal's rule: no Commit returns before its record is
// on stable storage.
func datasync(f *os.File) error { return f.Sync() }

// datasyncRaw is datasync: the raw call is Linux's (sync_linux.go).
func datasyncRaw(f *os.File) error { return datasync(f) }

// pwriteRaw is f.WriteAt: the raw call is Linux's (sync_linux.go).
func pwriteRaw(f *os.File, b []byte, off int64) error {
	_, err := f.WriteAt(b, off)
	return err
}
