package app

import (
	"context"
	"io/fs"
	"strings"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/config"
)

// ipxeEFI serves the file of the host's filesystem at file (http.ipxe_efi,
// iPXE's x64 UEFI build) as config.IPXEEFIPath, over TFTP and HTTP: the
// boot file x64 UEFI machines said to have Secure Boot off are given. The
// boot root need not hold iPXE (the Debian netboot tree has none). Other
// paths are left to the next opener.
func ipxeEFI(file string) bootfs.Opener {
	return bootfs.OpenerFunc(func(_ context.Context, r *bootfs.Request) (bootfs.File, error) {
		if strings.TrimLeft(r.Path, "/") != config.IPXEEFIPath {
			return nil, fs.ErrNotExist
		}
		return bootfs.OpenFile(file)
	})
}
