package efiimage

import (
	"bytes"
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
