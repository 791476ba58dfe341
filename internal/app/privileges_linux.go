package app

import (
	"fmt"
	"log/slog"
	"syscall"

	"golang.org/x/sys/unix"
)

// noNewPrivs sets no_new_privs on every thread. The flag is per thread;
// Go can set it on all of them only in a binary without cgo (make build
// sets CGO_ENABLED=0), and says ENOTSUP otherwise.
func noNewPrivs(log *slog.Logger) error {
	_, _, errno := syscall.AllThreadsSyscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0)
	switch {
	case errno == syscall.ENOTSUP:
		log.Warn("no_new_privs not set: this pxed was built with cgo; the user switch itself is done")
	case errno != 0:
		return fmt.Errorf("dropping privileges: no_new_privs: %w", errno)
	}
	return nil
}
