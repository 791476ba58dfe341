package pxe

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	uuid := append([]byte{0}, []byte("0123456789abcdef")...)
	for _, tc := range []struct {
		name string
		opts map[uint8][]byte
		want Client
	}{
		{"iPXE BIOS (lab capture)", map[uint8][]byte{60: []byte("PXEClient:Arch:00000:UNDI:002001"), 77: []byte("iPXE"), 93: {0, 0}, 97: uuid},
			Client{PXE: true, IPXE: true, HasArch: true, Arch: ArchBIOS, UUID: uuid[1:], VendorClass: "PXEClient:Arch:00000:UNDI:002001"}},
		{"EDK2 UEFI PXE", map[uint8][]byte{60: []byte("PXEClient:Arch:00007:UNDI:003001"), 93: {0, 7}},
			Client{PXE: true, HasArch: true, Arch: ArchX64UEFI, VendorClass: "PXEClient:Arch:00007:UNDI:003001"}},
		{"UEFI HTTP Boot", map[uint8][]byte{60: []byte("HTTPClient:Arch:00016:UNDI:003001"), 93: {0, 16}},
			Client{HTTP: true, HasArch: true, Arch: ArchX64HTTP, VendorClass: "HTTPClient:Arch:00016:UNDI:003001"}},
		{"arch from option 60 only", map[uint8][]byte{60: []byte("PXEClient:Arch:00011:UNDI:003000")},
			Client{PXE: true, HasArch: true, Arch: ArchARM64UEFI, VendorClass: "PXEClient:Arch:00011:UNDI:003000"}},
		{"RFC 3004 user class with iPXE", map[uint8][]byte{77: {4, 'i', 'P', 'X', 'E'}}, Client{IPXE: true}},
		{"option 175", map[uint8][]byte{175: {}}, Client{IPXE: true}},
		{"short UUID ignored", map[uint8][]byte{97: {0, 1, 2}}, Client{}},
		{"plain client", map[uint8][]byte{60: []byte("udhcp 1.35.0")}, Client{VendorClass: "udhcp 1.35.0"}},
	} {
		if diff := cmp.Diff(tc.want, Classify(tc.opts)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestArchMachine checks the fold over the whole registry: every HTTP Boot
// code lands on the PXE code whose name it carries after "http-", and no
// other code moves (but 9, which is x64 UEFI).
func TestArchMachine(t *testing.T) {
	t.Parallel()
	for _, a := range Arches() {
		want := a.Family()
		if a.HTTP() {
			twin, err := ParseArch(strings.TrimPrefix(a.String(), "http-"))
			if err != nil {
				t.Errorf("%s has no PXE twin named %q", a, strings.TrimPrefix(a.String(), "http-"))
				continue
			}
			want = twin.Family()
		}
		if got := a.Machine(); got != want {
			t.Errorf("%s (%d).Machine() = %s, want %s", a, a, got, want)
		}
	}
	if ArchARM64HTTP.Machine() != ArchARM64UEFI || Arch(200).Machine() != Arch(200) {
		t.Error("19 is not arm64 UEFI, or an unassigned code moved")
	}
}

func TestArchFamilyAndNames(t *testing.T) {
	t.Parallel()
	if ArchEBC.Family() != ArchX64UEFI || ArchX64UEFI.Family() != ArchX64UEFI {
		t.Error("7 and 9 are not both x64 UEFI")
	}
	for _, a := range Arches() {
		got, err := ParseArch(a.String())
		if err != nil || got != a {
			t.Errorf("ParseArch(%q) = %v, %v", a.String(), got, err)
		}
	}
	if a, err := ParseArch("7"); err != nil || a != ArchX64UEFI {
		t.Errorf("ParseArch(7) = %v, %v", a, err)
	}
	if _, err := ParseArch("efi-pdp11"); err == nil {
		t.Error("unknown name parsed")
	}
	if !ArchX64HTTP.HTTP() || ArchX64UEFI.HTTP() || Arch(200).String() != "arch-200" {
		t.Error("HTTP flag or unassigned name wrong")
	}
	if got := UUIDString([]byte("0123456789abcdef")); got != "30313233-3435-3637-3839-616263646566" {
		t.Errorf("UUIDString = %s", got)
	}
}

func TestTFTPURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		server, file, want string
	}{
		{"2001:db8:1::21", "debian-installer/amd64/grubx64.efi", "tftp://[2001:db8:1::21]/debian-installer/amd64/grubx64.efi"},
		{"192.168.1.21", "pxelinux.0", "tftp://192.168.1.21/pxelinux.0"},
		{"::ffff:192.168.1.21", "/pxelinux.0", "tftp://192.168.1.21/pxelinux.0"},
		{"fe80::21%br0", "grubx64.efi", "tftp://[fe80::21]/grubx64.efi"}, // the zone is pxed's, not the client's
		{"2001:db8:1::21", "tftp://[2001:db8:1::5]/x.efi", "tftp://[2001:db8:1::5]/x.efi"},
		{"2001:db8:1::21", "http://[2001:db8:1::5]:8080/x.efi", "http://[2001:db8:1::5]:8080/x.efi"},
		{"2001:db8:1::21", "", ""},
		{"", "pxelinux.0", ""},
	} {
		var server netip.Addr
		if tc.server != "" {
			server = netip.MustParseAddr(tc.server)
		}
		if got := TFTPURL(server, tc.file); got != tc.want {
			t.Errorf("TFTPURL(%s, %q) = %q, want %q", tc.server, tc.file, got, tc.want)
		}
	}
}

