package agentimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/logsink"
)

// buildVersion changes when Build writes other archives from the same
// inputs, so that an image an older pxed cached is not taken for one.
const buildVersion = "pxed agentimage 1"

// Image is the discovery initramfs kept in Dir (under pxed's data dir):
// built on first use, then again when the inputs' fingerprint changes (the
// binary's and the selected modules' sizes and times, modules.dep's, the
// driver list). The fingerprint is checked at most once per CheckEvery;
// a build writes a temporary file renamed into place, so a transfer under
// way reads the old image whole. Requests during a build wait for it.
type Image struct {
	Dir  string
	Spec Spec
	// CheckEvery bounds how often the inputs are looked at (10 s when 0).
	CheckEvery time.Duration
	Logger     *slog.Logger

	mu      sync.Mutex
	cur     string // the current image's file
	size    int64
	key     string
	checked time.Time
}

// Open returns the current image, building it first if needed.
func (im *Image) Open(ctx context.Context) (bootfs.File, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	every := im.CheckEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	if im.cur == "" || time.Since(im.checked) >= every {
		if err := im.refresh(ctx); err != nil {
			return nil, err
		}
		im.checked = time.Now()
	}
	f, err := os.Open(im.cur)
	if err != nil {
		return nil, fmt.Errorf("opening the discovery initramfs: %w", err)
	}
	return &file{File: f, size: im.size}, nil
}

// refresh builds the image if its inputs changed. Called with im.mu held.
func (im *Image) refresh(ctx context.Context) error {
	key, err := im.Spec.fingerprint()
	if err != nil {
		return err
	}
	if key == im.key && im.cur != "" {
		return nil
	}
	c := im.Spec.compression()
	name := filepath.Join(im.Dir, "agent-"+key[:16]+".cpio"+c.Ext())
	if fi, err := os.Stat(name); err == nil {
		im.cur, im.size, im.key = name, fi.Size(), key
		return nil
	}
	if err := os.MkdirAll(im.Dir, 0o700); err != nil {
		return fmt.Errorf("discovery initramfs cache: %w", err)
	}
	start := time.Now()
	tmp, err := os.CreateTemp(im.Dir, "agent-*.tmp")
	if err != nil {
		return fmt.Errorf("discovery initramfs cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	b, err := Build(ctx, tmp, im.Spec, c)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("building the discovery initramfs: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("discovery initramfs cache: %w", err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	old := im.cur
	im.cur, im.size, im.key = name, fi.Size(), key
	if old != "" && old != name {
		os.Remove(old) // a transfer still reading it keeps its open file
	}
	log := logsink.Or(im.Logger)
	log.Info("discovery initramfs built", "file", name, "bytes", fi.Size(), "modules", len(b.Modules),
		"compression", c.String(), "dur", time.Since(start).Round(time.Millisecond))
	if len(b.Missing) > 0 {
		log.Debug("discovery drivers not in the module tree", "modules", strings.Join(b.Missing, " "))
	}
	return nil
}

// fingerprint sums what the image is built from: names, sizes and
// modification times (a new kernel package or pxed binary changes them),
// not contents, so that a check costs a few hundred stats.
func (s Spec) fingerprint() (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, buildVersion, s.compression())
	stamp := func(p string) error {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		fmt.Fprintln(h, p, fi.Size(), fi.ModTime().UnixNano())
		return nil
	}
	if err := stamp(s.Binary); err != nil {
		return "", fmt.Errorf("pxed's binary: %w", err)
	}
	drivers := s.Drivers
	if drivers == nil {
		drivers = Drivers()
	}
	fmt.Fprintln(h, strings.Join(drivers, " "))
	if s.Modules != "" {
		dep := filepath.Join(s.Modules, "modules.dep")
		if err := stamp(dep); err != nil {
			return "", fmt.Errorf("module tree: %w", err)
		}
		f, err := os.Open(dep)
		if err != nil {
			return "", fmt.Errorf("module tree: %w", err)
		}
		t, err := readDeps(f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("module tree %s: %w", s.Modules, err)
		}
		mods, _ := t.closure(drivers)
		for _, m := range mods {
			if err := stamp(filepath.Join(s.Modules, filepath.FromSlash(m))); err != nil {
				return "", fmt.Errorf("module tree: %w", err)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type file struct {
	*os.File
	size int64
}

func (f *file) Size() int64 { return f.size }
