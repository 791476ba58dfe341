package rootimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/cpio"

	"github.com/pxed/pxed/internal/cmdline"
)

// CheckOverlayPath reports a path an overlay cannot write: it must be
// absolute and name a file below the root, with no "." or ".." in it.
func CheckOverlayPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("overlay path %q is not absolute", p)
	case path.Clean(p) != p || p == "/":
		return fmt.Errorf("overlay path %q: write it clean, naming a file (%q)", p, path.Clean(p))
	}
	return nil
}

// Overlay renders a machine's overlay: each file of files (path →
// template, expanded with f by cmdline.Expand) as a regular file, mode
// 0644, owned by root, in an uncompressed newc cpio archive that the
// kernel unpacks over the image (a later archive's file replaces an
// earlier one's: init/initramfs.c opens it with O_TRUNC). Parents missing
// from the image (imageDirs, from Packed) come first as 0755 directories;
// those the image has are left out, so that their modes stay the image's
// (the kernel applies a directory entry's mode to an existing directory
// too). Files are in path order, so the archive is the same for the same
// input.
func Overlay(files map[string]string, f cmdline.Facts, imageDirs []string, mtime time.Time) ([]byte, error) {
	var b bytes.Buffer
	w := cpio.Newc.Writer(&b)
	have := map[string]bool{}
	for _, d := range imageDirs {
		have[d] = true
	}
	var ino uint64
	mt := uint64(max(mtime.Unix(), 0))
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if err := CheckOverlayPath(p); err != nil {
			return nil, err
		}
		text, err := cmdline.Expand(files[p], f)
		if err != nil {
			return nil, fmt.Errorf("overlay %s: %w", p, err)
		}
		name := p[1:]
		var parents []string
		for d := path.Dir(name); d != "." && !have[d]; d = path.Dir(d) {
			parents = append(parents, d)
		}
		for _, d := range slices.Backward(parents) {
			have[d] = true
			ino++
			if err := w.WriteRecord(cpio.Record{Info: cpio.Info{Name: d, Ino: ino, Mode: cpio.S_IFDIR | 0o755, NLink: 2, MTime: mt}}); err != nil {
				return nil, err
			}
		}
		ino++
		rec := cpio.StaticFile(name, text, 0o644)
		rec.Ino, rec.MTime, rec.NLink = ino, mt, 1
		if err := w.WriteRecord(rec); err != nil {
			return nil, err
		}
	}
	if err := cpio.WriteTrailer(w); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MachineID is the systemd machine ID pxed gives the machine with MAC
// mac: the same for the same machine on every boot and every pxed, 32
// lower-case hex digits (machine-id(5)), formatted as a random (version
// 4, RFC 9562 §5.4) UUID as systemd formats the IDs it makes
// (sd_id128_randomize). It is derived from the MAC, which the network
// sees anyway, so it is no secret: overlays are served to whoever asks.
func MachineID(mac net.HardwareAddr) string {
	h := sha256.Sum256([]byte("pxed machine-id\x00" + strings.ToLower(mac.String())))
	id := h[:16]
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return hex.EncodeToString(id)
}
