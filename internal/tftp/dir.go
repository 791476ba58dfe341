package tftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// DirHandler serves the regular files under one directory. Create it with Dir.
type DirHandler struct {
	root *os.Root
}

// Dir returns a Handler that serves the files under root. Every open goes
// through an os.Root, so no request can read outside root: not with ".."
// (or "..\"), not through a symlink that points out.
// Close it when the server is done.
func Dir(root string) (*DirHandler, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("opening tftp root: %w", err)
	}
	return &DirHandler{root: r}, nil
}

// Close releases the root directory.
func (d *DirHandler) Close() error { return d.root.Close() }

// ServeTFTP opens the requested file under the root.
func (d *DirHandler) ServeTFTP(_ context.Context, r *Request) (File, error) {
	name, err := cleanPath(r.Path)
	if err != nil {
		return nil, err
	}
	// openFlags has O_NONBLOCK on unix: opening a FIFO must not wait for a
	// writer. It does not change reads of regular files.
	f, err := d.root.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, err
		}
		// Escapes through symlinks ("path escapes from parent"), loops and
		// the like: the client may not have this name.
		return nil, fmt.Errorf("%w: %w", fs.ErrPermission, err)
	}
	// Check the opened file, not the name: a name checked before opening can
	// be swapped for something else in between.
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

// cleanPath turns a TFTP filename into a name relative to the root.
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
