package rootimage

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/logsink"
)

// Machine is what one machine's overlay is made of: the profile it boots,
// that profile's image, its overlay templates and the machine's facts.
type Machine struct {
	Profile string
	Image   Source
	Overlay map[string]string
	Facts   cmdline.Facts
}

// Service answers ImagePath and OverlayPath requests, and leaves every
// other path to the next opener (fs.ErrNotExist), as a bootfs.Opener in
// front of the generated configs and the boot root. The image comes from
// the file the Cache keeps, read at offsets (no image is held in memory,
// however many machines read it); an overlay is rendered for each request.
type Service struct {
	Cache *Cache
	// Image is the image of the profile called name; false when it has
	// none or there is no such profile.
	Image func(name string) (Source, bool)
	// Machine is what machine mac boots, asked for by r; false when it
	// boots no profile.
	Machine func(r *bootfs.Request, mac net.HardwareAddr) (Machine, bool)
	// Now stamps overlay files (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// Open serves images and overlays.
func (s *Service) Open(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
	q, ok := ParsePath(r.Path)
	if !ok {
		return nil, fs.ErrNotExist
	}
	f, err := s.open(ctx, r, q)
	if err != nil {
		logsink.Or(s.Logger).Warn("root image not served", "file", r.Path, "ip", r.Remote.Addr().String(), "error", err.Error())
	}
	return f, err
}

func (s *Service) open(ctx context.Context, r *bootfs.Request, q Request) (bootfs.File, error) {
	if q.MAC == nil {
		src, ok := s.Image(q.Profile)
		if !ok || src.Compression.Ext() != q.Ext {
			return nil, fmt.Errorf("%w: profile %q has no image %s", fs.ErrNotExist, q.Profile, r.Path)
		}
		f, _, err := s.Cache.Open(ctx, src)
		return f, err
	}
	m, ok := s.Machine(r, q.MAC)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: machine %s boots no profile", fs.ErrNotExist, q.MAC)
	case m.Profile != q.Profile:
		return nil, fmt.Errorf("%w: machine %s boots profile %q, not %q", fs.ErrNotExist, q.MAC, m.Profile, q.Profile)
	}
	b, err := s.Cache.Current(ctx, m.Image)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	data, err := Overlay(m.Overlay, m.Facts, b.Dirs, now())
	if err != nil {
		return nil, err
	}
	return bootfs.Bytes(data), nil
}

// Prepare starts checking the image of the profile called name, if it has
// one: see Cache.Prepare.
func (s *Service) Prepare(name string) {
	if src, ok := s.Image(name); ok {
		s.Cache.Prepare(src)
	}
}
