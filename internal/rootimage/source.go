package rootimage

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// Compression is how a packed image is compressed. The Linux kernel
// unpacks either (init/initramfs.c through lib/decompress_*: zstd since
// 5.9, gzip always); zstd unpacks several times faster, gzip suits older
// kernels.
type Compression int

const (
	Zstd Compression = iota // the default
	Gzip
)

// ParseCompression reads a profile's image_compression ("" is zstd).
func ParseCompression(s string) (Compression, error) {
	switch s {
	case "", "zstd":
		return Zstd, nil
	case "gzip":
		return Gzip, nil
	}
	return 0, fmt.Errorf("image compression %q: use zstd or gzip", s)
}

func (c Compression) String() string {
	if c == Gzip {
		return "gzip"
	}
	return "zstd"
}

// Ext is the file name suffix of an image so compressed.
func (c Compression) Ext() string {
	if c == Gzip {
		return ".gz"
	}
	return ".zst"
}

// Kind is what an image source is.
type Kind int

const (
	Dir Kind = iota // a directory: its tree is the root
	Tar             // a tar archive, plain, gzip or zstd compressed
)

func (k Kind) String() string {
	if k == Tar {
		return "tar"
	}
	return "directory"
}

// Source is a root image as a profile names it, and how to pack it.
type Source struct {
	Path        string // absolute: a directory or a tar archive
	Compression Compression
}

// id names the source's files in the cache directory.
func (s Source) id() string {
	h := sha256.Sum256([]byte(s.Path + "\x00" + s.Compression.String()))
	return hex.EncodeToString(h[:8])
}

// Probe says what path is: a directory, or a file whose start reads as a
// tar archive (after gzip or zstd, recognised by their magic numbers,
// RFC 1952 §2.3.1 and RFC 8878 §3.1.1). It reads the first header only.
func Probe(path string) (Kind, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.IsDir() {
		return Dir, nil
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is neither a directory nor a file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, done, err := tarReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	defer done()
	if _, err := r.Next(); err != nil {
		return 0, fmt.Errorf("%s is not a tar archive: %w", path, err)
	}
	return Tar, nil
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// tarReader reads the tar archive in f, decompressing it when its first
// bytes say so. done releases the decompressor.
func tarReader(f io.Reader) (*tar.Reader, func(), error) {
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return tar.NewReader(z), func() { z.Close() }, nil
	case bytes.HasPrefix(head, zstdMagic):
		// One decoding goroutine and a bounded window: the memory a
		// decoder takes does not grow with the archive.
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return tar.NewReader(z), z.Close, nil
	}
	if rs, ok := f.(io.ReadSeeker); ok && len(head) > 0 {
		// Plain: let archive/tar seek over file data (io.Seeker) when it
		// only wants the headers.
		if _, err := rs.Seek(0, io.SeekStart); err == nil {
			return tar.NewReader(rs), func() {}, nil
		}
	}
	return tar.NewReader(br), func() {}, nil
}

// fingerprint is what identifies the source's current content, cheaply: a
// tar archive's size, modification time and inode (a new archive renamed
// into place is another inode); a directory's paths, types, modes,
// owners, sizes and modification times, by a walk that reads no file.
func fingerprint(src Source) (string, Kind, error) {
	kind, err := Probe(src.Path)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", packVersion, src.Compression, kind)
	if kind == Tar {
		fi, err := os.Stat(src.Path)
		if err != nil {
			return "", 0, err
		}
		m := metaOf(fi)
		fmt.Fprintf(h, "%d\x00%d\x00%d\x00%d\x00", fi.Size(), fi.ModTime().UnixNano(), m.dev, m.ino)
		return hex.EncodeToString(h.Sum(nil)[:16]), kind, nil
	}
	err = filepath.WalkDir(src.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		m := metaOf(fi)
		rel, _ := filepath.Rel(src.Path, p)
		fmt.Fprintf(h, "%s\x00%o\x00%d\x00%d\x00%d\x00%d\x00%d\x00", rel, m.mode, m.uid, m.gid, fi.Size(), fi.ModTime().UnixNano(), m.rdev)
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("walking %s: %w", src.Path, err)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), kind, nil
}

// errNotSequential is a tar entry's content read out of order: the packer
// reads each entry once, from its start.
var errNotSequential = errors.New("rootimage: tar content read out of order")
