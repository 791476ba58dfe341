package agentimage

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/pxed/pxed/internal/bootfs"
	"github.com/u-root/u-root/pkg/cpio"
	"github.com/ulikunitz/xz"
)

// modulesDep is a part of Debian 12's modules.dep (6.1.0-57-amd64), with
// virtio_net's modules compressed as kmod compresses them.
const modulesDep = `kernel/drivers/net/ethernet/intel/e1000/e1000.ko:
kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.zst kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/net/net_failover.ko.zst: kernel/net/core/failover.ko
kernel/net/core/failover.ko:
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko
kernel/drivers/ata/libahci.ko: kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko
kernel/drivers/ata/libata.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko
kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko
kernel/drivers/scsi/scsi_common.ko:
kernel/drivers/nvme/host/nvme-core.ko:
kernel/sound/core/snd.ko:
`

func TestClosure(t *testing.T) {
	tree, err := readDeps(strings.NewReader(modulesDep))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		names         []string
		order, absent []string
	}{
		{[]string{"e1000"}, []string{"kernel/drivers/net/ethernet/intel/e1000/e1000.ko"}, nil},
		{[]string{"ahci", "virtio_net", "nvme-core", "nvme", "libata"}, []string{
			"kernel/drivers/scsi/scsi_common.ko",
			"kernel/drivers/scsi/scsi_mod.ko",
			"kernel/drivers/ata/libata.ko",
			"kernel/drivers/ata/libahci.ko",
			"kernel/drivers/ata/ahci.ko",
			"kernel/net/core/failover.ko",
			"kernel/drivers/net/net_failover.ko.zst",
			"kernel/drivers/virtio/virtio.ko",
			"kernel/drivers/virtio/virtio_ring.ko",
			"kernel/drivers/net/virtio_net.ko.xz",
			"kernel/drivers/nvme/host/nvme-core.ko", // asked for as nvme_core or nvme-core alike
		}, []string{"nvme"}},
	}
	for _, tt := range tests {
		order, absent := tree.closure(tt.names)
		if d := cmp.Diff(tt.order, order); d != "" {
			t.Errorf("closure(%v) order (-want +got):\n%s", tt.names, d)
		}
		if d := cmp.Diff(tt.absent, absent); d != "" {
			t.Errorf("closure(%v) missing (-want +got):\n%s", tt.names, d)
		}
	}
}

func FuzzReadDeps(f *testing.F) {
	f.Add(modulesDep)
	f.Add("a.ko: b.ko\nb.ko: a.ko\n") // a cycle depmod would refuse
	f.Add(":\n")
	f.Fuzz(func(t *testing.T, s string) {
		tree, err := readDeps(strings.NewReader(s))
		if err != nil {
			return
		}
		var names []string
		for n := range tree.byName {
			names = append(names, n)
		}
		order, _ := tree.closure(names)
		seen := map[string]bool{}
		for _, p := range order {
			if seen[p] {
				t.Fatalf("%s twice in %v", p, order)
			}
			seen[p] = true
		}
	})
}

