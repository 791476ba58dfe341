package draft

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/efiimage"
	"github.com/pxed/pxed/internal/pxe"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// debianRoot is what FindLoaders reports of a root holding Debian 12's
// amd64 and arm64 netboot trees and iPXE's UEFI build.
var debianRoot = []Loader{
	{Path: "debian-installer/amd64/bootnetx64.efi", Arch: pxe.ArchX64UEFI},
	{Path: "debian-installer/amd64/grubx64.efi", Arch: pxe.ArchX64UEFI},
	{Path: "debian-installer/amd64/pxelinux.0", Arch: pxe.ArchBIOS},
	{Path: "debian-installer/arm64/bootnetaa64.efi", Arch: pxe.ArchARM64UEFI},
	{Path: "debian-installer/arm64/grubaa64.efi", Arch: pxe.ArchARM64UEFI},
	{Path: "pxelinux.0", Arch: pxe.ArchBIOS},
	{Path: "snponly.efi", Arch: pxe.ArchX64UEFI},
}

func TestBuild(t *testing.T) {
	lab := Facts{
		Interface:   "br0",
		Addr:        netip.MustParsePrefix("192.168.1.21/24"),
		Gateway:     netip.MustParseAddr("192.168.1.1"),
		Neighbours:  addrs("192.168.1.1", "192.168.1.50", "192.168.1.200", "10.0.0.7"),
		Nameservers: addrs("127.0.0.53", "192.168.1.1", "2001:db8::53"),
		Loaders:     debianRoot,
		TFTPRoot:    "/srv/lab/tftp",
	}
	with := func(edit func(*Facts)) Facts {
		f := lab
		edit(&f)
		return f
	}
	for _, tc := range []struct {
		name      string
		facts     Facts
		proxy     bool
		yaml      string
		notes     []string // each a substring of one note, in order
		wantError string
	}{{
		name: "no DHCP server: pxed gives addresses from the largest free run, cut to half the subnet",
		// In use: .1 (gateway, neighbour), .21 (this host), .50, .200.
		// The largest free run is .51-.199 (149 addresses); a pool
		// holds at most 127 of a /24's 254, the run's upper end.
		facts: lab,
		yaml: `interfaces: [br0]
dhcp:
  authoritative: true
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.73-192.168.1.199]
      routers: [192.168.1.1]
      dns_servers: [192.168.1.1]
tftp:
  root: /srv/lab/tftp
boot:
  file: pxelinux.0
  files:
    efi-arm64: debian-installer/arm64/bootnetaa64.efi
    efi-x64: debian-installer/amd64/bootnetx64.efi
`,
		notes: []string{"no DHCP server answered on br0: writing a config in which pxed gives the addresses, pool 192.168.1.73-192.168.1.199 (4 address(es) seen in use"},
	}, {
		name: "a DHCP server answered: ProxyDHCP, no pool, router or DNS of pxed's own",
		facts: with(func(f *Facts) {
			f.Offer = &Offer{Server: netip.MustParseAddr("192.168.1.1"), Offered: netip.MustParseAddr("192.168.1.57")}
		}),
		proxy: true,
		yaml: `interfaces: [br0]
dhcp:
  subnets:
    - network: 192.168.1.0/24
      proxy: true
tftp:
  root: /srv/lab/tftp
boot:
  file: pxelinux.0
  files:
    efi-arm64: debian-installer/arm64/bootnetaa64.efi
    efi-x64: debian-installer/amd64/bootnetx64.efi
`,
		notes: []string{
			"a DHCP server at 192.168.1.1 answered (offered 192.168.1.57): writing a ProxyDHCP config; pxed will add boot information only",
			"behind ProxyDHCP, GRUB (debian-installer/amd64/bootnetx64.efi, debian-installer/arm64/bootnetaa64.efi) may not find its config",
		},
	}, {
		name: "gateway off the subnet, only the local resolver, nothing seen, no loaders, default root",
		facts: Facts{
			Interface:   "eno1",
			Addr:        netip.MustParsePrefix("10.20.0.5/28"),
			Gateway:     netip.MustParseAddr("10.99.0.1"),
			Nameservers: addrs("127.0.0.53"),
		},
		// .1-.14 are the hosts; .5 is this host. The larger run,
		// .6-.14 (9), is cut to 7, half of 14.
		yaml: `interfaces: [eno1]
dhcp:
  authoritative: true
  subnets:
    - network: 10.20.0.0/28
      pools: [10.20.0.8-10.20.0.14]
`,
		notes: []string{
			"pool 10.20.0.8-10.20.0.14 (1 address(es)",
			"resolv.conf names only 127.0.0.53, a resolver on this host that other machines cannot reach: no dns_servers written",
			"no boot program found under the TFTP root",
		},
	}, {
		name:  "a proxy on a /31 needs no pool",
		facts: Facts{Interface: "p2p0", Addr: netip.MustParsePrefix("10.0.0.0/31"), Offer: &Offer{Offered: netip.MustParseAddr("10.0.0.1")}},
		proxy: true,
		yaml: `interfaces: [p2p0]
dhcp:
  subnets:
    - network: 10.0.0.0/31
      proxy: true
`,
		notes: []string{"a DHCP server answered (offered 10.0.0.1)", "no boot program"},
	}, {
		name:      "a /31 has no room for a pool",
		facts:     Facts{Interface: "p2p0", Addr: netip.MustParsePrefix("10.0.0.0/31")},
		wantError: "10.0.0.0/31 is too small for a pool of addresses",
	}, {
		name:      "no IPv4 address",
		facts:     Facts{Interface: "wg0"},
		wantError: "wg0 has no IPv4 address",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Build(tc.facts)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("Build: error %v, want one saying %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Proxy != tc.proxy {
				t.Errorf("Proxy = %v, want %v", d.Proxy, tc.proxy)
			}
			y, err := d.Config.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.yaml, string(y)); diff != "" {
				t.Errorf("YAML (-want +got):\n%s", diff)
			}
			if len(d.Notes) != len(tc.notes) {
				t.Fatalf("notes %q, want %d", d.Notes, len(tc.notes))
			}
			for i, want := range tc.notes {
				if !strings.Contains(d.Notes[i], want) {
					t.Errorf("note %d = %q, want it to say %q", i, d.Notes[i], want)
				}
			}
		})
	}
}

