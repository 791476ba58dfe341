package app

import (
	"log/slog"
	"os"
	"path"
	"strings"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/efiimage"
	"github.com/pxed/pxed/internal/logsink"
)

// shimLoaders are the GRUB images a shim loads from beside itself, by
// architecture (shim's DEFAULT_LOADER: grubx64.efi, grubaa64.efi,
// grubia32.efi).
var shimLoaders = []string{"grubx64.efi", "grubaa64.efi", "grubia32.efi"}

// grubHTTPDirs inspects the GRUB images the configuration's UEFI loaders
// lead to, in the boot root at dir: each loader named under boot.files
// (network-wide, a subnet's, a host's or a profile's loader) that is a
// GRUB image, and the GRUB a shim among them loads from beside itself. It
// returns the prefixes (where each reads its grub.cfg) of the images with
// GRUB's http module built in, for profile.Service.GRUBHTTP; a prefix that
// an image without http shares is left out, since pxed cannot tell the two
// apart by the config path they ask for. Debian 12's
// GRUBs have none (docs/firmware.md), so with them the map is empty and
// GRUB keeps reading the kernel and initrds over TFTP.
func grubHTTPDirs(cfg *config.Config, dir string, log *slog.Logger) map[string]bool {
	out := map[string]bool{}
	if dir == "" {
		return out
	}
	prefixes := map[string]bool{} // prefix → every image with it has http
	root, err := os.OpenRoot(dir)
	if err != nil {
		return out
	}
	defer root.Close()
	seen := map[string]bool{}
	inspect := func(name string) (efiimage.Image, bool) {
		if seen[name] {
			return efiimage.Image{}, false
		}
		seen[name] = true
		f, err := root.Open(name)
		if err != nil {
			return efiimage.Image{}, false
		}
		defer f.Close()
		img, err := efiimage.Inspect(f)
		return img, err == nil
	}
	for _, name := range loaderNames(cfg) {
		img, ok := inspect(name)
		if !ok {
			continue
		}
		imgs := []efiimage.Image{img}
		if !img.GRUB {
			// A shim (or another first-stage loader): the GRUB beside it.
			for _, g := range shimLoaders {
				if gi, ok := inspect(path.Join(path.Dir(name), g)); ok && gi.GRUB {
					imgs = append(imgs, gi)
				}
			}
		}
		for _, gi := range imgs {
			if !gi.GRUB || gi.GRUBPrefix == "" {
				continue
			}
			p := path.Clean("/" + gi.GRUBPrefix)
			all, seen := prefixes[p]
			prefixes[p] = gi.GRUBHTTP && (all || !seen)
		}
	}
	for p, http := range prefixes {
		if http {
			out[p] = true
			logsink.Or(log).Info("GRUB has http built in: its configs name the kernel and initrds over HTTP", "dir", p)
		}
	}
	return out
}

// loaderNames lists the files the configuration names under boot.files,
// as names in the boot root (URLs left out).
func loaderNames(cfg *config.Config) []string {
	var out []string
	add := func(b *config.Boot) {
		if b == nil {
			return
		}
		for _, f := range b.Files {
			if f == "" || strings.Contains(f, "://") {
				continue
			}
			if n := path.Clean(strings.TrimLeft(f, "/")); n != "." && !strings.HasPrefix(n, "..") {
				out = append(out, n)
			}
		}
	}
	add(&cfg.Boot)
	for i := range cfg.DHCP.Subnets {
		add(cfg.DHCP.Subnets[i].Boot)
	}
	for i := range cfg.Hosts {
		add(cfg.Hosts[i].Boot)
	}
	for i := range cfg.Profiles {
		add(cfg.Profiles[i].Loader)
	}
	return out
}
