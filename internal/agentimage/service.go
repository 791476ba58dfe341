package agentimage

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/pxed/pxed/internal/bootfs"
)

// Paths the discovery boot's loader configs name, over TFTP and HTTP.
const (
	InitrdPath = "discovery/initrd.img"
	KernelPath = "discovery/vmlinuz"
)

// Service answers InitrdPath with the Image and KernelPath with the
// kernel file, and leaves every other path to the next opener
// (fs.ErrNotExist), as a bootfs.Opener in front of the boot root.
type Service struct {
	Image *Image
	// Kernel is the discovery kernel's file (config discovery.kernel,
	// made absolute by the caller).
	Kernel string
}

// Open serves the two files of the discovery boot.
func (s *Service) Open(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
	switch r.Path {
	case InitrdPath, "/" + InitrdPath:
		return s.Image.Open(ctx)
	case KernelPath, "/" + KernelPath:
		f, err := os.Open(s.Kernel)
		if err != nil {
			return nil, fmt.Errorf("discovery kernel: %w", err)
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, fmt.Errorf("discovery kernel %s: %w", s.Kernel, fs.ErrNotExist)
		}
		return &file{File: f, size: fi.Size()}, nil
	}
	return nil, fs.ErrNotExist
}
