package rootimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
	"github.com/u-root/u-root/pkg/cpio"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/cmdline"
)

// rec is what a test checks of one cpio record.
type rec struct {
	Mode    string // type and permissions, as ls -l writes them
	UID     uint64
	Content string // a file's content, a symlink's target
	Dev     string // major,minor of a device node
	Ino     uint64
	NLink   uint64
}

// unpack reads a compressed (or plain) newc archive as the kernel would
// see it, by name.
func unpack(t *testing.T, data []byte) (map[string]rec, []string) {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(data, zstdMagic):
		z, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		r = z
	case bytes.HasPrefix(data, gzipMagic):
		z, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = z
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]rec{}
	var order []string
	for _, r := range recs {
		if r.Name == cpio.Trailer {
			continue
		}
		e := rec{Mode: modeString(r.Mode), UID: r.UID, Ino: r.Ino, NLink: r.NLink}
		if r.ReaderAt != nil {
			b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
			if err != nil {
				t.Fatal(err)
			}
			e.Content = string(b)
		}
		if m := r.Mode & cpio.S_IFMT; m == cpio.S_IFCHR || m == cpio.S_IFBLK {
			e.Dev = fmt.Sprintf("%d,%d", r.Rmajor, r.Rminor)
		}
		out[r.Name] = e
		order = append(order, r.Name)
	}
	return out, order
}

func modeString(m uint64) string {
	t := map[uint64]string{cpio.S_IFDIR: "d", cpio.S_IFREG: "-", cpio.S_IFLNK: "l", cpio.S_IFCHR: "c", cpio.S_IFBLK: "b", cpio.S_IFIFO: "p"}[m&cpio.S_IFMT]
	return fmt.Sprintf("%s%04o", t, m&0o7777)
}

// pack packs src into memory.
func pack(t *testing.T, src string, c Compression) ([]byte, Packed) {
	t.Helper()
	k, err := Probe(src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	p, err := Pack(context.Background(), &b, src, k, c)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), p
}

