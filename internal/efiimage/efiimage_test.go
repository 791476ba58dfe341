package efiimage

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pe32plus builds the smallest PE32+ image debug/pe accepts: a DOS header
// pointing at the PE signature, a COFF header without sections and an
// optional header with 16 data directories, the security one at cert (a
// file offset and size), followed by the certificate table itself if tab
// is not nil.
func pe32plus(machine Machine, subsystem uint16, tab []byte) []byte {
	const lfanew, optSize = 0x40, 112 + 16*8
	b := make([]byte, lfanew+4+20+optSize)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], lfanew)
	copy(b[lfanew:], "PE\x00\x00")
	coff := b[lfanew+4:]
	binary.LittleEndian.PutUint16(coff[0:], uint16(machine))
	binary.LittleEndian.PutUint16(coff[16:], optSize)
	opt := coff[20:]
	binary.LittleEndian.PutUint16(opt[0:], 0x20b) // PE32+
	binary.LittleEndian.PutUint16(opt[68:], subsystem)
	binary.LittleEndian.PutUint32(opt[108:], 16)
	if tab != nil {
		binary.LittleEndian.PutUint32(opt[112+4*8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(opt[112+4*8+4:], uint32(len(tab)))
		b = append(b, tab...)
	}
	return b
}

// winCert is a certificate table of one WIN_CERTIFICATE of the given
// revision and type, with n bytes of (made-up) signature.
func winCert(revision, typ uint16, n int) []byte {
	b := make([]byte, 8+n)
	binary.LittleEndian.PutUint32(b[0:], uint32(8+n))
	binary.LittleEndian.PutUint16(b[4:], revision)
	binary.LittleEndian.PutUint16(b[6:], typ)
	return b
}

func TestInspect(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		data []byte
		want Image
		err  error
	}{
		{"unsigned x64 application (iPXE's snponly.efi)", pe32plus(MachineAMD64, 10, nil),
			Image{Machine: MachineAMD64, Subsystem: 10}, nil},
		{"signed arm64 application", pe32plus(MachineARM64, 10, winCert(0x0200, 2, 1464)),
			Image{Machine: MachineARM64, Subsystem: 10, CertBytes: 1472, Signed: true}, nil},
		{"a certificate table of another type signs nothing", pe32plus(MachineAMD64, 10, winCert(0x0200, 1, 64)),
			Image{Machine: MachineAMD64, Subsystem: 10, CertBytes: 72}, nil},
		{"a table shorter than its header", pe32plus(MachineAMD64, 10, []byte{1, 2, 3}),
			Image{Machine: MachineAMD64, Subsystem: 10, CertBytes: 3}, nil},
		{"pxelinux.0 is no PE image", []byte("\xfa\xfc\x31\xc0 pxelinux"), Image{}, ErrNotPE},
		{"a stand-in text file", []byte("not a boot program\n"), Image{}, ErrNotPE},
		{"MZ without a PE header", append([]byte("MZ"), make([]byte, 100)...), Image{}, ErrNotPE},
		{"empty", nil, Image{}, ErrNotPE},
	} {
		got, err := Inspect(bytes.NewReader(c.data))
		if !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestInspectDebian reads the loaders Debian 12 ships, where installed
// (the netboot tree and the ipxe package, as the lab has them): the signed
// shim and GRUB and the unsigned iPXE builds.
func TestInspectDebian(t *testing.T) {
	t.Parallel()
	const tree = "/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/"
	for _, c := range []struct {
		file  string
		want  Image
		notPE bool
	}{
		{tree + "bootnetx64.efi", Image{Machine: MachineAMD64, Subsystem: 10, CertBytes: 19368, Signed: true}, false},
		{tree + "grubx64.efi", Image{Machine: MachineAMD64, Subsystem: 10, CertBytes: 1472, Signed: true,
			GRUB: true, GRUBPrefix: "/debian-installer/amd64/grub"}, false},
		// Debian 12's signed GRUBs carry efinet and tftp but no http
		// (GRUBHTTP false): they read files over TFTP only under Secure
		// Boot.
		{"/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64/grubaa64.efi",
			Image{Machine: MachineARM64, Subsystem: 10, CertBytes: 1472, Signed: true, GRUB: true, GRUBPrefix: "/debian-installer/arm64/grub"}, false},
		{"/usr/lib/ipxe/snponly.efi", Image{Machine: MachineAMD64, Subsystem: 10}, false},
		{tree + "pxelinux.0", Image{}, true},
	} {
		f, err := os.Open(c.file)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: not installed", c.file)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		got, err := Inspect(f)
		f.Close()
		if c.notPE != errors.Is(err, ErrNotPE) || (!c.notPE && err != nil) {
			t.Errorf("%s: error %v", c.file, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.file, diff)
		}
	}
}

func FuzzInspect(f *testing.F) {
	f.Add(pe32plus(MachineAMD64, 10, nil))
	f.Add(pe32plus(MachineARM64, 10, winCert(0x0200, 2, 16)))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Inspect(bytes.NewReader(data))
		if err != nil && img != (Image{}) {
			t.Errorf("error %v with image %+v", err, img)
		}
		if img.Signed && img.CertBytes == 0 {
			t.Errorf("signed with an empty certificate table: %+v", img)
		}
	})
}