// moduleTree writes a module tree of modulesDep whose files hold their
// own names (compressed as their names say) and a kernel config beside it:
// root/lib/modules/6.1.0-57-amd64 and root/boot/config-6.1.0-57-amd64.
func moduleTree(t *testing.T, config string) string {
	t.Helper()
	root := t.TempDir()
	tree := filepath.Join(root, "lib", "modules", "6.1.0-57-amd64")
	tr, err := readDeps(strings.NewReader(modulesDep))
	if err != nil {
		t.Fatal(err)
	}
	for p := range tr.deps {
		var buf bytes.Buffer
		var w io.WriteCloser = nopCloser{&buf}
		switch {
		case strings.HasSuffix(p, ".xz"):
			w, err = xz.NewWriter(&buf)
		case strings.HasSuffix(p, ".zst"):
			w, err = zstd.NewWriter(&buf)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "module "+plainName(p))
		w.Close()
		file := filepath.Join(tree, p)
		os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(tree, "modules.dep"), []byte(modulesDep), 0o644)
	os.MkdirAll(filepath.Join(root, "boot"), 0o755)
	os.WriteFile(filepath.Join(root, "boot", "config-6.1.0-57-amd64"), []byte(config), 0o644)
	return tree
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// entry is what a test checks of an archive member.
type entry struct {
	Mode string
	Data string
}

// listing reads a newc archive back with u-root's reader.
func listing(t *testing.T, archive []byte) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := cpio.ForEachRecord(cpio.Newc.Reader(bytes.NewReader(archive)), func(r cpio.Record) error {
		var e entry
		switch r.Mode & cpio.S_IFMT {
		case cpio.S_IFDIR:
			e.Mode = "dir"
		case cpio.S_IFCHR:
			e.Mode = fmt.Sprintf("char %d,%d", r.Rmajor, r.Rminor)
		case cpio.S_IFREG:
			e.Mode = "file"
			b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
			if err != nil {
				return err
			}
			e.Data = string(b)
		}
		out[r.Name] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuild(t *testing.T) {
	tree := moduleTree(t, "CONFIG_RD_GZIP=y\n")
	bin := filepath.Join(t.TempDir(), "pxed")
	os.WriteFile(bin, []byte("\x7fELF pxed"), 0o755)
	spec := Spec{Binary: bin, Modules: tree, Drivers: []string{"e1000", "virtio_net", "ahci", "bnxt_en"}}
	if c := spec.compression(); c != Gzip {
		t.Errorf("compression for a kernel without CONFIG_RD_ZSTD = %v, want gzip", c)
	}
	var buf bytes.Buffer
	b, err := Build(t.Context(), &buf, spec, Gzip)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"bnxt_en"}, b.Missing); d != "" {
		t.Errorf("missing (-want +got):\n%s", d)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	got := listing(t, archive)
	const m = "lib/modules/6.1.0-57-amd64/kernel/"
	order := []string{
		m + "drivers/net/ethernet/intel/e1000/e1000.ko",
		m + "net/core/failover.ko",
		m + "drivers/net/net_failover.ko",
		m + "drivers/virtio/virtio.ko",
		m + "drivers/virtio/virtio_ring.ko",
		m + "drivers/net/virtio_net.ko",
		m + "drivers/scsi/scsi_common.ko",
		m + "drivers/scsi/scsi_mod.ko",
		m + "drivers/ata/libata.ko",
		m + "drivers/ata/libahci.ko",
		m + "drivers/ata/ahci.ko",
	}
	want := map[string]entry{
		"init":             {Mode: "file", Data: "\x7fELF pxed"},
		"dev/console":      {Mode: "char 5,1"},
		"etc/pxed/modules": {Mode: "file", Data: strings.Join(order, "\n") + "\n"},
	}
	for _, p := range order {
		want[p] = entry{Mode: "file", Data: "module " + strings.TrimPrefix(p, "lib/modules/6.1.0-57-amd64/")}
	}
	for name, e := range got {
		if e.Mode == "dir" {
			delete(got, name)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("archive (-want +got):\n%s", d)
	}

	// The kernel unpacks what GNU cpio lists: the same names, parents
	// first.
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Log("no cpio(1) to cross-check with")
		return
	}
	cmd := exec.Command("cpio", "-t", "--quiet")
	cmd.Stdin = bytes.NewReader(archive)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	seen := map[string]bool{}
	for _, name := range strings.Fields(string(out)) {
		if dir := filepath.Dir(name); dir != "." && !seen[dir] {
			t.Errorf("cpio -t lists %s before its directory", name)
		}
		seen[name] = true
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("cpio -t does not list %s", name)
		}
	}
}

func TestImageCache(t *testing.T) {
	tree := moduleTree(t, "CONFIG_RD_ZSTD=y\n")
	bin := filepath.Join(t.TempDir(), "pxed")
	os.WriteFile(bin, []byte("pxed 1"), 0o755)
	kernel := filepath.Join(t.TempDir(), "vmlinuz")
	os.WriteFile(kernel, []byte("a kernel"), 0o644)
	cache := t.TempDir()
	im := &Image{Dir: cache, Spec: Spec{Binary: bin, Modules: tree, Drivers: []string{"e1000"}}, CheckEvery: time.Nanosecond}
	s := &Service{Image: im, Kernel: kernel}

	read := func() (string, []byte) {
		t.Helper()
		f, err := s.Open(t.Context(), &bootfs.Request{Path: InitrdPath})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(cache, "agent-*"))
		if len(files) != 1 || !strings.HasSuffix(files[0], ".cpio.zst") {
			t.Fatalf("cache holds %v, want one .cpio.zst", files)
		}
		return files[0], b
	}
	first, data := read()
	zr, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("the image is not zstd: %v", err)
	}
	if got := listing(t, plain)["init"].Data; got != "pxed 1" {
		t.Errorf("/init = %q, want the binary", got)
	}
	fi, _ := os.Stat(first)
	if again, _ := read(); again != first {
		t.Errorf("unchanged inputs built %s anew (was %s)", again, first)
	}
	if fi2, _ := os.Stat(first); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("unchanged inputs rewrote %s", first)
	}

	// A new pxed binary: a new image, the old one gone.
	os.WriteFile(bin, []byte("pxed 2, longer"), 0o755)
	second, data := read()
	if second == first {
		t.Fatalf("a changed binary kept image %s", first)
	}
	zr.Reset(bytes.NewReader(data))
	plain, _ = io.ReadAll(zr)
	if got := listing(t, plain)["init"].Data; got != "pxed 2, longer" {
		t.Errorf("/init after the change = %q", got)
	}

	// A pxed restarted over the cache finds the image it built.
	im2 := &Image{Dir: cache, Spec: im.Spec}
	f, err := im2.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if files, _ := filepath.Glob(filepath.Join(cache, "agent-*")); len(files) != 1 || files[0] != second {
		t.Errorf("after a restart the cache holds %v, want %s", files, second)
	}

	k, err := s.Open(t.Context(), &bootfs.Request{Path: KernelPath})
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	if k.Size() != int64(len("a kernel")) {
		t.Errorf("kernel size %d", k.Size())
	}
	if _, err := s.Open(t.Context(), &bootfs.Request{Path: "discovery/other"}); !os.IsNotExist(err) {
		t.Errorf("another path: %v, want not exist (the next opener's)", err)
	}
}
