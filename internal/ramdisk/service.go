package ramdisk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/logsink"
	"github.com/pxed/pxed/internal/pxe"
)

// ConfigSlot is the room an image keeps for GRUB's config: the config a
// machine gets is laid over it when the image is read. pxed's rendered
// configs are a few hundred bytes.
const ConfigSlot = 32 << 10

// Service answers image paths (pxe.ImagePath) with the machine's image and
// hands every other path to Next. It is a bootfs.Opener for the HTTP boot
// server, in front of the generated configs and the boot root.
type Service struct {
	// Next opens every other path, and the files an image is made of:
	// loaders, kernels and initrds from the boot root, and the machine's
	// rendered GRUB config (grub.cfg-01-<mac>, from internal/profile).
	Next bootfs.Opener
	// Boot is the machine's boot choice (catalog.Snapshot.Resolve).
	Boot func(mac net.HardwareAddr, local netip.Addr) pxe.Boot
	// Dir holds the built images. It is pxed's own: files in it that this
	// Service did not build are removed when it first builds.
	Dir string
	// MaxImages bounds the images kept in Dir (default 8); the least
	// recently used goes first. One image serves every machine whose
	// loader and config files are the same.
	MaxImages int
	Logger    *slog.Logger

	cache cache
}

// Open serves image paths and passes any other to Next.
func (s *Service) Open(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
	arch, mac, ok := pxe.ParseImagePath(r.Path)
	if !ok {
		return s.Next.Open(ctx, r)
	}
	f, err := s.open(ctx, r, arch, mac)
	if err != nil {
		logsink.Or(s.Logger).Warn("ramdisk image not served", "mac", mac.String(), "arch", arch.String(), "error", err.Error())
	}
	return f, err
}

func (s *Service) open(ctx context.Context, r *bootfs.Request, arch pxe.Arch, mac net.HardwareAddr) (bootfs.File, error) {
	b := s.Boot(mac, r.Local)
	loader := b.FileFor(arch)
	switch {
	case !b.Image:
		return nil, fmt.Errorf("%w: the machine's boot section has no http_image", fs.ErrNotExist)
	case loader == "" || pxe.IsURL(loader):
		return nil, fmt.Errorf("%w: no boot file of the root for %s to put in an image", fs.ErrNotExist, arch)
	}
	cfg, err := s.config(ctx, r, mac)
	if err != nil {
		return nil, err
	}
	set := &sources{s: s, ctx: ctx, r: r}
	defer set.close()
	l, err := set.layout(loader, cfg)
	if err != nil {
		return nil, err
	}
	built, err := s.cache.get(s, l)
	if err != nil {
		return nil, err
	}
	return Open(built, cfg)
}

// config is the machine's GRUB config as pxed renders it for TFTP.
func (s *Service) config(ctx context.Context, r *bootfs.Request, mac net.HardwareAddr) ([]byte, error) {
	name := "grub.cfg-01-" + strings.ReplaceAll(mac.String(), ":", "-")
	f, err := s.Next.Open(ctx, &bootfs.Request{Path: name, Remote: r.Remote, Local: r.Local})
	if err != nil {
		return nil, fmt.Errorf("rendering the machine's GRUB config (has it a profile?): %w", err)
	}
	defer f.Close()
	if f.Size() > ConfigSlot {
		return nil, fmt.Errorf("the machine's GRUB config is %d bytes, more than the %d an image keeps for it", f.Size(), ConfigSlot)
	}
	cfg := make([]byte, f.Size())
	if _, err := f.ReadAt(cfg, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading the machine's GRUB config: %w", err)
	}
	return cfg, nil
}

// layout is what goes into an image, and the key that names it.
type layout struct {
	entries []Entry
	cfgPath string
	key     string
	files   []string // for the log
}

// sources opens the files of one image and closes them all at the end.
type sources struct {
	s      *Service
	ctx    context.Context
	r      *bootfs.Request
	opened []bootfs.File
}