// elfModule is the smallest ELF64 object debug/elf reads with a .modname
// section holding name, as grub-mkimage embeds each module.
func elfModule(name string) []byte {
	modname := append([]byte(name), 0)
	shstrtab := []byte("\x00.modname\x00.shstrtab\x00")
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 1)  // ET_REL
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[58:], 64) // e_shentsize
	le.PutUint16(b[60:], 3)  // e_shnum
	le.PutUint16(b[62:], 2)  // e_shstrndx
	modOff := len(b)
	b = append(b, modname...)
	strOff := len(b)
	b = append(b, shstrtab...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	le.PutUint64(b[40:], uint64(len(b))) // e_shoff
	sh := func(name, typ uint32, off, size int) {
		h := make([]byte, 64)
		le.PutUint32(h[0:], name)
		le.PutUint32(h[4:], typ)
		le.PutUint64(h[24:], uint64(off))
		le.PutUint64(h[32:], uint64(size))
		le.PutUint64(h[48:], 1)
		b = append(b, h...)
	}
	sh(0, 0, 0, 0)
	sh(1, 1, modOff, len(modname))   // .modname, SHT_PROGBITS
	sh(10, 3, strOff, len(shstrtab)) // .shstrtab, SHT_STRTAB
	return b
}

// grubMods is a GRUB module area holding objs, each a type and a body.
func grubMods(objs ...any) []byte {
	le := binary.LittleEndian
	b := make([]byte, 24)
	le.PutUint32(b, grubModuleMagic)
	le.PutUint64(b[8:], 24)
	for i := 0; i < len(objs); i += 2 {
		body := objs[i+1].([]byte)
		h := make([]byte, 8)
		le.PutUint32(h, uint32(objs[i].(int)))
		le.PutUint32(h[4:], uint32(8+len(body)))
		b = append(append(b, h...), body...)
	}
	le.PutUint64(b[16:], uint64(len(b)))
	return b
}

func TestReadGRUBCore(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		mods []byte
		want grubCore
		http bool
	}{
		{"netboot GRUB without http (Debian 12)", grubMods(grubObjELF, elfModule("efinet"), grubObjELF, elfModule("tftp"), grubObjPrefix, []byte("/debian-installer/amd64/grub\x00")),
			grubCore{prefix: "/debian-installer/amd64/grub", modules: []string{"efinet", "tftp"}}, false},
		{"http built in", grubMods(grubObjELF, elfModule("efinet"), grubObjELF, elfModule("http"), grubObjPrefix, []byte("/grub\x00")),
			grubCore{prefix: "/grub", modules: []string{"efinet", "http"}}, true},
		{"a module that is no ELF is left out", grubMods(grubObjELF, []byte("not elf"), grubObjELF, elfModule("http")),
			grubCore{modules: []string{"http"}}, true},
		{"a memdisk is no module", grubMods(1, []byte("http"), grubObjPrefix, []byte("/grub")),
			grubCore{prefix: "/grub"}, false},
	} {
		got, err := readGRUBCore(c.mods)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(grubCore{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		if got.has("http") != c.http {
			t.Errorf("%s: has http %v, want %v", c.name, got.has("http"), c.http)
		}
	}
}

// TestDebianGRUBModules reads the modules built into Debian 12's signed
// GRUBs, where installed: the netboot trees' grubx64.efi and grubaa64.efi
// (grub-efi-*-signed's grubnetx64-installer and its arm64 twin) carry the
// network (net, efinet) and tftp, not http.
func TestDebianGRUBModules(t *testing.T) {
	t.Parallel()
	for _, file := range []string{
		"/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/grubx64.efi",
		"/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64/grubaa64.efi",
	} {
		f, err := pe.Open(file)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: not installed", file)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		data, err := f.Section("mods").Data()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		core, err := readGRUBCore(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Logf("%s: %d modules built in", file, len(core.modules))
		for _, m := range []string{"net", "efinet", "tftp", "linux", "normal"} {
			if !core.has(m) {
				t.Errorf("%s: module %s not found among %v", file, m, core.modules)
			}
		}
		if core.has("http") {
			t.Errorf("%s: http built in, which Debian 12's GRUB was not", file)
		}
	}
}
