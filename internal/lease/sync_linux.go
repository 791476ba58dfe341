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