// A directory packs with its modes, symlinks and hard links, parents
// before their entries; the second name of a hard-linked file shares the
// first's inode and carries no content (the kernel links it).
func TestPackDir(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "etc/issue"), "Debian\n", 0o644)
	mustWrite(t, filepath.Join(dir, "usr/bin/perl"), "#!perl", 0o755)
	if err := os.Link(filepath.Join(dir, "usr/bin/perl"), filepath.Join(dir, "usr/bin/perl5")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin", filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "root"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "root"), 0o700)
	// Device nodes need root (and Linux's mknod here).
	devices := os.Geteuid() == 0
	if devices {
		if err := os.Mkdir(filepath.Join(dir, "dev"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := mknodChar(filepath.Join(dir, "dev/null"), 0o666, 1, 3); err != nil {
			t.Logf("no device node: %v", err)
			devices = false
			os.Remove(filepath.Join(dir, "dev"))
		}
	}
	for _, c := range []Compression{Zstd, Gzip} {
		data, packed := pack(t, dir, c)
		got, order := unpack(t, data)
		perl, perl5 := got["usr/bin/perl"], got["usr/bin/perl5"]
		if perl.Ino != perl5.Ino || perl.NLink != 2 || perl5.Content != "" || perl.Content != "#!perl" {
			t.Errorf("%s: hard link: perl %+v, perl5 %+v: want one inode, nlink 2, content on the first", c, perl, perl5)
		}
		delete(got, "usr/bin/perl5")
		for k, e := range got {
			e.Ino, e.NLink, e.UID = 0, 0, 0
			got[k] = e
		}
		want := map[string]rec{
			"bin":          {Mode: "l0777", Content: "usr/bin"},
			"etc":          {Mode: "d0755"},
			"etc/issue":    {Mode: "-0644", Content: "Debian\n"},
			"root":         {Mode: "d0700"},
			"usr":          {Mode: "d0755"},
			"usr/bin":      {Mode: "d0755"},
			"usr/bin/perl": {Mode: "-0755", Content: "#!perl"},
		}
		wantDirs := []string{"etc", "root", "usr", "usr/bin"}
		if devices {
			want["dev"] = rec{Mode: "d0755"}
			want["dev/null"] = rec{Mode: "c0666", Dev: "1,3"}
			wantDirs = []string{"dev", "etc", "root", "usr", "usr/bin"}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: archive (-want +got):\n%s", c, d)
		}
		if d := cmp.Diff(wantDirs, packed.Dirs); d != "" {
			t.Errorf("%s: Dirs (-want +got):\n%s", c, d)
		}
		checkParentsFirst(t, order)
	}
}

func checkParentsFirst(t *testing.T, order []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range order {
		if d := filepath.Dir(n); d != "." && !seen[d] {
			t.Errorf("%s comes before its directory %s", n, d)
		}
		seen[n] = true
	}
}

// tarEntry is one member of a test archive.
type tarEntry struct {
	h    tar.Header
	body string
}

func writeTar(t *testing.T, file string, c string, entries []tarEntry) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w io.Writer = f
	var closer io.Closer
	switch c {
	case "gzip":
		z := gzip.NewWriter(f)
		w, closer = z, z
	case "zstd":
		z, _ := zstd.NewWriter(f)
		w, closer = z, z
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := e.h
		h.Size = int64(len(e.body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		h.ModTime = time.Unix(1700000000, 0)
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil && h.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if closer != nil {
		closer.Close()
	}
}

// debianTar is shaped as scripts/diskless-root's ram.tar: names with
// "./", a root entry, device nodes, a hard link, and members appended
// (tar -r) whose parent directories the archive never lists.
var debianTar = []tarEntry{
	{h: tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}},
	{h: tar.Header{Name: "./etc/", Typeflag: tar.TypeDir, Mode: 0o755}},
	{h: tar.Header{Name: "./etc/issue", Typeflag: tar.TypeReg, Mode: 0o644}, body: "Debian GNU/Linux 12 \\n \\l\n"},
	{h: tar.Header{Name: "./dev/", Typeflag: tar.TypeDir, Mode: 0o755}},
	{h: tar.Header{Name: "./dev/console", Typeflag: tar.TypeChar, Mode: 0o600, Devmajor: 5, Devminor: 1}},
	{h: tar.Header{Name: "./dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Gid: 6, Devmajor: 8}},
	{h: tar.Header{Name: "./usr/", Typeflag: tar.TypeDir, Mode: 0o755}},
	{h: tar.Header{Name: "./usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755}},
	{h: tar.Header{Name: "./usr/bin/perl", Typeflag: tar.TypeReg, Mode: 0o755}, body: "#!perl"},
	{h: tar.Header{Name: "./usr/bin/perl5.36.0", Typeflag: tar.TypeLink, Linkname: "./usr/bin/perl", Mode: 0o755}},
	{h: tar.Header{Name: "./usr/bin/sudo", Typeflag: tar.TypeReg, Mode: 0o4755}, body: "s"},
	{h: tar.Header{Name: "./sbin", Typeflag: tar.TypeSymlink, Linkname: "usr/sbin", Mode: 0o777}},
	{h: tar.Header{Name: "./run/initctl", Typeflag: tar.TypeFifo, Mode: 0o600}},
	{h: tar.Header{Name: "./usr/lib/modules/6.1.0/kernel/drivers/e1000/e1000.ko", Typeflag: tar.TypeReg, Mode: 0o644}, body: "ko"},
	// Appended later (tar -r): replaces the first etc/issue.
	{h: tar.Header{Name: "./etc/issue", Typeflag: tar.TypeReg, Mode: 0o644}, body: "pxed image v2\n"},
}

// A tar archive, plain or compressed, packs as the directory would: device
// numbers, setuid bits, hard links counted ahead (the kernel links only to
// a first entry with nlink ≥ 2), the parents it never lists made, and a
// member appended later in place of the earlier one, as tar -x leaves it.
func TestPackTar(t *testing.T) {
	for _, tc := range []string{"plain", "gzip", "zstd"} {
		t.Run(tc, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "root.tar")
			writeTar(t, file, tc, debianTar)
			if k, err := Probe(file); err != nil || k != Tar {
				t.Fatalf("Probe = %v, %v; want tar", k, err)
			}
			data, packed := pack(t, file, Zstd)
			got, order := unpack(t, data)
			checkParentsFirst(t, order)
			perl, link := got["usr/bin/perl"], got["usr/bin/perl5.36.0"]
			if perl.Ino != link.Ino || perl.NLink != 2 || link.NLink != 2 || link.Content != "" {
				t.Errorf("hard link: perl %+v, perl5.36.0 %+v: want one inode, nlink 2 on both, content on the first", perl, link)
			}
			delete(got, "usr/bin/perl5.36.0")
			for k, e := range got {
				e.Ino, e.NLink = 0, 0
				got[k] = e
			}
			want := map[string]rec{
				"etc":                                  {Mode: "d0755"},
				"etc/issue":                            {Mode: "-0644", Content: "pxed image v2\n"},
				"dev":                                  {Mode: "d0755"},
				"dev/console":                          {Mode: "c0600", Dev: "5,1"},
				"dev/sda":                              {Mode: "b0660", Dev: "8,0"},
				"usr":                                  {Mode: "d0755"},
				"usr/bin":                              {Mode: "d0755"},
				"usr/bin/perl":                         {Mode: "-0755", Content: "#!perl"},
				"usr/bin/sudo":                         {Mode: "-4755", Content: "s"},
				"sbin":                                 {Mode: "l0777", Content: "usr/sbin"},
				"run":                                  {Mode: "d0755"},
				"run/initctl":                          {Mode: "p0600"},
				"usr/lib":                              {Mode: "d0755"},
				"usr/lib/modules":                      {Mode: "d0755"},
				"usr/lib/modules/6.1.0":                {Mode: "d0755"},
				"usr/lib/modules/6.1.0/kernel":         {Mode: "d0755"},
				"usr/lib/modules/6.1.0/kernel/drivers": {Mode: "d0755"},
				"usr/lib/modules/6.1.0/kernel/drivers/e1000":          {Mode: "d0755"},
				"usr/lib/modules/6.1.0/kernel/drivers/e1000/e1000.ko": {Mode: "-0644", Content: "ko"},
			}
			want["dev/sda"] = rec{Mode: "b0660", Dev: "8,0", UID: 0}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("archive (-want +got):\n%s", d)
			}
			if len(packed.Dirs) != 11 {
				t.Errorf("Dirs = %q, want the 11 directories", packed.Dirs)
			}
		})
	}
}

// Probe refuses what is neither a directory nor a tar archive, naming why.
func TestProbeRefuses(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "notes.txt"), strings.Repeat("not a tar\n", 100), 0o644)
	for _, p := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "notes.txt")} {
		if _, err := Probe(p); err == nil {
			t.Errorf("Probe(%s) = nil error", p)
		}
	}
}

