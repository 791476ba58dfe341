package bootfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"syscall"
)

// Root serves the regular files under one directory. Create it with
// OpenRoot and Close it when the servers are done; Reopen moves it to
// another directory while it serves.
type Root struct {
	root atomic.Pointer[os.Root]
	dir  atomic.Pointer[string]
}

// OpenRoot returns a Root serving the files under dir. Every open goes
// through an os.Root, so no request can read outside dir: not with ".."
// (or "..\"), not through a symlink that points out.
func OpenRoot(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening boot root: %w", err)
	}
	root := &Root{}
	root.root.Store(r)
	root.dir.Store(&dir)
	return root, nil
}

// Dir is the directory served.
func (r *Root) Dir() string { return *r.dir.Load() }

// Reopen serves the files under dir from the next open on (a reloaded
// tftp.root). Files open already stay open and readable to their end: a
// transfer in flight finishes from the directory it started in. On an
// error the root serves the directory it served.
func (r *Root) Reopen(dir string) error {
	nr, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("opening boot root: %w", err)
	}
	old := r.root.Swap(nr)
	r.dir.Store(&dir)
	return old.Close()
}

// Close releases the root directory.
func (r *Root) Close() error { return r.root.Load().Close() }

// Open opens the regular file that req names under the root.
func (r *Root) Open(_ context.Context, req *Request) (File, error) {
	name, err := cleanPath(req.Path)
	if err != nil {
		return nil, err
	}
	// openFlags has O_NONBLOCK on unix: opening a FIFO must not wait for a
	// writer. It does not change reads of regular files.
	root := r.root.Load()
	f, err := root.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if errors.Is(err, os.ErrClosed) {
		if now := r.root.Load(); now != root {
			// Reopen closed the root this open began in: the new one serves.
			f, err = now.OpenFile(name, os.O_RDONLY|openFlags, 0)
		}
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, err
		}
		// Escapes through symlinks ("path escapes from parent"), loops and
		// the like: the client may not have this name.
		return nil, fmt.Errorf("%w: %w", fs.ErrPermission, err)
	}
	return regular(f, name)
}

// regular keeps the opened file f if it is a regular file, and closes it
// if not. It checks the opened file, not the name: a name checked before
// opening can be swapped for something else in between.
func regular(f *os.File, name string) (File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file: %w", name, fs.ErrPermission)
	}
	return osFile{f, st.Size()}, nil
}

type osFile struct {
	*os.File
	size int64
}

func (f osFile) Size() int64 { return f.size }

// cleanPath turns a requested name into a name relative to the root.
//   - Leading slashes are relative to the root: GRUB asks for
//     "/debian-installer/amd64/grub/grub.cfg", PXELINUX for
//     "pxelinux.cfg/01-00-18-e7-42-84-3a", and both mean the same tree.
//   - Backslashes are separators (Windows-made configs send them); they are
//     converted first so that "..\" is confined like "../".
//   - NUL cannot be part of a name.
//
// Any ".." element is refused with fs.ErrPermission, even one that would stay
// inside the root ("a/../b"): no boot loader sends one, and refusing is clearer
// than silently aliasing "../x" to "x". os.Root still confines everything
// else, symlinks included.
func cleanPath(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path: %w", fs.ErrNotExist)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("path contains NUL: %w", fs.ErrPermission)
	}
	p = strings.ReplaceAll(p, `\`, "/")
	for elem := range strings.SplitSeq(p, "/") {
		if elem == ".." {
			return "", fmt.Errorf("path contains \"..\": %w", fs.ErrPermission)
		}
	}
	p = path.Clean("/" + p)
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "", fmt.Errorf("path names the root directory: %w", fs.ErrPermission)
	}
	return p, nil
}

// OpenFile opens the regular file name of the host's filesystem, for an
// opener that serves one file pxed is configured with (iPXE's UEFI build)
// under a fixed path.
func OpenFile(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return regular(f, name)
}
