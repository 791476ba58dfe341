package config

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/ramdisk"
)

// httpImage checks a boot section's http_image: the images are served by
// pxed's HTTP server, and are built around boot files of the root, so the
// section's HTTP Boot files must be paths (checked as loaders once the
// root is known: imageLoader).
func (v *validator) httpImage(p string, b *Boot) {
	if b.HTTPImage == nil || !*b.HTTPImage {
		return
	}
	if v.c.HTTPPort() == 0 {
		v.add(p+".http_image", "http_image needs pxed's HTTP server, which serves the images: turn http.enabled on (with tftp on)")
	}
	for k, f := range b.Files {
		if a, err := pxe.ParseArch(k); err == nil && a.HTTP() && pxe.IsURL(f) {
			v.add(p+".files."+k, "HTTP Boot file %q for %s is a URL, but http_image builds an image around a file of the boot root: give its path", f, a)
		}
	}
}

// imageLoader checks that a boot file wrapped in an image can boot from
// it: an x64 or AArch64 EFI program that is GRUB with a prefix on its own
// disk, or shim with that GRUB beside it (grubx64.efi, grubaa64.efi).
func (v *validator) imageLoader(root *os.Root, f bootFile) {
	name := path.Clean(strings.TrimLeft(f.name, "/"))
	l, err := inspect(root, name)
	if err != nil {
		v.add(f.path, "%s cannot go in an http_image: %v", f, err)
		return
	}
	grub := l
	if !l.GRUB {
		second := path.Join(path.Dir(name), l.Arch.GRUBName())
		if grub, err = inspect(root, second); err != nil || !grub.GRUB {
			v.add(f.path, "%s cannot go in an http_image: it is not GRUB, and %s beside it is not GRUB either (%v)", f, second, err)
			return
		}
	}
	if grub.ConfigPath() == "" {
		v.add(f.path, "%s cannot go in an http_image: GRUB's prefix %q names no directory of the disk it boots from", f, grub.Prefix)
	}
}

func inspect(root *os.Root, name string) (ramdisk.Loader, error) {
	r, err := root.Open(name)
	if err != nil {
		return ramdisk.Loader{}, err
	}
	defer r.Close()
	l, err := ramdisk.Inspect(r)
	if err != nil {
		return l, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}
