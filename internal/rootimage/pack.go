package rootimage

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/u-root/u-root/pkg/cpio"
)

// packVersion changes when Pack writes other archives from the same
// source, so that an image cached by an older pxed is not taken for one.
const packVersion = "pxed rootimage 1"

// meta is what a newc header keeps of a file besides its name and data.
type meta struct {
	mode           uint64 // Linux st_mode: type and permission bits
	uid, gid       uint64
	dev, ino       uint64 // identity on the source file system
	nlink          uint64
	mtime          uint64
	rdev           uint64
	rmajor, rminor uint64
}

// metaFromMode is meta from Go's portable file mode alone: no owners.
func metaFromMode(fi fs.FileInfo) meta {
	m := fi.Mode()
	mode := uint64(m.Perm())
	switch {
	case m.IsDir():
		mode |= cpio.S_IFDIR
	case m&fs.ModeSymlink != 0:
		mode |= cpio.S_IFLNK
	case m&fs.ModeCharDevice != 0:
		mode |= cpio.S_IFCHR
	case m&fs.ModeDevice != 0:
		mode |= cpio.S_IFBLK
	case m&fs.ModeNamedPipe != 0:
		mode |= cpio.S_IFIFO
	case m&fs.ModeSocket != 0:
		mode |= cpio.S_IFSOCK
	default:
		mode |= cpio.S_IFREG
	}
	if m&fs.ModeSetuid != 0 {
		mode |= cpio.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		mode |= cpio.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		mode |= cpio.S_ISVTX
	}
	return meta{mode: mode, nlink: 1}
}

// Packed is what a pack wrote besides the archive: the directories in it,
// which a machine's overlay leaves as they are (see Overlay), and counts
// for the log.
type Packed struct {
	Dirs  []string // sorted, without a leading slash
	Files int      // entries of every kind
	Bytes int64    // file content, uncompressed
}

// Pack writes the root at src (of kind k, see Probe) to w as a newc cpio
// archive (the initramfs format, Linux's
// Documentation/driver-api/early-userspace/buffer-format.rst), compressed
// with c. It streams: one file's content at a time passes through the cpio
// writer into the compressor; no file or archive is held in memory. ctx
// ends it between files.
func Pack(ctx context.Context, w io.Writer, src string, k Kind, c Compression) (Packed, error) {
	zw, err := compressor(w, c)
	if err != nil {
		return Packed{}, err
	}
	p := &packer{ctx: ctx, w: cpio.Newc.Writer(zw), dirs: map[string]bool{}}
	if k == Tar {
		err = p.tarFile(src)
	} else {
		err = p.dir(src)
	}
	if err == nil {
		err = cpio.WriteTrailer(p.w)
	}
	if cerr := zw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("compressing: %w", cerr)
	}
	if err != nil {
		return Packed{}, err
	}
	out := Packed{Files: p.files, Bytes: p.bytes}
	for d := range p.dirs {
		out.Dirs = append(out.Dirs, d)
	}
	slices.Sort(out.Dirs)
	return out, nil
}

// compressor wraps w in c's writer. zstd: klauspost/compress, the Go
// implementation the field uses (pure Go, streaming, a window the
// kernel's decompressor accepts: lib/decompress_unzstd.c takes up to
// 128 MiB), at most two block encoders so that packing holds a bounded
// few tens of MiB whatever the image's size; gzip: the standard library.
func compressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	if c == Gzip {
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	}
	return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(2), zstd.WithWindowSize(8<<20))
}

type packer struct {
	ctx   context.Context
	w     cpio.RecordWriter
	ino   uint64
	dirs  map[string]bool // directories written, by archive name
	files int
	bytes int64
}

func (p *packer) nextIno() uint64 { p.ino++; return p.ino }

// write adds one record. The kernel creates no missing parent directory
// (init/initramfs.c do_name opens the path as given), so any parent not
// yet written goes first, as 0755 root:root.
func (p *packer) write(name string, m meta, content io.ReaderAt, size int64) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	if err := p.parents(name, m.mtime); err != nil {
		return err
	}
	info := cpio.Info{Name: name, Ino: m.ino, Mode: m.mode, UID: m.uid, GID: m.gid, NLink: max(m.nlink, 1),
		MTime: m.mtime, FileSize: uint64(size), Rmajor: m.rmajor, Rminor: m.rminor}
	if info.Ino == 0 {
		info.Ino = p.nextIno()
	}
	rec := cpio.Record{Info: info}
	if content != nil && size > 0 {
		// The writer closes content that is an io.Closer: hide it, the
		// caller closes its own file.
		rec.ReaderAt = io.NewSectionReader(content, 0, size)
	}
	if m.mode&cpio.S_IFMT == cpio.S_IFDIR {
		p.dirs[name] = true
	}
	p.files++
	p.bytes += size
	if err := p.w.WriteRecord(rec); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

func (p *packer) parents(name string, mtime uint64) error {
	dir := path.Dir(name)
	if dir == "." || p.dirs[dir] {
		return nil
	}
	if err := p.parents(dir, mtime); err != nil {
		return err
	}
	p.dirs[dir] = true
	p.files++
	return p.w.WriteRecord(cpio.Record{Info: cpio.Info{Name: dir, Ino: p.nextIno(), Mode: cpio.S_IFDIR | 0o755, NLink: 2, MTime: mtime}})
}

