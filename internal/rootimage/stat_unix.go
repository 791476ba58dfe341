//go:build unix

package rootimage

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// metaOf reads what a cpio header keeps of a file from its lstat: the
// mode with its type bits as Linux writes them, owners, identity, links,
// and a device node's numbers.
func metaOf(fi fs.FileInfo) meta {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return metaFromMode(fi)
	}
	rdev := uint64(st.Rdev)
	return meta{
		mode: uint64(st.Mode), uid: uint64(st.Uid), gid: uint64(st.Gid),
		dev: uint64(st.Dev), ino: uint64(st.Ino), nlink: uint64(st.Nlink),
		rdev: rdev, rmajor: uint64(unix.Major(rdev)), rminor: uint64(unix.Minor(rdev)),
	}
}