func (o *sources) open(name string) (bootfs.File, error) {
	f, err := o.s.Next.Open(o.ctx, &bootfs.Request{Path: name, Remote: o.r.Remote, Local: o.r.Local})
	if err != nil {
		return nil, fmt.Errorf("opening %s for the image: %w", name, err)
	}
	o.opened = append(o.opened, f)
	return f, nil
}

func (o *sources) close() {
	for _, f := range o.opened {
		f.Close()
	}
}

// layout decides the image: the loader where the firmware boots from a
// disk; when the loader is shim, the GRUB it loads beside it; the config
// slot where GRUB's prefix reads it; and the files the config loads, at
// the paths it names them.
func (o *sources) layout(loaderPath string, cfg []byte) (layout, error) {
	loaderFile, err := o.open(loaderPath)
	if err != nil {
		return layout{}, err
	}
	ld, err := Inspect(loaderFile)
	if err != nil {
		return layout{}, fmt.Errorf("loader %s: %w", loaderPath, err)
	}
	l := layout{entries: []Entry{{ld.Arch.RemovablePath(), loaderPath, loaderFile, loaderFile.Size()}}}
	grub := ld
	if !ld.GRUB {
		// shim loads \EFI\BOOT\grubx64.efi from the RAM disk it was
		// loaded from (shim's DEFAULT_LOADER, relative to its own path).
		name := path.Join(path.Dir(loaderPath), ld.Arch.GRUBName())
		gf, err := o.open(name)
		if err != nil {
			return layout{}, fmt.Errorf("loader %s is not GRUB, and GRUB is not beside it: %w", loaderPath, err)
		}
		if grub, err = Inspect(gf); err != nil || !grub.GRUB || grub.Arch != ld.Arch {
			return layout{}, fmt.Errorf("loader %s is not GRUB, and %s beside it is not GRUB for %s (%v)", loaderPath, name, ld.Arch, err)
		}
		l.entries = append(l.entries, Entry{path.Join(path.Dir(ld.Arch.RemovablePath()), ld.Arch.GRUBName()), name, gf, gf.Size()})
	}
	if l.cfgPath = grub.ConfigPath(); l.cfgPath == "" {
		return layout{}, fmt.Errorf("GRUB's prefix %q does not name a directory of the disk it boots from", grub.Prefix)
	}
	if l.files, err = grubFiles(cfg); err != nil {
		return layout{}, err
	}
	for _, name := range l.files {
		f, err := o.open(name)
		if err != nil {
			return layout{}, err
		}
		l.entries = append(l.entries, Entry{name, name, f, f.Size()})
	}
	l.key, err = key(l)
	return l, err
}

// keyVersion changes when the images Build makes change, so that an image
// of an older layout is never taken for a new one.
const keyVersion = "pxed ramdisk 1"

// key names an image by what goes in: each file's path on the image and
// its identity in the root (size and modification time, or its content's
// hash when the opener says nothing of the time), and the config's place.
// A changed kernel, loader or profile file makes a new key.
func key(l layout) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", keyVersion, l.cfgPath, ConfigSlot)
	for _, e := range l.entries {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00", e.Path, e.Source, e.Size)
		if st, ok := e.Data.(interface{ Stat() (fs.FileInfo, error) }); ok {
			if fi, err := st.Stat(); err == nil {
				fmt.Fprintf(h, "%d\x00", fi.ModTime().UnixNano())
				continue
			}
		}
		if _, err := io.Copy(h, io.NewSectionReader(e.Data, 0, e.Size)); err != nil {
			return "", fmt.Errorf("reading %s: %w", e.Path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func (s *Service) built(l layout, b Built, took time.Duration) {
	logsink.Or(s.Logger).Info("ramdisk image built", "image", b.File, "bytes", b.Size, "dur", took,
		"boot", l.entries[0].Path, "config", l.cfgPath, "files", strings.Join(l.files, " "))
}