func TestPool(t *testing.T) {
	for _, tc := range []struct {
		network, want string
		used          []netip.Addr
		n             int
		wantError     string
	}{
		{network: "192.168.1.0/24", want: "192.168.1.128-192.168.1.254"},
		// The network and broadcast addresses are never handed out,
		// used or not; addresses of other networks do not count.
		{network: "192.168.1.0/24", used: addrs("192.168.1.0", "192.168.1.255", "192.168.2.7"), n: 2, want: "192.168.1.128-192.168.1.254"},
		// The low run is the larger one: its upper 127.
		{network: "192.168.1.0/24", used: addrs("192.168.1.150", "192.168.1.254", "192.168.1.150"), n: 2, want: "192.168.1.23-192.168.1.149"},
		{network: "192.168.1.0/29", used: addrs("192.168.1.4"), n: 1, want: "192.168.1.1-192.168.1.3"},
		// Two runs of one size: the higher.
		{network: "192.168.1.0/29", used: addrs("192.168.1.1", "192.168.1.4"), n: 2, want: "192.168.1.5-192.168.1.6"},
		{network: "192.168.1.0/30", used: addrs("192.168.1.1"), n: 1, want: "192.168.1.2-192.168.1.2"},
		{network: "192.168.1.0/30", used: addrs("192.168.1.1", "192.168.1.2"), n: 2, wantError: "every address of 192.168.1.0/30 is in use"},
		{network: "10.0.0.0/16", used: addrs("10.0.0.1"), n: 1, want: "10.0.128.0-10.0.255.254"},
		{network: "10.0.0.0/32", wantError: "too small"},
	} {
		got, n, err := Pool(netip.MustParsePrefix(tc.network), tc.used)
		if tc.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("Pool(%s, %v): %v, %v; want an error saying %q", tc.network, tc.used, got, err, tc.wantError)
			}
			continue
		}
		if err != nil || got.String() != tc.want || n != tc.n {
			t.Errorf("Pool(%s, %v) = %v, %d, %v; want %s, %d", tc.network, tc.used, got, n, err, tc.want, tc.n)
		}
	}
}

