package lease

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// datasync makes the data written to f durable with fdatasync(2): the
// data, and of the metadata only what reading it back needs (the file's
// length), not its times. With the file extended ahead of its records
// (preallocChunk), an append changes no metadata at all, so the sync
// writes the data alone. A signal interrupting the call (EINTR) retries
// it, as os.File.Sync does.
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// datasyncRaw is datasync as a raw system call: the calling goroutine
// keeps its processor (P) through the sync instead of handing it over. A
// sync outlasts the Go scheduler monitor's tick (20 µs), so through the
// ordinary call the monitor took the processor away on every sync, handed
// it to another thread and, having found work, went on polling every
// 20 µs: at 1,000 leases/s on one processor (GOMAXPROCS=1) those thread
// wake-ups cost more CPU than the sync itself (bench/dhcp, perf). The
// price: while the sync runs, that processor runs nothing else, so the
// journal uses it only while syncs are fast (rawSyncMax).
func datasyncRaw(f *os.File) error {
	fd := f.Fd()
	for {
		_, _, errno := unix.RawSyscall(unix.SYS_FDATASYNC, fd, 0, 0)
		switch errno {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return errno
	}
}

// pwriteRaw writes b at off in f as f.WriteAt does, with raw pwrite(2)
// calls, for the reason of datasyncRaw: a write into the page cache of a
// regular file does not wait for a device, and an ordinary system call
// would wake the scheduler's monitor on a server idle between requests.
func pwriteRaw(f *os.File, b []byte, off int64) error {
	fd := f.Fd()
	for len(b) > 0 {
		n, _, errno := syscall.RawSyscall6(unix.SYS_PWRITE64, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(off), 0, 0)
		switch errno {
		case 0:
		case unix.EINTR:
			continue
		default:
			return &os.PathError{Op: "write", Path: f.Name(), Err: errno}
		}
		if n == 0 {
			return &os.PathError{Op: "write", Path: f.Name(), Err: syscall.EIO}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}
