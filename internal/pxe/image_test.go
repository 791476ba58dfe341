package pxe

import (
	"net"
	"testing"
)

func TestImagePath(t *testing.T) {
	mac := net.HardwareAddr{0x00, 0x18, 0xe7, 0x42, 0x7a, 0x3e}
	p := ImagePath(ArchX64HTTP, mac)
	if p != "image/http-efi-x64/00-18-e7-42-7a-3e.img" {
		t.Fatalf("ImagePath = %q", p)
	}
	for _, in := range []string{p, "/" + p} {
		a, m, ok := ParseImagePath(in)
		if !ok || a != ArchX64HTTP || m.String() != mac.String() {
			t.Errorf("ParseImagePath(%q) = %v %v %v", in, a, m, ok)
		}
	}
	for _, bad := range []string{
		"image/efi-x64/00-18-e7-42-7a-3e.img",      // a PXE architecture
		"image/http-efi-x64/00-18-e7-42-7a-3e.efi", // not .img
		"image/http-efi-x64/00-18-e7-42-7a.img",    // short MAC
		"image/http-efi-x64/zz-18-e7-42-7a-3e.img", // not hex
		"debian-installer/amd64/grubx64.efi",       // a root file
		"image/http-efi-x64",                       // no name
	} {
		if _, _, ok := ParseImagePath(bad); ok {
			t.Errorf("ParseImagePath(%q) accepted", bad)
		}
	}
}
