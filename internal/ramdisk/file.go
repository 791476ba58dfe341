package ramdisk

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// ContentType is the media type of a disk image in UEFI HTTP Boot: EDK2's
// HttpBootCheckImageType (NetworkPkg/HttpBootDxe/HttpBootSupport.c) takes
// it first, then the URL's .img suffix, as "virtual disk" and registers
// the download as a RAM disk (HttpBootRegisterRamDisk) instead of starting
// it as a program.
const ContentType = "application/vnd.efi-img"

// File is a built image with one machine's config laid over its slot: the
// shared image stays on disk, read at offsets, and only the slot's bytes
// are the machine's own. It implements bootfs.File.
type File struct {
	f    *os.File
	size int64
	// over holds, for each range of the slot, the bytes read there instead.
	over []patch
}

type patch struct {
	off  int64
	data []byte
}

// Open opens image b with cfg in its slot: cfg, then newlines to the
// slot's end (blank lines to GRUB). cfg longer than the slot is an error.
func Open(b Built, cfg []byte) (*File, error) {
	var slot int64
	for _, r := range b.Slot {
		slot += r.Len
	}
	if int64(len(cfg)) > slot {
		return nil, fmt.Errorf("the rendered config is %d bytes, more than the %d the image reserves for it", len(cfg), slot)
	}
	fill := append(bytes.Clone(cfg), bytes.Repeat([]byte{'\n'}, int(slot)-len(cfg))...)
	var over []patch
	for _, r := range b.Slot {
		over = append(over, patch{r.Off, fill[:r.Len]})
		fill = fill[r.Len:]
	}
	f, err := os.Open(b.File)
	if err != nil {
		return nil, fmt.Errorf("opening image: %w", err)
	}
	return &File{f: f, size: b.Size, over: over}, nil
}

// ReadAt reads the image, with the slot's bytes taken from the config.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	if rest := f.size - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := f.f.ReadAt(p, off)
	for _, o := range f.over {
		lo, hi := max(o.off, off), min(o.off+int64(len(o.data)), off+int64(n))
		if lo < hi {
			copy(p[lo-off:hi-off], o.data[lo-o.off:hi-o.off])
		}
	}
	if err == nil && off+int64(n) == f.size {
		err = io.EOF
	}
	return n, err
}

// Size is the image's length.
func (f *File) Size() int64 { return f.size }

// Close closes the image file. A newer image may have replaced it in the
// cache meanwhile; an open file keeps its bytes until closed.
func (f *File) Close() error { return f.f.Close() }

// ContentType tells pxed's HTTP server the media type to send.
func (f *File) ContentType() string { return ContentType }
