package lease

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// datasync makes the data written to f durable with fdatasync(2): the
// data, and of the metadata only what reading it back needs (the file's
// length), not its times. With the file extended ahead of its records
// (preallocChunk), an append changes no metadata at all, so the sync
// writes the data alone. A signal interrupting the call (EINTR) retries
// it, as os.File.Sync does.
//
// The call is a raw one: the journal's writer keeps its processor (P)
// through the sync instead of handing it over. A sync outlasts the Go
// scheduler's monitor tick (20 µs), so with an ordinary system call the
// monitor took the processor away on every sync, handed it to another
// thread and, having found work, kept polling every 20 µs: at 1,000
// leases/s on one processor (GOMAXPROCS=1) those thread wake-ups cost more
// CPU than the sync itself (bench/dhcp, perf). The price: while a sync
// runs, that processor runs nothing else; requests wait in the socket
// buffer and are read once it returns, and the commits they bring share
// the next sync.
func datasync(f *os.File) error {
	fd := f.Fd()
	for {
		_, _, errno := unix.RawSyscall(unix.SYS_FDATASYNC, fd, 0, 0)
		if errno == 0 {
			return nil
		}
		if !errors.Is(errno, unix.EINTR) {
			return errno
		}
	}
}
