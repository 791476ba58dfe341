package ramdisk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

// Entry is one file of an image: where it goes and what it holds.
type Entry struct {
	// Path on the image, relative to its root ("EFI/BOOT/BOOTX64.EFI").
	Path string
	// Source names where Data comes from (a path of the boot root).
	Source string
	// Data is read from offset 0 to Size.
	Data io.ReaderAt
	Size int64
}

// Range is a run of bytes of the image file.
type Range struct{ Off, Len int64 }

// Built is an image file Build wrote.
type Built struct {
	File string
	Size int64
	// Slot is where the bytes of the reserved file lie in the image file,
	// in file order: what a reader overlays with one machine's config.
	Slot []Range
}

const (
	sectorSize = 512
	mib        = 1 << 20
	// minSize keeps the file system FAT32 by its cluster count, which is
	// what decides the FAT type (Microsoft's FAT specification, "FAT Type
	// Determination": 65,525 clusters or more). go-diskfs makes 512-byte
	// clusters up to 260 MB: 64 MiB is about 130,000 of them.
	minSize = 64 * mib
	// chunk is how much of a file goes to the file system per write: each
	// write of go-diskfs walks the file's cluster chain and rewrites both
	// FATs, so a few large writes are much faster than many small ones,
	// and memory stays at one chunk.
	chunk = 4 * mib
)

// imageSize is the size of a FAT32 image that holds files of these sizes
// and a few directories: each file rounded up to whole clusters, two FATs
// of 4 bytes per cluster, 1 MiB for the reserved sectors and directories,
// rounded up to whole MiB; at least minSize.
func imageSize(sizes []int64) int64 {
	var data int64
	for _, s := range sizes {
		data += (s + sectorSize - 1) / sectorSize * sectorSize
	}
	total := data + 2*(data/sectorSize*4) + mib
	total = (total + mib - 1) / mib * mib
	return max(total, minSize)
}

// Build writes a FAT32 file system image (no partition table: the whole
// disk is the file system, which EDK2 mounts as it is) holding entries and
// a file of slot bytes at slotPath, filled with newlines. The image is
// written beside dst and renamed to it when complete, so that a reader
// never sees a part of one. It is reproducible: no volume serial number,
// and what it holds depends only on the entries.
func Build(dst string, entries []Entry, slotPath string, slot int64) (Built, error) {
	sizes := []int64{slot}
	for _, e := range entries {
		sizes = append(sizes, e.Size)
	}
	size := imageSize(sizes)
	f, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.tmp")
	if err != nil {
		return Built{}, fmt.Errorf("building image: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		f.Close()
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := f.Truncate(size); err != nil {
		return Built{}, fmt.Errorf("building image: %w", err)
	}
	fs, err := fat32.Create(file.New(f, false), size, 0, sectorSize, "PXED", true)
	if err != nil {
		return Built{}, fmt.Errorf("making FAT32 file system of %d bytes: %w", size, err)
	}
	for _, e := range entries {
		if err := copyIn(fs, e); err != nil {
			return Built{}, err
		}
	}
	ranges, err := reserve(fs, slotPath, slot)
	if err != nil {
		return Built{}, err
	}
	if err := f.Sync(); err != nil {
		return Built{}, fmt.Errorf("building image: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return Built{}, fmt.Errorf("building image: %w", err)
	}
	ok = true
	return Built{File: dst, Size: size, Slot: ranges}, nil
}

// copyIn writes e to the file system, creating its directories.
func copyIn(fs *fat32.FileSystem, e Entry) error {
	w, err := create(fs, e.Path)
	if err != nil {
		return err
	}
	buf := make([]byte, min(chunk, max(e.Size, 1)))
	r := io.NewSectionReader(e.Data, 0, e.Size)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("writing %s into the image: %w", e.Path, err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("reading %s for the image: %w", e.Path, rerr)
		}
	}
}

// reserve writes the slot file and returns where its bytes lie.
func reserve(fs *fat32.FileSystem, name string, slot int64) ([]Range, error) {
	w, err := create(fs, name)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(bytes.Repeat([]byte{'\n'}, int(slot))); err != nil {
		return nil, fmt.Errorf("writing %s into the image: %w", name, err)
	}
	ff, ok := w.(*fat12.File)
	if !ok {
		return nil, fmt.Errorf("the FAT library's file is a %T, not *fat12.File: cannot locate %s", w, name)
	}
	disk, err := ff.GetDiskRanges()
	if err != nil {
		return nil, fmt.Errorf("locating %s in the image: %w", name, err)
	}
	var out []Range
	left := slot
	for _, d := range disk {
		n := min(int64(d.Length), left)
		out = append(out, Range{Off: int64(d.Offset), Len: n})
		if left -= n; left == 0 {
			break
		}
	}
	if left != 0 {
		return nil, fmt.Errorf("%s takes %d bytes in the image, not %d", name, slot-left, slot)
	}
	return out, nil
}

type writer interface{ Write([]byte) (int, error) }

func create(fs *fat32.FileSystem, name string) (writer, error) {
	p := "/" + name
	if dir := path.Dir(p); dir != "/" {
		if err := fs.Mkdir(dir); err != nil {
			return nil, fmt.Errorf("making %s in the image: %w", dir, err)
		}
	}
	w, err := fs.OpenFile(p, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, fmt.Errorf("creating %s in the image: %w", name, err)
	}
	return w, nil
}
