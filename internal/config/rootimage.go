package config

import (
	"maps"
	"path/filepath"
	"slices"

	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/rootimage"
)

// ImageSource is profile p's root image as pxed packs it: the path,
// relative to the directory of the file the configuration came from
// unless absolute, and the compression. False when p has no image.
func (c *Config) ImageSource(p *Profile) (rootimage.Source, bool) {
	if p.Image == "" {
		return rootimage.Source{}, false
	}
	file := p.Image
	if !filepath.IsAbs(file) && c.File != "" {
		file = filepath.Join(filepath.Dir(c.File), file)
	}
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	comp, _ := rootimage.ParseCompression(p.ImageCompression) // Validate refuses another
	return rootimage.Source{Path: file, Compression: comp}, true
}

// rootImage checks a profile's image, its compression and its overlay:
// no SAN beside it, the image a directory or a tar archive pxed can read
// (when pxed serves files here), each overlay path absolute and clean,
// each template one that expands.
func (v *validator) rootImage(path string, p *Profile) {
	if p.Image == "" {
		if len(p.Overlay) > 0 {
			v.add(path+".overlay", "profile %q: an overlay is laid over an image: set image", p.Name)
		}
		if p.ImageCompression != "" {
			v.add(path+".image_compression", "profile %q: image_compression without an image", p.Name)
		}
		return
	}
	if p.SAN != nil {
		v.add(path+".image", "profile %q has an image and a san: a machine runs its image from RAM or boots its SAN disk, not both", p.Name)
	}
	if _, err := rootimage.ParseCompression(p.ImageCompression); err != nil {
		v.add(path+".image_compression", "profile %q: %v", p.Name, err)
	}
	if On(v.c.TFTP.Enabled) {
		src, _ := v.c.ImageSource(p)
		if _, err := rootimage.Probe(src.Path); err != nil {
			v.add(path+".image", "profile %q image: %v (a directory or a tar archive, plain, gzip or zstd)", p.Name, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.Overlay)) {
		kp := path + ".overlay." + k
		if err := rootimage.CheckOverlayPath(k); err != nil {
			v.add(kp, "profile %q: %v", p.Name, err)
		}
		if err := cmdline.Check(p.Overlay[k]); err != nil {
			v.add(kp, "profile %q overlay %s: %v", p.Name, k, err)
		}
	}
}