func TestNameservers(t *testing.T) {
	conf := `# Generated by NetworkManager
search lab.example
nameserver 192.168.1.1
nameserver   2001:db8::53
nameserver fe80::1%eth0
nameserver not-an-address
nameserver
options edns0
nameserver 127.0.0.53
`
	if diff := cmp.Diff(addrs("192.168.1.1", "2001:db8::53", "127.0.0.53"), Nameservers([]byte(conf)), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("Nameservers (-want +got):\n%s", diff)
	}
}

// pe32plus is the smallest PE32+ header debug/pe reads: a DOS header
// pointing at the PE signature, a COFF header of the machine without
// sections, an optional header with 16 data directories.
func pe32plus(machine efiimage.Machine) []byte {
	const lfanew, optSize = 0x40, 112 + 16*8
	b := make([]byte, lfanew+4+20+optSize)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], lfanew)
	copy(b[lfanew:], "PE\x00\x00")
	coff := b[lfanew+4:]
	binary.LittleEndian.PutUint16(coff[0:], uint16(machine))
	binary.LittleEndian.PutUint16(coff[16:], optSize)
	opt := coff[20:]
	binary.LittleEndian.PutUint16(opt[0:], 0x20b)
	binary.LittleEndian.PutUint16(opt[68:], 10) // EFI application
	binary.LittleEndian.PutUint32(opt[108:], 16)
	return b
}

func TestFindLoaders(t *testing.T) {
	x64, arm64 := pe32plus(efiimage.MachineAMD64), pe32plus(efiimage.MachineARM64)
	root := fstest.MapFS{
		"pxelinux.0":                            {Data: []byte("PXELINUX")},
		"pxelinux.cfg/default":                  {Data: []byte("default install")},
		"debian-installer/amd64/bootnetx64.efi": {Data: x64},
		"debian-installer/amd64/linux":          {Data: []byte("kernel")},
		"debian-installer/arm64/grubaa64.efi":   {Data: arm64},
		"ipxe/snponly.efi":                      {Data: x64},
		"ipxe/undionly.kpxe":                    {Data: []byte("iPXE")},
		"EFI/BOOT/BOOTAA64.EFI":                 {Data: arm64},
		"broken/grubx64.efi":                    {Data: []byte("not a PE image")},
		"a/b/c/d/e/pxelinux.0":                  {Data: []byte("too deep")},
		"a/b/c/d/lpxelinux.0":                   {Data: []byte("deep enough")},
		"debian-installer/amd64/grub/grub.cfg":  {Data: []byte("menuentry")},
	}
	got, err := FindLoaders(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Loader{
		{Path: "EFI/BOOT/BOOTAA64.EFI", Arch: pxe.ArchARM64UEFI},
		{Path: "a/b/c/d/lpxelinux.0", Arch: pxe.ArchBIOS},
		{Path: "debian-installer/amd64/bootnetx64.efi", Arch: pxe.ArchX64UEFI},
		{Path: "debian-installer/arm64/grubaa64.efi", Arch: pxe.ArchARM64UEFI},
		{Path: "ipxe/snponly.efi", Arch: pxe.ArchX64UEFI},
		{Path: "ipxe/undionly.kpxe", Arch: pxe.ArchBIOS},
		{Path: "pxelinux.0", Arch: pxe.ArchBIOS},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindLoaders (-want +got):\n%s", diff)
	}
}
