package rootimage

import (
	"os"

	"golang.org/x/sys/unix"
)

// mknodChar makes a character device node.
func mknodChar(path string, perm uint32, major, minor uint32) error {
	if err := unix.Mknod(path, unix.S_IFCHR|perm, int(unix.Mkdev(major, minor))); err != nil {
		return err
	}
	return os.Chmod(path, os.FileMode(perm))
}
