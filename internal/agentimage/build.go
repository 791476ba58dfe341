package agentimage

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/u-root/u-root/pkg/cpio"
	"github.com/ulikunitz/xz"
)

// Compression is how the archive is compressed.
type Compression int

const (
	Gzip Compression = iota // every kernel (CONFIG_RD_GZIP)
	Zstd                    // CONFIG_RD_ZSTD, smaller and faster to unpack
)

// Ext is the file name suffix of an archive so compressed.
func (c Compression) Ext() string {
	if c == Zstd {
		return ".zst"
	}
	return ".gz"
}

func (c Compression) String() string {
	if c == Zstd {
		return "zstd"
	}
	return "gzip"
}

// Spec is what an initramfs is built from.
type Spec struct {
	// Binary is pxed's executable, the archive's /init.
	Binary string
	// Modules is the kernel's module tree (/lib/modules/<version>);
	// empty: no modules (a kernel with its drivers built in).
	Modules string
	// Drivers are the modules to carry (Drivers() when nil).
	Drivers []string
}

// compression is the best the kernel of spec takes.
func (s Spec) compression() Compression {
	if s.Modules != "" && kernelConfig(s.Modules)["CONFIG_RD_ZSTD"] == "y" {
		return Zstd
	}
	return Gzip
}

// Built is what Build wrote besides the archive.
type Built struct {
	Compression Compression
	// Modules are the archive's modules in load order (paths in it).
	Modules []string
	// Missing are the drivers asked for that the tree lacks.
	Missing []string
}

// ModulesList is the archive's list of modules in load order, read by
// the agent (internal/agent.ModulesList names the same file).
const ModulesList = "etc/pxed/modules"

// Build writes spec's initramfs to w, compressed as c. It holds one
// module at a time in memory (decompressed, when the tree's are); /init
// streams from the binary.
func Build(ctx context.Context, w io.Writer, spec Spec, c Compression) (Built, error) {
	out := Built{Compression: c}
	var mods []string
	var version string
	if spec.Modules != "" {
		f, err := os.Open(filepath.Join(spec.Modules, "modules.dep"))
		if err != nil {
			return out, fmt.Errorf("module tree %s: %w", spec.Modules, err)
		}
		t, err := readDeps(f)
		f.Close()
		if err != nil {
			return out, fmt.Errorf("module tree %s: %w", spec.Modules, err)
		}
		drivers := spec.Drivers
		if drivers == nil {
			drivers = Drivers()
		}
		mods, out.Missing = t.closure(drivers)
		version = filepath.Base(filepath.Clean(spec.Modules))
	}

	zw, err := compressor(w, c)
	if err != nil {
		return out, err
	}
	a := &archive{w: cpio.Newc.Writer(zw), dirs: map[string]bool{}}
	err = a.build(ctx, spec, version, mods, &out)
	if err == nil {
		err = cpio.WriteTrailer(a.w)
	}
	if cerr := zw.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("compressing: %w", cerr)
	}
	return out, err
}

// compressor: zstd with klauspost/compress, a window the kernel's
// decompressor takes (lib/decompress_unzstd.c: up to 128 MiB); gzip from
// the standard library.
func compressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	if c == Zstd {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(2), zstd.WithWindowSize(8<<20))
	}
	return gzip.NewWriterLevel(w, gzip.DefaultCompression)
}

type archive struct {
	w    cpio.RecordWriter
	ino  uint64
	dirs map[string]bool
}

func (a *archive) build(ctx context.Context, spec Spec, version string, mods []string, out *Built) error {
	// The mount points the agent uses, and the console the kernel opens
	// for init before devtmpfs is mounted (init/main.c console_on_rootfs).
	for _, d := range []string{"dev", "proc", "sys", "run", "tmp", "etc/pxed"} {
		if err := a.dir(d); err != nil {
			return err
		}
	}
	if err := a.write(cpio.CharDev("dev/console", 0o600, 5, 1)); err != nil {
		return err
	}
	bin, err := os.Open(spec.Binary)
	if err != nil {
		return fmt.Errorf("opening pxed's binary: %w", err)
	}
	defer bin.Close()
	fi, err := bin.Stat()
	if err != nil {
		return fmt.Errorf("opening pxed's binary: %w", err)
	}
	if err := a.write(cpio.Record{
		ReaderAt: io.NewSectionReader(bin, 0, fi.Size()),
		Info:     cpio.Info{Name: "init", Mode: cpio.S_IFREG | 0o755, FileSize: uint64(fi.Size()), NLink: 1},
	}); err != nil {
		return err
	}
	var list strings.Builder
	for _, m := range mods {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := readModule(filepath.Join(spec.Modules, filepath.FromSlash(m)))
		if err != nil {
			return err
		}
		name := path.Join("lib/modules", version, plainName(m))
		rec := cpio.StaticRecord(data, cpio.Info{Name: name, Mode: cpio.S_IFREG | 0o644})
		if err := a.write(rec); err != nil {
			return err
		}
		out.Modules = append(out.Modules, name)
		list.WriteString(name + "\n")
	}
	return a.write(cpio.StaticFile(ModulesList, list.String(), 0o644))
}

// plainName is a module's path without its compression suffix.
func plainName(p string) string {
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		if s, ok := strings.CutSuffix(p, ".ko"+ext); ok {
			return s + ".ko"
		}
	}
	return p
}

// readModule reads a module, decompressing .ko.xz (kmod's default),
// .ko.zst and .ko.gz.
func readModule(file string) ([]byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading module: %w", err)
	}
	var r io.Reader
	switch {
	case strings.HasSuffix(file, ".ko.xz"):
		r, err = xz.NewReader(bytes.NewReader(raw))
	case strings.HasSuffix(file, ".ko.zst"):
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(raw), zstd.WithDecoderConcurrency(1))
		if d != nil {
			defer d.Close()
		}
		r = d
	case strings.HasSuffix(file, ".ko.gz"):
		r, err = gzip.NewReader(bytes.NewReader(raw))
	default:
		return raw, nil
	}
	if err != nil {
		return nil, fmt.Errorf("decompressing module %s: %w", file, err)
	}
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("decompressing module %s: %w", file, err)
	}
	return data, nil
}

func (a *archive) dir(name string) error {
	if name == "." || a.dirs[name] {
		return nil
	}
	if err := a.dir(path.Dir(name)); err != nil {
		return err
	}
	a.dirs[name] = true
	return a.record(cpio.Directory(name, 0o755))
}

// write adds a record after its parent directories: the kernel makes no
// missing parent (init/initramfs.c do_name).
func (a *archive) write(r cpio.Record) error {
	if err := a.dir(path.Dir(r.Name)); err != nil {
		return err
	}
	return a.record(r)
}

func (a *archive) record(r cpio.Record) error {
	a.ino++
	r.Ino = a.ino
	if r.NLink == 0 {
		r.NLink = 1
	}
	if err := a.w.WriteRecord(r); err != nil {
		return fmt.Errorf("writing %s: %w", r.Name, err)
	}
	return nil
}