// The overlay is each rendered file under its path, parents the image
// lacks made first and parents it has left out (their modes stay the
// image's), in path order.
func TestOverlay(t *testing.T) {
	mac, _ := net.ParseMAC("00:18:e7:42:84:3a")
	f := cmdline.Facts{Hostname: "station-01", MAC: mac.String(), MachineID: MachineID(mac)}
	files := map[string]string{
		"/etc/hostname":                   "{{.Hostname}}\n",
		"/etc/machine-id":                 "{{.MachineID}}\n",
		"/root/.ssh/authorized_keys":      "ssh-ed25519 AAAA admin\n",
		"/etc/pxed/station-01/notes.conf": "mac={{.MAC}}\n",
	}
	data, err := Overlay(files, f, []string{"etc", "root", "usr"}, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	got, order := unpack(t, data)
	for k, e := range got {
		e.Ino, e.NLink = 0, 0
		got[k] = e
	}
	want := map[string]rec{
		"etc/hostname":                   {Mode: "-0644", Content: "station-01\n"},
		"etc/machine-id":                 {Mode: "-0644", Content: MachineID(mac) + "\n"},
		"etc/pxed":                       {Mode: "d0755"},
		"etc/pxed/station-01":            {Mode: "d0755"},
		"etc/pxed/station-01/notes.conf": {Mode: "-0644", Content: "mac=00:18:e7:42:84:3a\n"},
		"root/.ssh":                      {Mode: "d0755"},
		"root/.ssh/authorized_keys":      {Mode: "-0644", Content: "ssh-ed25519 AAAA admin\n"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("overlay (-want +got):\n%s", d)
	}
	wantOrder := []string{"etc/hostname", "etc/machine-id", "etc/pxed", "etc/pxed/station-01", "etc/pxed/station-01/notes.conf", "root/.ssh", "root/.ssh/authorized_keys"}
	if d := cmp.Diff(wantOrder, order); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	again, _ := Overlay(files, f, []string{"etc", "root", "usr"}, time.Unix(1700000000, 0))
	if !bytes.Equal(data, again) {
		t.Error("the same overlay rendered twice differs")
	}
	for _, bad := range []string{"etc/hostname", "/etc/../hostname", "/"} {
		if _, err := Overlay(map[string]string{bad: "x"}, f, nil, time.Time{}); err == nil {
			t.Errorf("Overlay accepted path %q", bad)
		}
	}
}

// A machine ID is 32 lower-case hex digits (machine-id(5)), a version 4
// UUID as systemd makes them, stable per MAC and different between MACs.
func TestMachineID(t *testing.T) {
	a, _ := net.ParseMAC("00:18:e7:42:84:3a")
	b, _ := net.ParseMAC("00:18:E7:42:85:21")
	id := MachineID(a)
	if !regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`).MatchString(id) {
		t.Errorf("MachineID = %q, want 32 lower-case hex digits, UUID version 4", id)
	}
	if MachineID(a) != id || MachineID(b) == id {
		t.Errorf("MachineID not stable per MAC: %s %s %s", id, MachineID(a), MachineID(b))
	}
}

func TestParsePath(t *testing.T) {
	mac, _ := net.ParseMAC("00:18:e7:42:84:3a")
	for _, tc := range []struct {
		path string
		want Request
		ok   bool
	}{
		{ImagePath("diskless-ram", Zstd), Request{Profile: "diskless-ram", Ext: ".zst"}, true},
		{"/" + ImagePath("diskless-ram", Gzip), Request{Profile: "diskless-ram", Ext: ".gz"}, true},
		{OverlayPath("diskless-ram", mac), Request{Profile: "diskless-ram", MAC: mac}, true},
		{"images/diskless-ram/root.cpio.xz", Request{}, false},
		{"images/diskless-ram/00-18-e7-42-84.cpio", Request{}, false},
		{"images/a/b/root.cpio.zst", Request{}, false},
		{"image/efi-x64/00-18-e7-42-84-3a.img", Request{}, false},
	} {
		got, ok := ParsePath(tc.path)
		if ok != tc.ok || !cmp.Equal(got, tc.want) {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	if got := OverlayPath("p", mac); got != "images/p/00-18-e7-42-84-3a.cpio" {
		t.Errorf("OverlayPath = %q", got)
	}
}

func mustWrite(t *testing.T, file, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(file, mode)
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func readAll(t *testing.T, f bootfs.File) []byte {
	t.Helper()
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The cache packs an image once, serves the same file until the source
// changes and a check is due, then packs it anew, removing the old file;
// a reader of the old file keeps reading it whole.
func TestCacheRebuildsWhenChanged(t *testing.T) {
	src := t.TempDir()
	mustWrite(t, filepath.Join(src, "etc/issue"), "v1\n", 0o644)
	clk := &clock{now: time.Unix(1700000000, 0)}
	c := &Cache{Dir: filepath.Join(t.TempDir(), "cache"), Now: clk.Now}
	defer c.Close()
	s := Source{Path: src}
	ctx := context.Background()

	f1, b1, err := c.Open(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := unpack(t, readAll(t, f1)); got["etc/issue"].Content != "v1\n" {
		t.Fatalf("first image has etc/issue %q", got["etc/issue"].Content)
	}
	old, _, err := c.Open(ctx, s) // held open across the rebuild
	if err != nil {
		t.Fatal(err)
	}

	mustWrite(t, filepath.Join(src, "etc/issue"), "v2, longer\n", 0o644)
	os.Chtimes(filepath.Join(src, "etc/issue"), time.Now(), time.Now().Add(time.Hour))
	_, b2, _ := c.Open(ctx, s)
	if b2 != b1 {
		t.Fatalf("image rebuilt before the check was due: %s then %s", b1.File, b2.File)
	}
	clk.add(defaultCheckEvery)
	f3, b3, err := c.Open(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if b3.File == b1.File {
		t.Fatalf("image not rebuilt after the change: still %s", b3.File)
	}
	if got, _ := unpack(t, readAll(t, f3)); got["etc/issue"].Content != "v2, longer\n" {
		t.Errorf("rebuilt image has etc/issue %q", got["etc/issue"].Content)
	}
	if _, err := os.Stat(b1.File); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old image %s still there: %v", b1.File, err)
	}
	if got, _ := unpack(t, readAll(t, old)); got["etc/issue"].Content != "v1\n" {
		t.Errorf("a reader of the old image read etc/issue %q", got["etc/issue"].Content)
	}

	// Unchanged: checked again, the same file.
	clk.add(defaultCheckEvery)
	if _, b4, _ := c.Open(ctx, s); b4 != b3 {
		t.Errorf("unchanged source repacked: %s then %s", b3.File, b4.File)
	}
}

// A new cache over the same directory (pxed restarted) takes the image an
// earlier run packed instead of packing it again.
func TestCacheKeepsImagesAcrossRestarts(t *testing.T) {
	src := filepath.Join(t.TempDir(), "root.tar")
	writeTar(t, src, "gzip", debianTar)
	dir := t.TempDir()
	s := Source{Path: src, Compression: Gzip}
	c1 := &Cache{Dir: dir}
	_, b1, err := c1.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	fi1, _ := os.Stat(b1.File)
	mustWrite(t, filepath.Join(dir, "stale.cpio.zst.123.tmp"), "partial", 0o600)

	c2 := &Cache{Dir: dir}
	defer c2.Close()
	_, b2, err := c2.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	fi2, _ := os.Stat(b2.File)
	if b2.File != b1.File || !os.SameFile(fi1, fi2) {
		t.Errorf("restarted cache packed again: %s then %s", b1.File, b2.File)
	}
	if !cmp.Equal(b1.Dirs, b2.Dirs) {
		t.Errorf("directories %q, after restart %q", b1.Dirs, b2.Dirs)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.cpio.zst.123.tmp")); err == nil {
		t.Error("a stopped pack's temporary file was kept")
	}
}

// Prune removes the images of sources no profile names any more, and
// keeps those of the sources it is given or has served.
func TestCachePrune(t *testing.T) {
	dir := t.TempDir()
	mk := func() Source {
		src := t.TempDir()
		mustWrite(t, filepath.Join(src, "etc/issue"), "x\n", 0o644)
		return Source{Path: src}
	}
	gone, kept, served := mk(), mk(), mk()
	c1 := &Cache{Dir: dir}
	var files []string
	for _, s := range []Source{gone, kept, served} {
		_, b, err := c1.Open(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b.File)
	}
	c1.Close()
	c2 := &Cache{Dir: dir}
	defer c2.Close()
	if _, _, err := c2.Open(context.Background(), served); err != nil {
		t.Fatal(err)
	}
	c2.Prune([]Source{kept})
	for i, want := range []bool{false, true, true} {
		_, err := os.Stat(files[i])
		_, derr := os.Stat(dirsFile(files[i]))
		if (err == nil) != want || (derr == nil) != want {
			t.Errorf("%s kept: %v, %v; want %v", files[i], err, derr, want)
		}
	}
}

// Machines asking at once while the image is packed all wait for it and
// read the same complete file; one pack serves them all.
func TestCacheConcurrentOpens(t *testing.T) {
	src := t.TempDir()
	for i := range 200 {
		mustWrite(t, filepath.Join(src, fmt.Sprintf("usr/share/f%03d", i)), strings.Repeat("x", 4096), 0o644)
	}
	c := &Cache{Dir: t.TempDir()}
	defer c.Close()
	var wg sync.WaitGroup
	files := make([]string, 8)
	sizes := make([]int, 8)
	for i := range files {
		wg.Go(func() {
			f, b, err := c.Open(context.Background(), Source{Path: src})
			if err != nil {
				t.Error(err)
				return
			}
			files[i], sizes[i] = b.File, len(readAll(t, f))
		})
	}
	wg.Wait()
	for i := range files {
		if files[i] != files[0] || sizes[i] != sizes[0] {
			t.Fatalf("openers got different images: %q %v", files, sizes)
		}
	}
	got, _ := unpack(t, func() []byte { b, _ := os.ReadFile(files[0]); return b }())
	if len(got) != 202 {
		t.Errorf("image has %d entries, want 202", len(got))
	}
}

// A source that cannot be packed is an error while there is no image (and
// is looked at again only when a check is due); once there is an image, a
// broken change leaves it served.
func TestCacheKeepsLastGoodImage(t *testing.T) {
	src := filepath.Join(t.TempDir(), "root.tar")
	clk := &clock{now: time.Unix(1700000000, 0)}
	c := &Cache{Dir: t.TempDir(), Now: clk.Now}
	defer c.Close()
	s := Source{Path: src}
	if _, _, err := c.Open(context.Background(), s); err == nil {
		t.Fatal("no error for a missing image")
	}
	writeTar(t, src, "plain", debianTar)
	if _, _, err := c.Open(context.Background(), s); err == nil {
		t.Fatal("the source was looked at again before the check was due")
	}
	clk.add(defaultCheckEvery)
	_, b1, err := c.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, src, "no longer a tar archive", 0o644)
	clk.add(defaultCheckEvery)
	_, b2, err := c.Open(context.Background(), s)
	if err != nil || b2 != b1 {
		t.Errorf("after a broken change: %v, %v; want the last image %s", b2, err, b1.File)
	}
}

// The service answers the image and each machine's overlay at their paths,
// and leaves every other path, and machines of other profiles, to the next
// opener.
func TestService(t *testing.T) {
	src := t.TempDir()
	mustWrite(t, filepath.Join(src, "etc/issue"), "Debian\n", 0o644)
	mac, _ := net.ParseMAC("00:18:e7:42:84:3a")
	other, _ := net.ParseMAC("00:18:e7:42:85:21")
	s := &Service{
		Cache: &Cache{Dir: t.TempDir()},
		Image: func(name string) (Source, bool) { return Source{Path: src}, name == "ram" },
		Machine: func(_ *bootfs.Request, m net.HardwareAddr) (Machine, bool) {
			profile := "ram"
			if m.String() == other.String() {
				profile = "installer"
			}
			return Machine{Profile: profile, Image: Source{Path: src}, Overlay: map[string]string{"/etc/hostname": "{{.Hostname}}\n"},
				Facts: cmdline.Facts{Hostname: "station-01"}}, true
		},
		Now: func() time.Time { return time.Unix(1700000000, 0) },
	}
	defer s.Cache.Close()
	open := func(p string) (bootfs.File, error) {
		return s.Open(context.Background(), &bootfs.Request{Path: p, Remote: netip.MustParseAddrPort("192.168.1.101:2000")})
	}
	f, err := open(ImagePath("ram", Zstd))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := unpack(t, readAll(t, f)); got["etc/issue"].Content != "Debian\n" {
		t.Errorf("image: %v", got)
	}
	f, err = open(OverlayPath("ram", mac))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := unpack(t, readAll(t, f))
	if _, ok := got["etc"]; ok || got["etc/hostname"].Content != "station-01\n" {
		t.Errorf("overlay: %v; want etc/hostname and no etc, which the image has", got)
	}
	for _, p := range []string{"pxelinux.0", ImagePath("installer", Zstd), ImagePath("ram", Gzip), OverlayPath("ram", other)} {
		if _, err := open(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%s) = %v, want fs.ErrNotExist", p, err)
		}
	}
}

// The example in docs/profiles.md is station-01's.
func TestMachineIDDocumented(t *testing.T) {
	mac, _ := net.ParseMAC("00:18:e7:42:84:3a")
	if got := MachineID(mac); got != "fea0bec10d8445e099e10da234b57fba" {
		t.Errorf("MachineID(station-01) = %s; docs/profiles.md shows fea0bec10d8445e099e10da234b57fba", got)
	}
}

// ParsePath takes any input without panicking, and what it accepts names
// the path it came from.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"images/ram/root.cpio.zst", "/images/ram/00-18-e7-42-84-3a.cpio", "images//root.cpio.gz", "images/a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		q, ok := ParsePath(p)
		if !ok {
			return
		}
		want := ImagePath(q.Profile, Zstd)
		if q.Ext == ".gz" {
			want = ImagePath(q.Profile, Gzip)
		}
		if q.MAC != nil {
			want = OverlayPath(q.Profile, q.MAC)
		}
		if strings.TrimLeft(p, "/") != want && !strings.EqualFold(strings.TrimLeft(p, "/"), want) {
			t.Errorf("ParsePath(%q) = %+v, which is %q", p, q, want)
		}
	})
}
