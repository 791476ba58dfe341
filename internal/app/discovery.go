package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pxed/pxed/internal/agentimage"
	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/config"
)

// discoveryFiles is the opener of the discovery boot's two files, the
// operator's kernel and the initramfs pxed builds around its own binary,
// in front of the boot root; nil when discovery.boot is off. The image is
// built as soon as pxed serves (after it dropped root, so that the files
// are its user's), in the background, so that the first machine to boot
// discovery does not wait for it.
func (s *services) discoveryFiles() (bootfs.Opener, error) {
	d := s.cfg.Discovery
	if d.Boot == "" || d.Boot == config.DiscoveryOff {
		return nil, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("discovery: finding pxed's own binary for the initramfs: %w", err)
	}
	kernel := d.Kernel
	if !filepath.IsAbs(kernel) {
		// A path under the TFTP root, as the other profiles' kernels are.
		kernel = filepath.Join(s.cfg.TFTP.Root, filepath.FromSlash(kernel))
	}
	im := &agentimage.Image{
		Dir:    filepath.Join(s.cfg.DataDir, "discovery"),
		Spec:   agentimage.Spec{Binary: self, Modules: d.Modules},
		Logger: s.log,
	}
	s.serve = append(s.serve, func(ctx context.Context) error {
		f, err := im.Open(ctx)
		if err != nil {
			// Not fatal: the next request builds again and its transfer
			// fails with the reason.
			s.log.Error("discovery initramfs", "err", err)
			return nil
		}
		s.log.Info("discovery initramfs ready", "size", f.Size())
		return f.Close()
	})
	return &agentimage.Service{Image: im, Kernel: kernel}, nil
}
