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