// dir packs the tree under root in lexical order (parents before their
// entries, as the kernel needs them). Hard links: the first name of a file
// carries its content, the others the same inode number with none, which
// the kernel links to the first (init/initramfs.c maybe_link).
func (p *packer) dir(root string) error {
	type key struct{ dev, ino uint64 }
	linked := map[key]uint64{} // files with several names: source identity → archive inode
	return filepath.WalkDir(root, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, fp)
		if err != nil || rel == "." {
			return err
		}
		name := filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		m := metaOf(fi)
		m.mtime = uint64(max(fi.ModTime().Unix(), 0))
		switch m.mode & cpio.S_IFMT {
		case cpio.S_IFLNK:
			target, err := os.Readlink(fp)
			if err != nil {
				return err
			}
			m.ino = 0
			return p.write(name, m, strings.NewReader(target), int64(len(target)))
		case cpio.S_IFREG:
			if m.nlink > 1 {
				k := key{m.dev, m.ino}
				if ino, ok := linked[k]; ok {
					m.ino = ino
					return p.write(name, m, nil, 0)
				}
				m.ino = p.nextIno()
				linked[k] = m.ino
			} else {
				m.ino = 0
			}
			f, err := os.Open(fp)
			if err != nil {
				return err
			}
			defer f.Close()
			return p.write(name, m, f, fi.Size())
		default:
			m.ino = 0
			return p.write(name, m, nil, 0)
		}
	})
}

// tarFile packs a tar archive, in two passes. The first reads the headers
// only (archive/tar seeks over the content of a plain archive) to count
// each file's hard links, which a tar header does not carry but the
// kernel needs on the file's first entry (it links later entries only to
// an entry whose nlink was 2 or more, init/initramfs.c maybe_link), and to
// find each name's last member: a member appended later (tar -r, -u)
// replaces an earlier one of the same name, as tar -x would leave it.
func (p *packer) tarFile(file string) error {
	links, last, err := tarIndex(file)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr, done, err := tarReader(f)
	if err != nil {
		return err
	}
	defer done()
	inodes := map[string]uint64{} // link targets written: name → inode
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", file, err)
		}
		name, ok := tarName(h.Name)
		if !ok || last[name] != i {
			continue
		}
		m := meta{mode: uint64(h.Mode) & 0o7777, uid: uint64(h.Uid), gid: uint64(h.Gid), nlink: 1,
			mtime: uint64(max(h.ModTime.Unix(), 0))}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse:
			m.mode |= cpio.S_IFREG
			if n := links[name]; n > 0 {
				m.nlink = n + 1
				m.ino = p.nextIno()
				inodes[name] = m.ino
			}
			err = p.write(name, m, &sequential{r: tr}, h.Size)
		case tar.TypeLink:
			target, _ := tarName(h.Linkname)
			ino, ok := inodes[target]
			if !ok {
				return fmt.Errorf("%s: hard link %s names %s, which comes later or is not a file", file, name, h.Linkname)
			}
			m.mode |= cpio.S_IFREG
			m.ino, m.nlink = ino, links[target]+1
			err = p.write(name, m, nil, 0)
		case tar.TypeSymlink:
			m.mode |= cpio.S_IFLNK
			err = p.write(name, m, strings.NewReader(h.Linkname), int64(len(h.Linkname)))
		case tar.TypeDir:
			m.mode |= cpio.S_IFDIR
			m.nlink = 2
			err = p.write(name, m, nil, 0)
		case tar.TypeChar, tar.TypeBlock:
			m.mode |= cpio.S_IFCHR
			if h.Typeflag == tar.TypeBlock {
				m.mode = m.mode&^cpio.S_IFMT | cpio.S_IFBLK
			}
			m.rmajor, m.rminor = uint64(h.Devmajor), uint64(h.Devminor)
			err = p.write(name, m, nil, 0)
		case tar.TypeFifo:
			m.mode |= cpio.S_IFIFO
			err = p.write(name, m, nil, 0)
		default:
			continue // extended headers are read by archive/tar itself
		}
		if err != nil {
			return err
		}
	}
}

// tarIndex counts, for each name of a tar archive that hard links point
// to, the links to it, and finds the index of each name's last member.
func tarIndex(file string) (links map[string]uint64, last map[string]int, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	tr, done, err := tarReader(f)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	links, last = map[string]uint64{}, map[string]int{}
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			return links, last, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", file, err)
		}
		if name, ok := tarName(h.Name); ok {
			last[name] = i
		}
		if h.Typeflag == tar.TypeLink {
			if target, ok := tarName(h.Linkname); ok {
				links[target]++
			}
		}
	}
}

// tarName is an archive member's name as the cpio archive writes it:
// relative, cleaned, "./" and leading slashes dropped. The root itself and
// names reaching above it are skipped.
func tarName(name string) (string, bool) {
	n := path.Clean("/" + name)[1:]
	if n == "" || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") {
		return "", false
	}
	return n, true
}

// sequential serves one tar entry's content as the io.ReaderAt the cpio
// writer reads, which it does once, in order.
type sequential struct {
	r   io.Reader
	off int64
}

func (s *sequential) ReadAt(b []byte, off int64) (int, error) {
	if off != s.off {
		return 0, errNotSequential
	}
	n, err := s.r.Read(b)
	s.off += int64(n)
	return n, err
}
