package ramdisk

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/google/go-cmp/cmp"
	"github.com/pxed/pxed/internal/efiimage"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/pxe"
)

// fakePE is the smallest EFI program efiimage reads: DOS stub pointer, PE
// signature, COFF header for machine with one section, a PE32+ optional
// header and, when prefix is not nil, a "mods" section holding a GRUB
// module area with prefix.
func fakePE(machine uint16, prefix *string) []byte {
	var mods []byte
	if prefix != nil {
		obj := append([]byte(*prefix), 0, 0, 0, 0)
		obj = obj[:(len(obj)+3)/4*4]
		// grub_module_info64, then one object of type 2 (config) to skip,
		// then the prefix object.
		cfg := []byte("normal\x00\x00")
		mods = make([]byte, 24)
		binary.LittleEndian.PutUint32(mods, 0x676d696d) // GRUB's module magic, "mimg"
		binary.LittleEndian.PutUint64(mods[8:], 24)
		mods = binary.LittleEndian.AppendUint32(mods, 2)
		mods = binary.LittleEndian.AppendUint32(mods, uint32(8+len(cfg)))
		mods = append(mods, cfg...)
		mods = binary.LittleEndian.AppendUint32(mods, 3) // OBJ_TYPE_PREFIX
		mods = binary.LittleEndian.AppendUint32(mods, uint32(8+len(obj)))
		mods = append(mods, obj...)
		binary.LittleEndian.PutUint64(mods[16:], uint64(len(mods)))
	}
	b := make([]byte, 0x40)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x40)
	b = append(b, 'P', 'E', 0, 0)
	coff := make([]byte, 20)
	binary.LittleEndian.PutUint16(coff, machine)
	binary.LittleEndian.PutUint16(coff[2:], 1) // one section
	const optSize = 112 + 16*8                 // PE32+ with 16 data directories
	binary.LittleEndian.PutUint16(coff[16:], optSize)
	b = append(b, coff...)
	opt := make([]byte, optSize)
	binary.LittleEndian.PutUint16(opt, 0x20b)    // PE32+
	binary.LittleEndian.PutUint16(opt[68:], 10)  // EFI application
	binary.LittleEndian.PutUint32(opt[108:], 16) // NumberOfRvaAndSizes
	b = append(b, opt...)
	sec := make([]byte, 40)
	name := ".text"
	if mods != nil {
		name = "mods"
	}
	copy(sec, name)
	dataOff := uint32(len(b) + 40)
	binary.LittleEndian.PutUint32(sec[8:], uint32(len(mods)))  // virtual size
	binary.LittleEndian.PutUint32(sec[16:], uint32(len(mods))) // raw size
	binary.LittleEndian.PutUint32(sec[20:], dataOff)
	b = append(b, sec...)
	return append(b, mods...)
}

func ptr(s string) *string { return &s }

func TestInspect(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want Loader
		cfg  string
		err  error
	}{
		{"netboot GRUB x64", fakePE(0x8664, ptr("/debian-installer/amd64/grub")),
			Loader{ArchX64, true, "/debian-installer/amd64/grub"}, "debian-installer/amd64/grub/grub.cfg", nil},
		{"netboot GRUB arm64", fakePE(0xaa64, ptr("/debian-installer/arm64/grub")),
			Loader{ArchAA64, true, "/debian-installer/arm64/grub"}, "debian-installer/arm64/grub/grub.cfg", nil},
		{"GRUB on a memdisk", fakePE(0x8664, ptr("(memdisk)/boot/grub")), Loader{ArchX64, true, "(memdisk)/boot/grub"}, "", nil},
		{"shim", fakePE(0x8664, nil), Loader{Arch: ArchX64}, "", nil},
		{"ia32", fakePE(0x14c, nil), Loader{}, "", ErrUnknownArch},
		{"text", []byte("not a program\n"), Loader{}, "", efiimage.ErrNotPE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Inspect(bytes.NewReader(tc.data))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
			if c := got.ConfigPath(); c != tc.cfg {
				t.Errorf("ConfigPath = %q, want %q", c, tc.cfg)
			}
		})
	}
}