func TestHTTPBootURL(t *testing.T) {
	t.Parallel()
	server := netip.MustParseAddr("192.168.1.21")
	for _, tc := range []struct {
		file   string
		port   int
		secure bool
		want   string
	}{
		{"snponly.efi", 8080, false, "http://192.168.1.21:8080/snponly.efi"},
		{"snponly.efi", 8443, true, "https://192.168.1.21:8443/snponly.efi"},
		{"/efi/boot/bootx64.efi", 80, false, "http://192.168.1.21:80/efi/boot/bootx64.efi"},
		{"http://10.0.0.5/boot.efi", 0, true, "http://10.0.0.5/boot.efi"}, // a URL is given as it is
		{"HTTPS://boot.example.com/boot.efi", 8080, false, "HTTPS://boot.example.com/boot.efi"},
		{"snponly.efi", 0, false, ""}, // pxed serves no HTTP
		{"snponly.efi", 0, true, ""},  // nor HTTPS
		{"", 8080, false, ""},
	} {
		if got := HTTPBootURL(tc.file, server, tc.port, tc.secure); got != tc.want {
			t.Errorf("HTTPBootURL(%q, %d, %v) = %q, want %q", tc.file, tc.port, tc.secure, got, tc.want)
		}
	}
	// RFC 3986 §3.2.2: an IPv6 literal in brackets, without a zone.
	for _, tc := range []struct{ server, want string }{
		{"2001:db8:1::21", "http://[2001:db8:1::21]:8080/snponly.efi"},
		{"fe80::1%br0", "http://[fe80::1]:8080/snponly.efi"},
		{"::ffff:192.168.1.21", "http://192.168.1.21:8080/snponly.efi"},
	} {
		if got := HTTPBootURL("snponly.efi", netip.MustParseAddr(tc.server), 8080, false); got != tc.want {
			t.Errorf("HTTPBootURL on %s = %q, want %q", tc.server, got, tc.want)
		}
	}
	b := Boot{File: "pxelinux.0", Files: map[Arch]string{ArchX64UEFI: "grubx64.efi"}}
	if got := b.FileFor(ArchX64HTTP); got != "" {
		t.Errorf("HTTP Boot arch without an entry got %q, want none (not the PXE default)", got)
	}
	if got := b.FileFor(ArchEBC); got != "grubx64.efi" {
		t.Errorf("arch 9 got %q", got)
	}
}

// TestFileForSecureBootOff: iPXE goes to x64 UEFI PXE clients (7, and 9 of
// the same family) only when the machines are said to have Secure Boot off
// and pxed serves iPXE; unsaid, or for any other architecture, the
// configured loader stays.
func TestFileForSecureBootOff(t *testing.T) {
	t.Parallel()
	files := map[Arch]string{ArchX64UEFI: "shim.efi", ArchARM64UEFI: "grubaa64.efi", ArchX64HTTP: "http.efi"}
	for _, tc := range []struct {
		name string
		off  bool
		ipxe string
		arch Arch
		want string
	}{
		{"said off, x64 UEFI", true, "ipxe/x64.efi", ArchX64UEFI, "ipxe/x64.efi"},
		{"said off, arch 9", true, "ipxe/x64.efi", ArchEBC, "ipxe/x64.efi"},
		{"unsaid", false, "ipxe/x64.efi", ArchX64UEFI, "shim.efi"},
		{"said off, no iPXE served", true, "", ArchX64UEFI, "shim.efi"},
		{"said off, arm64", true, "ipxe/x64.efi", ArchARM64UEFI, "grubaa64.efi"},
		{"said off, BIOS", true, "ipxe/x64.efi", ArchBIOS, "pxelinux.0"},
		{"said off, x64 HTTP Boot", true, "ipxe/x64.efi", ArchX64HTTP, "http.efi"},
	} {
		b := Boot{File: "pxelinux.0", Files: files, SecureBootOff: tc.off, IPXE: tc.ipxe}
		if got := b.FileFor(tc.arch); got != tc.want {
			t.Errorf("%s: FileFor(%s) = %q, want %q", tc.name, tc.arch, got, tc.want)
		}
	}
}
