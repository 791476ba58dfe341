package app

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/config"
)

// elfModule is the smallest ELF64 object with a .modname section naming a
// GRUB module, as grub-mkimage embeds each one.
func elfModule(name string) []byte {
	le := binary.LittleEndian
	modname := append([]byte(name), 0)
	shstrtab := []byte("\x00.modname\x00.shstrtab\x00")
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 1)
	le.PutUint16(b[18:], 62)
	le.PutUint32(b[20:], 1)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], 3)
	le.PutUint16(b[62:], 2)
	modOff := len(b)
	b = append(b, modname...)
	strOff := len(b)
	b = append(b, shstrtab...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	le.PutUint64(b[40:], uint64(len(b)))
	for _, s := range [][4]int{{0, 0, 0, 0}, {1, 1, modOff, len(modname)}, {10, 3, strOff, len(shstrtab)}} {
		h := make([]byte, 64)
		le.PutUint32(h[0:], uint32(s[0]))
		le.PutUint32(h[4:], uint32(s[1]))
		le.PutUint64(h[24:], uint64(s[2]))
		le.PutUint64(h[32:], uint64(s[3]))
		b = append(b, h...)
	}
	return b
}

// grubImage is a PE32+ x64 image with a GRUB "mods" section holding the
// modules named and the prefix; with no section at all (a shim, for
// pxed) when prefix is "".
func grubImage(prefix string, modules ...string) []byte {
	le := binary.LittleEndian
	var mods []byte
	if prefix != "" {
		mods = make([]byte, 24)
		le.PutUint32(mods, 0x676d696d) // "mimg"
		le.PutUint64(mods[8:], 24)
		obj := func(typ uint32, body []byte) {
			h := make([]byte, 8)
			le.PutUint32(h, typ)
			le.PutUint32(h[4:], uint32(8+len(body)))
			mods = append(append(mods, h...), body...)
		}
		for _, m := range modules {
			obj(0, elfModule(m))
		}
		obj(3, append([]byte(prefix), 0))
		le.PutUint64(mods[16:], uint64(len(mods)))
	}
	const lfanew, optSize = 0x40, 112 + 16*8
	nsec := 0
	if mods != nil {
		nsec = 1
	}
	b := make([]byte, lfanew+4+20+optSize+40*nsec)
	copy(b, "MZ")
	le.PutUint32(b[0x3c:], lfanew)
	copy(b[lfanew:], "PE\x00\x00")
	coff := b[lfanew+4:]
	le.PutUint16(coff[0:], 0x8664)
	le.PutUint16(coff[2:], uint16(nsec))
	le.PutUint16(coff[16:], optSize)
	opt := coff[20:]
	le.PutUint16(opt[0:], 0x20b)
	le.PutUint16(opt[68:], 10)
	le.PutUint32(opt[108:], 16)
	if mods != nil {
		sec := opt[optSize:]
		copy(sec, "mods")
		le.PutUint32(sec[8:], uint32(len(mods)))
		le.PutUint32(sec[16:], uint32(len(mods)))
		le.PutUint32(sec[20:], uint32(len(b)))
		b = append(b, mods...)
	}
	return b
}

// TestGRUBHTTPDirs: pxed finds the GRUB images its loaders lead to (a
// GRUB named as loader, the GRUB beside a shim) and keeps the prefixes of
// those with http built in.
func TestGRUBHTTPDirs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string][]byte{
		"debian/shimx64.efi": grubImage(""),
		"debian/grubx64.efi": grubImage("/debian/grub", "efinet", "tftp"), // Debian 12's: no http
		"custom/bootx64.efi": grubImage(""),
		"custom/grubx64.efi": grubImage("/custom/grub", "efinet", "http"),
		"arm/grubaa64.efi":   grubImage("/arm/grub", "efinet", "http", "tftp"),
		"ia32/grubia32.efi":  grubImage("/ia32/grub", "efinet"),
		// Two GRUBs sharing a prefix, one without http: TFTP for both.
		"shared/a.efi":        grubImage("/shared/grub", "http"),
		"shared/b.efi":        grubImage("/shared/grub", "tftp"),
		"pxelinux.0":          []byte("not PE"),
		"lonely/shim-alone.e": grubImage(""),
	}
	for name, data := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{
		Boot:  config.Boot{File: "pxelinux.0", Files: map[string]string{"efi-x64": "debian/shimx64.efi", "efi-arm64": "/arm/grubaa64.efi", "http-efi-x64": "http://192.168.1.21:8080/custom/grubx64.efi"}},
		Hosts: []config.Host{{Name: "h", Boot: &config.Boot{Files: map[string]string{"efi-x64": "custom/bootx64.efi", "efi-ia32": "ia32/grubia32.efi"}}}},
		Profiles: []config.Profile{
			{Name: "p", Loader: &config.Boot{Files: map[string]string{"efi-x64": "lonely/shim-alone.e", "efi-arm64": "../escape.efi"}}},
			{Name: "q", Loader: &config.Boot{Files: map[string]string{"efi-x64": "shared/a.efi", "efi-arm64": "shared/b.efi"}}},
		},
	}
	got := grubHTTPDirs(cfg, dir, nil)
	want := map[string]bool{"/custom/grub": true, "/arm/grub": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GRUB prefixes with http (-want +got):\n%s", diff)
	}
	if got := grubHTTPDirs(cfg, filepath.Join(dir, "missing"), nil); len(got) != 0 {
		t.Errorf("a root that does not exist: %v", got)
	}
}

// A GRUB with http built in reads the kernel and initrds over HTTP only
// while the HTTP server can send it full-size segments; otherwise its
// config keeps TFTP paths (slower over HTTP then), and the log says why,
// once.
func TestGRUBHTTPNeedsFullSizeSegments(t *testing.T) {
	for _, sizable := range []bool{true, false} {
		var logged bytes.Buffer
		s := &services{log: slog.New(slog.NewTextHandler(&logged, nil)), grubSegments: func() bool { return sizable }}
		m := map[string]bool{"/grubhttp": true}
		s.grubHTTP.Store(&m)
		for range 2 {
			if got := s.grubHasHTTP("/grubhttp"); got != sizable {
				t.Errorf("segments sizable %v: GRUB with http reads over HTTP %v, want %v", sizable, got, sizable)
			}
			if s.grubHasHTTP("/debian-installer/amd64/grub") {
				t.Errorf("segments sizable %v: a GRUB without http reads over HTTP", sizable)
			}
		}
		if n, want := strings.Count(logged.String(), "without CAP_NET_ADMIN"), map[bool]int{true: 0, false: 1}[sizable]; n != want {
			t.Errorf("segments sizable %v: logged the TFTP fallback %d times, want %d:\n%s", sizable, n, want, logged.String())
		}
	}
}