func TestRemovablePath(t *testing.T) {
	if p := ArchX64.RemovablePath(); p != "EFI/BOOT/BOOTX64.EFI" {
		t.Errorf("x64: %s", p)
	}
	if p, g := ArchAA64.RemovablePath(), ArchAA64.GRUBName(); p != "EFI/BOOT/BOOTAA64.EFI" || g != "grubaa64.efi" {
		t.Errorf("aa64: %s %s", p, g)
	}
}

func TestGRUBFiles(t *testing.T) {
	cfg := "set timeout=0\nmenuentry \"pxed x\" {\n  linux /d/linux console=ttyS0 ---\n  initrd /d/initrd.gz /d/extra.gz\n}\nmenuentry b {\n linuxefi /d/linux\n initrdefi /d/initrd.gz\n}\n"
	got, err := grubFiles([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"d/linux", "d/initrd.gz", "d/extra.gz"}, got); diff != "" {
		t.Errorf("grubFiles (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"linux (tftp)/d/linux\n", "initrd $prefix/x\n", "linux d/linux\n"} {
		if _, err := grubFiles([]byte(bad)); err == nil {
			t.Errorf("grubFiles(%q) took a path not on GRUB's disk", bad)
		}
	}
}

func TestImageSize(t *testing.T) {
	if s := imageSize([]int64{100}); s != minSize {
		t.Errorf("small payload: %d, want the FAT32 minimum %d", s, minSize)
	}
	s := imageSize([]int64{33 << 20, 60 << 20, 4 << 20})
	if s < 97<<20 || s > 100<<20 || s%mib != 0 {
		t.Errorf("payload of 97 MiB: image of %d bytes", s)
	}
}

// readImage reads the file at name from a FAT32 image given as r.
func readImage(t *testing.T, r io.ReaderAt, size int64, name string) []byte {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "copy.img")
	out, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, io.NewSectionReader(r, 0, size)); err != nil {
		t.Fatal(err)
	}
	out.Close()
	f, err := os.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fsys, err := fat32.Read(file.New(f, true), size, 0, sectorSize)
	if err != nil {
		t.Fatal(err)
	}
	data, err := fsys.ReadFile("/" + name)
	if err != nil {
		t.Fatalf("reading %s from the image: %v", name, err)
	}
	return data
}

