package config

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// peImage is the head of a PE32+ image for machine, with a certificate
// table holding one Authenticode (PKCS#7) entry when signed: what
// efiimage reads of Debian's shim and GRUB, or of iPXE's snponly.efi.
func peImage(machine uint16, signed bool) []byte {
	const lfanew, optSize = 0x40, 112 + 16*8
	b := make([]byte, lfanew+4+20+optSize)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], lfanew)
	copy(b[lfanew:], "PE\x00\x00")
	coff := b[lfanew+4:]
	binary.LittleEndian.PutUint16(coff[0:], machine)
	binary.LittleEndian.PutUint16(coff[16:], optSize)
	opt := coff[20:]
	binary.LittleEndian.PutUint16(opt[0:], 0x20b)
	binary.LittleEndian.PutUint16(opt[68:], 10) // EFI application
	binary.LittleEndian.PutUint32(opt[108:], 16)
	if signed {
		cert := make([]byte, 64)
		binary.LittleEndian.PutUint32(cert[0:], 64)
		binary.LittleEndian.PutUint16(cert[4:], 0x0200)
		binary.LittleEndian.PutUint16(cert[6:], 2)
		binary.LittleEndian.PutUint32(opt[112+4*8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(opt[112+4*8+4:], uint32(len(cert)))
		b = append(b, cert...)
	}
	return b
}

// loaderRoot is a TFTP root with a signed shim and GRUB for x64 and arm64,
// iPXE's unsigned snponly.efi, PXELINUX and a text stand-in.
func loaderRoot(t *testing.T) string {
	root := t.TempDir()
	files := map[string][]byte{
		"debian-installer/amd64/bootnetx64.efi":  peImage(0x8664, true),
		"debian-installer/amd64/grubx64.efi":     peImage(0x8664, true),
		"debian-installer/arm64/bootnetaa64.efi": peImage(0xaa64, true),
		"snponly.efi":                            peImage(0x8664, false),
		"pxelinux.0":                             []byte("\xfa\xfc pxelinux"),
		"stand-in.efi":                           []byte("not a boot program\n"),
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLoaders(t *testing.T) {
	t.Parallel()
	const head = `tftp: {root: ROOT}
http: {enabled: true, address: ":8080"}
dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
`
	const shim = "debian-installer/amd64/bootnetx64.efi"
	for _, c := range []struct {
		name string
		src  string // after head, from line 7
		want []string
	}{
		{"signed shim for a Secure Boot network, PXELINUX for BIOS", `boot:
  secure_boot: true
  file: pxelinux.0
  files: {efi-x64: ` + shim + `, efi-arm64: debian-installer/arm64/bootnetaa64.efi}
`, nil},
		{"unsigned iPXE for a Secure Boot network", `boot:
  secure_boot: true
  files:
    efi-x64: snponly.efi
`, []string{`pxed.yaml:10: UEFI loader "snponly.efi" for efi-x64 is not signed (its PE certificate table is empty; iPXE's builds, for one, are never signed), and machines with secure_boot on (line 8) are given it: their firmware refuses a loader that is not signed (UEFI Secure Boot); give them a signed one, such as Debian's shim (debian-installer/amd64/bootnetx64.efi), which loads the signed GRUB beside it`}},
		{"unsigned iPXE without Secure Boot", `boot:
  files: {efi-x64: snponly.efi, http-efi-x64: snponly.efi}
`, nil},
		{"a host may say false under a secure network; its neighbour may not", `hosts:
  - name: lab-ipxe
    mac: 00:00:00:00:00:01
    boot: {secure_boot: false, files: {efi-x64: snponly.efi}}
  - name: lab-secure
    mac: 00:00:00:00:00:02
    boot: {files: {efi-x64: snponly.efi}}
boot: {secure_boot: true, files: {efi-x64: ` + shim + `}}
`, []string{`pxed.yaml:13: UEFI loader "snponly.efi" for efi-x64 is not signed`}},
		{"a secure subnet beside one that is not", `    - network: 192.168.2.0/24
      boot: {secure_boot: true, files: {efi-x64: snponly.efi}}
boot: {files: {efi-x64: snponly.efi}}
`, []string{`pxed.yaml:8: UEFI loader "snponly.efi" for efi-x64 is not signed (its PE certificate table is empty; iPXE's builds, for one, are never signed), and machines with secure_boot on (line 8)`}},
		{"a secure host under a network that is not", `hosts:
  - name: secure
    mac: 00:00:00:00:00:01
    boot:
      secure_boot: true
boot:
  next_server: 192.168.1.21
  files: {http-efi-x64: "http://192.168.1.21:8080/snponly.efi"}
`, []string{`pxed.yaml:14: UEFI loader "/snponly.efi" for http-efi-x64 is not signed`}},
		{"a profile's loader, given to a secure host", `profiles:
  - name: rescue
    kernel: pxelinux.0
    loader: {files: {efi-x64: snponly.efi}}
  - name: unused
    kernel: pxelinux.0
    loader: {files: {efi-x64: snponly.efi}}
hosts:
  - name: a
    mac: 00:00:00:00:00:01
    boot: {profile: rescue, secure_boot: true}
`, []string{`pxed.yaml:10: UEFI loader "snponly.efi" for efi-x64 is not signed`}},
		{"netboot never boots no profile loader", `profiles:
  - name: rescue
    kernel: pxelinux.0
    loader: {files: {efi-x64: snponly.efi}}
hosts:
  - name: a
    mac: 00:00:00:00:00:01
    netboot: never
    boot: {profile: rescue}
boot:
  secure_boot: true
  files: {efi-x64: ` + shim + `}
`, nil},
		{"an unsigned file given to every architecture", `boot:
  secure_boot: true
  file: snponly.efi
`, []string{`pxed.yaml:9: boot file "snponly.efi" is not signed`}},
		{"a directory is said to be one, once", `boot:
  secure_boot: true
  files: {efi-x64: debian-installer}
`, []string{`pxed.yaml:9: UEFI loader "debian-installer" for efi-x64 is a directory`}},
		{"a stand-in that is no UEFI program", `boot:
  secure_boot: true
  files: {efi-x64: stand-in.efi}
`, []string{`pxed.yaml:9: UEFI loader "stand-in.efi" for efi-x64 is not a UEFI program (no PE header), and machines with secure_boot on (line 8)`}},
		{"a loader of the wrong architecture, Secure Boot or not", `boot:
  files:
    efi-arm64: ` + shim + `
    http-efi-x64: debian-installer/arm64/bootnetaa64.efi
    efi-x64: debian-installer/arm64/bootnetaa64.efi
`, []string{
			`pxed.yaml:9: UEFI loader "debian-installer/amd64/bootnetx64.efi" for efi-arm64 is built for AMD64 (x64) (PE machine 0x8664), not ARM64 (0xaa64): the firmware will not start it`,
			`pxed.yaml:10: UEFI loader "debian-installer/arm64/bootnetaa64.efi" for http-efi-x64 is built for ARM64 (PE machine 0xaa64), not AMD64 (x64) (0x8664): the firmware will not start it`,
			`pxed.yaml:11: UEFI loader "debian-installer/arm64/bootnetaa64.efi" for efi-x64 is built for ARM64`,
		}},
	} {
		root := loaderRoot(t)
		src := strings.ReplaceAll(head+c.src, "ROOT", root)
		cfg, err := Parse("pxed.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, p := range cfg.Validate() {
			got = append(got, p.Error())
		}
		// A want is the start of the message: the advice after it is the
		// same for every unsigned loader.
		if len(got) == len(c.want) {
			for i := range got {
				if strings.HasPrefix(got[i], c.want[i]) {
					got[i] = c.want[i]
				}
			}
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// secure_boot: false is written back, as it overrides an enclosing true.
func TestSecureBootWritten(t *testing.T) {
	t.Parallel()
	c, err := Parse("pxed.yaml", []byte("boot: {secure_boot: true}\nhosts:\n  - {name: a, mac: 00:00:00:00:00:01, boot: {secure_boot: false}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("out.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if b := back.Hosts[0].Boot; b == nil || b.SecureBoot == nil || *b.SecureBoot || back.Boot.SecureBoot == nil || !*back.Boot.SecureBoot {
		t.Errorf("secure_boot not kept:\n%s", out)
	}
}

// TestIPXEEFI: http.ipxe_efi, when named, is an absolute path to iPXE's x64
// UEFI build with what its script needs (HTTP, ipxe_script); off or unset
// is never a problem, and IPXEEFIFile gives the file only when it is used.
func TestIPXEEFI(t *testing.T) {
	t.Parallel()
	root := loaderRoot(t)
	const head = "tftp: {root: ROOT}\ndhcp: {enabled: false}\n"
	for _, c := range []struct {
		name, http string
		want       []string
		file       string
	}{
		{"named", `{enabled: true, ipxe_script: true, ipxe_efi: ROOT/snponly.efi}`, nil, "ROOT/snponly.efi"},
		{"off", `{enabled: true, ipxe_script: true, ipxe_efi: "off"}`, nil, ""},
		{"without ipxe_script", `{enabled: true, ipxe_efi: ROOT/snponly.efi}`,
			[]string{`pxed.yaml:3: ipxe_efi "ROOT/snponly.efi" is given so that iPXE fetches its script over HTTP, but http.enabled (with tftp on) or http.ipxe_script is off: turn them on, or set ipxe_efi: off`}, ""},
		{"relative", `{enabled: true, ipxe_script: true, ipxe_efi: snponly.efi}`,
			[]string{`pxed.yaml:3: ipxe_efi "snponly.efi" must be an absolute path on pxed's host (such as /usr/lib/ipxe/snponly.efi), or off`}, "snponly.efi"},
		{"missing", `{enabled: true, ipxe_script: true, ipxe_efi: ROOT/none.efi}`,
			[]string{`pxed.yaml:3: ipxe_efi: open ROOT/none.efi: no such file or directory (Debian's ipxe package installs /usr/lib/ipxe/snponly.efi)`}, "ROOT/none.efi"},
		{"not UEFI", `{enabled: true, ipxe_script: true, ipxe_efi: ROOT/stand-in.efi}`,
			[]string{`pxed.yaml:3: ipxe_efi "ROOT/stand-in.efi" is no UEFI image: `}, "ROOT/stand-in.efi"},
		{"arm64", `{enabled: true, ipxe_script: true, ipxe_efi: ROOT/debian-installer/arm64/bootnetaa64.efi}`,
			[]string{`pxed.yaml:3: ipxe_efi "ROOT/debian-installer/arm64/bootnetaa64.efi" is a UEFI image for ARM64, but x64 UEFI machines boot it`}, "ROOT/debian-installer/arm64/bootnetaa64.efi"},
	} {
		src := strings.ReplaceAll(head+"http: "+c.http+"\n", "ROOT", root)
		cfg, err := Parse("pxed.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, p := range cfg.Validate() {
			got = append(got, p.Error())
		}
		want := make([]string, len(c.want))
		for i, w := range c.want {
			want[i] = strings.ReplaceAll(w, "ROOT", root)
			if i < len(got) && strings.HasPrefix(got[i], want[i]) {
				got[i] = want[i]
			}
		}
		if len(want) == 0 {
			want = nil
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		if f, want := cfg.IPXEEFIFile(), strings.ReplaceAll(c.file, "ROOT", root); f != want {
			t.Errorf("%s: IPXEEFIFile() = %q, want %q", c.name, f, want)
		}
	}
}
