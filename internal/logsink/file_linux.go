package logsink

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawFile is w as a regular file written with raw write(2) calls, or nil
// when w is anything else (a pipe, a socket, a terminal: those may block,
// and a raw call that blocks holds a Go processor meanwhile). A write to a
// regular file's page cache does not wait for a device; an ordinary system
// call would wake the scheduler's monitor thread whenever it sleeps, which
// it does on a server idle between two requests, and the flusher writes
// about a line per request at low rates.
func rawFile(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil
	}
	return rawWriter{f}
}

type rawWriter struct{ f *os.File }

func (r rawWriter) Write(b []byte) (int, error) {
	fd, n := r.f.Fd(), 0
	for n < len(b) {
		m, _, errno := syscall.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n))
		switch errno {
		case 0:
		case unix.EINTR:
			continue
		default:
			return n, &os.PathError{Op: "write", Path: r.f.Name(), Err: errno}
		}
		if m == 0 {
			return n, io.ErrShortWrite
		}
		n += int(m)
	}
	return n, nil
}