// TestBuildAndOverlay builds an image, then reads it back as the firmware
// would through File: the entries as they were, the slot as the machine's
// config followed by blank lines.
func TestBuildAndOverlay(t *testing.T) {
	kernel := bytes.Repeat([]byte("kernel"), 700_000) // > one chunk, odd size
	entries := []Entry{
		{Path: "EFI/BOOT/BOOTX64.EFI", Data: bytes.NewReader([]byte("loader")), Size: 6},
		{Path: "debian-installer/amd64/linux", Data: bytes.NewReader(kernel), Size: int64(len(kernel))},
	}
	dst := filepath.Join(t.TempDir(), "a.img")
	b, err := Build(dst, entries, "debian-installer/amd64/grub/grub.cfg", ConfigSlot)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size != minSize {
		t.Errorf("size %d, want %d", b.Size, minSize)
	}
	cfg := []byte("set timeout=0\nlinux /debian-installer/amd64/linux\n")
	f, err := Open(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := readImage(t, f, f.Size(), "EFI/BOOT/BOOTX64.EFI"); string(got) != "loader" {
		t.Errorf("BOOTX64.EFI = %q", got)
	}
	if got := readImage(t, f, f.Size(), "debian-installer/amd64/linux"); !bytes.Equal(got, kernel) {
		t.Errorf("kernel differs: %d bytes, want %d", len(got), len(kernel))
	}
	got := readImage(t, f, f.Size(), "debian-installer/amd64/grub/grub.cfg")
	want := append(bytes.Clone(cfg), bytes.Repeat([]byte{'\n'}, ConfigSlot-len(cfg))...)
	if !bytes.Equal(got, want) {
		t.Errorf("grub.cfg starts %q, want the machine's config then blank lines", got[:min(len(got), 80)])
	}
	if _, err := Open(b, bytes.Repeat([]byte("x"), ConfigSlot+1)); err == nil {
		t.Error("a config larger than the slot was laid over it")
	}
}

// root is a boot root in memory for the Service.
type root map[string][]byte

func (r root) Open(_ context.Context, req *bootfs.Request) (bootfs.File, error) {
	if d, ok := r[strings.TrimLeft(req.Path, "/")]; ok {
		return bootfs.Bytes(d), nil
	}
	return nil, fs.ErrNotExist
}

func TestServiceShimImage(t *testing.T) {
	mac := net.HardwareAddr{0x00, 0x18, 0xe7, 0x42, 0x7a, 0x3e}
	cfg := "menuentry x {\n linux /d/linux ---\n initrd /d/initrd.gz\n}\n"
	files := root{
		"d/bootnetx64.efi":              fakePE(0x8664, nil),
		"d/grubx64.efi":                 fakePE(0x8664, ptr("/d/grub")),
		"d/linux":                       []byte("LINUX"),
		"d/initrd.gz":                   []byte("INITRD"),
		"grub.cfg-01-00-18-e7-42-7a-3e": []byte(cfg),
	}
	image := true
	s := &Service{
		Next: files,
		Boot: func(net.HardwareAddr, netip.Addr) pxe.Boot {
			return pxe.Boot{Files: map[pxe.Arch]string{pxe.ArchX64HTTP: "d/bootnetx64.efi"}, Image: image}
		},
		Dir: t.TempDir(),
	}
	req := &bootfs.Request{Path: pxe.ImagePath(pxe.ArchX64HTTP, mac)}
	f, err := s.Open(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ct := f.(*File).ContentType(); ct != "application/vnd.efi-img" {
		t.Errorf("content type %q", ct)
	}
	for name, want := range map[string][]byte{
		"EFI/BOOT/BOOTX64.EFI": files["d/bootnetx64.efi"],
		"EFI/BOOT/grubx64.efi": files["d/grubx64.efi"],
		"d/linux":              files["d/linux"],
		"d/initrd.gz":          files["d/initrd.gz"],
	} {
		if got := readImage(t, f, f.Size(), name); !bytes.Equal(got, want) {
			t.Errorf("%s differs", name)
		}
	}
	if got := readImage(t, f, f.Size(), "d/grub/grub.cfg"); !bytes.HasPrefix(got, []byte(cfg)) {
		t.Errorf("grub.cfg starts %q", got[:40])
	}
	// A machine with no rendered config (no profile) gets no image.
	if _, err := s.Open(t.Context(), &bootfs.Request{Path: pxe.ImagePath(pxe.ArchX64HTTP, net.HardwareAddr{0, 0x18, 0xe7, 0, 0, 1})}); err == nil {
		t.Error("a machine without a rendered config got an image")
	}
	if imgs, _ := filepath.Glob(filepath.Join(s.Dir, "*.img")); len(imgs) != 1 {
		t.Errorf("%d images in the cache, want 1", len(imgs))
	}
	// Other paths go to Next; a machine not set to images gets none.
	if _, err := s.Open(t.Context(), &bootfs.Request{Path: "d/linux"}); err != nil {
		t.Errorf("a root file through the Service: %v", err)
	}
	image = false
	if _, err := s.Open(t.Context(), req); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("without http_image: err = %v, want not found", err)
	}
}

func TestServiceRebuildsOnChange(t *testing.T) {
	mac := net.HardwareAddr{0x00, 0x18, 0xe7, 0x42, 0x7a, 0x3e}
	files := root{
		"g.efi":                         fakePE(0x8664, ptr("/grub")),
		"k":                             []byte("v1"),
		"grub.cfg-01-00-18-e7-42-7a-3e": []byte("linux /k\n"),
	}
	s := &Service{
		Next: files,
		Boot: func(net.HardwareAddr, netip.Addr) pxe.Boot {
			return pxe.Boot{Files: map[pxe.Arch]string{pxe.ArchX64HTTP: "g.efi"}, Image: true}
		},
		Dir:       t.TempDir(),
		MaxImages: 1,
	}
	req := &bootfs.Request{Path: pxe.ImagePath(pxe.ArchX64HTTP, mac)}
	for _, v := range []string{"v1", "v2"} {
		files["k"] = []byte(v)
		f, err := s.Open(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := readImage(t, f, f.Size(), "k"); string(got) != v {
			t.Errorf("kernel in the image %q, want %q", got, v)
		}
		f.Close()
	}
	if imgs, _ := filepath.Glob(filepath.Join(s.Dir, "*.img")); len(imgs) != 1 {
		t.Errorf("%d images kept, want MaxImages = 1", len(imgs))
	}
}
