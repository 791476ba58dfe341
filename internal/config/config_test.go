package config

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpConfig = []cmp.Option{
	cmpopts.IgnoreUnexported(Config{}),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func ptr[T any](v T) *T { return &v }

// defaultProbe is dhcp.probe when the file sets none of it.
var defaultProbe = Probe{Rate: DefaultProbeRate, Window: DefaultProbeWindow, Wait: Duration(DefaultProbeWait),
	FreshFor: Duration(DefaultProbeFreshFor), ConflictHold: Duration(DefaultProbeConflictHold),
	ReservationsEvery: Duration(DefaultProbeReservationsEvery)}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	got, err := Parse("pxed.yaml", []byte("# nothing set\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:    "pxed.yaml",
		DataDir: "/var/lib/pxed",
		Log:     Log{Level: "info", Format: "text"},
		DHCP: DHCP{
			LeaseTime:   Duration(12 * time.Hour),
			DeclineHold: Duration(10 * time.Minute),
			OfferHold:   Duration(30 * time.Second),
			Probe:       defaultProbe,
		},
		HTTP: HTTP{Address: ":8080"},
		Web:  Web{Address: DefaultWebAddress},
		TFTP: TFTP{
			Root:          "/srv/tftp",
			Address:       ":69",
			MaxBlockSize:  1468,
			MaxWindowSize: 64,
			MaxTransfers:  256,
			Timeout:       Duration(time.Second),
			Retries:       5,
		},
	}
	if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
		t.Errorf("Parse(empty) (-want +got):\n%s", diff)
	}
	if !On(got.DHCP.Enabled) || !On(got.TFTP.Enabled) {
		t.Errorf("DHCP and TFTP are on unless switched off")
	}
}

func TestParseKeepsSetValues(t *testing.T) {
	t.Parallel()
	src := `data_dir: /tmp/pxed
log: {level: debug, format: json}
dhcp:
  enabled: false
  lease_time: 3600
  decline_hold: 1m
  offer_hold: 5s
tftp:
  enabled: false
  root: /tftpboot
  address: 192.168.1.21:69
  max_block_size: 512
  max_window_size: 1
  max_transfers: 8
  timeout: 2s
  retries: 3
`
	got, err := Parse("pxed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:    "pxed.yaml",
		DataDir: "/tmp/pxed",
		Log:     Log{Level: "debug", Format: "json"},
		DHCP: DHCP{
			Enabled:     ptr(false),
			LeaseTime:   Duration(time.Hour),
			DeclineHold: Duration(time.Minute),
			OfferHold:   Duration(5 * time.Second),
			Probe:       defaultProbe,
		},
		HTTP: HTTP{Address: ":8080"},
		Web:  Web{Address: DefaultWebAddress},
		TFTP: TFTP{
			Enabled:       ptr(false),
			Root:          "/tftpboot",
			Address:       "192.168.1.21:69",
			MaxBlockSize:  512,
			MaxWindowSize: 1,
			MaxTransfers:  8,
			Timeout:       Duration(2 * time.Second),
			Retries:       3,
		},
	}
	if diff := cmp.Diff(want, got, cmpConfig...); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"misspelt key", "hosts:\n  - nmae: x\n", `pxed.yaml:2: unknown key "nmae"`},
		{"misspelt top-level key", "log: {level: info}\ntftp_root: /srv\n", `pxed.yaml:2: unknown key "tftp_root"`},
		{
			"every bad key and value at once",
			"hosts:\n  - mac: 00:00:00:00:00:01\n    nmae: x\n    ip: 1.2.3\ndhcp:\n  leasetime: 1h\n",
			"pxed.yaml:3: unknown key \"nmae\"\npxed.yaml:4: \"1.2.3\" is not an IPv4 address\npxed.yaml:6: unknown key \"leasetime\"",
		},
		{"duration", "dhcp:\n  lease_time: 12 hours\n", `pxed.yaml:2: "12 hours" is not a duration (like 12h, 30m, 90s)`},
		{"duration overflow", "tftp:\n  timeout: 99999999999999\n", `pxed.yaml:2: 99999999999999 seconds is too long a duration`},
		{"addr", "dhcp:\n  subnets:\n    - routers: [192.168.1.300]\n", `pxed.yaml:3: "192.168.1.300" is not an IPv4 address`},
		{"IPv6 addr", "boot:\n  next_server: \"::1\"\n", `pxed.yaml:2: "::1" is not an IPv4 address`},
		{"prefix", "dhcp:\n  subnets:\n    - network: 10.0.0.0/33\n", `pxed.yaml:3: "10.0.0.0/33" is not an IPv4 network like 192.168.1.0/24`},
		{"prefix host bits", "dhcp:\n  subnets:\n    - network: 192.168.1.1/24\n", `pxed.yaml:3: "192.168.1.1/24" has host bits set; the network is 192.168.1.0/24`},
		{"range", "dhcp:\n  subnets:\n    - pools: [10.0.0.9]\n", `pxed.yaml:3: "10.0.0.9" is not a range like 192.168.1.150-192.168.1.199`},
		{"range reversed", "dhcp:\n  subnets:\n    - pools: [10.0.0.9-10.0.0.1]\n", `pxed.yaml:3: range "10.0.0.9-10.0.0.1" ends before it starts`},
		{"MAC", "hosts:\n  - mac: 00:18:e7:42:84\n", `pxed.yaml:2: "00:18:e7:42:84" is not a MAC address like 00:18:e7:42:84:3a`},
		{"EUI-64 is not a MAC", "hosts:\n  - mac: 00:00:00:00:00:00:00:01\n", `pxed.yaml:2: "00:00:00:00:00:00:00:01" is not a MAC address like 00:18:e7:42:84:3a`},
		{"uint8 overflow", "hosts:\n  - options: [{code: 1, uint8: 300}]\n", "pxed.yaml:2: cannot unmarshal !!int `300` into uint8"},
		{"wrong shape", "dhcp: [1]\n", "pxed.yaml:1: cannot unmarshal !!seq into config.DHCP"},
		{"duplicate key", "log: {level: debug}\nlog: {level: info}\n", `pxed.yaml:2: mapping key "log" already defined at line 1`},
		{"syntax", "a: [\n", `pxed.yaml:1: did not find expected node content`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("pxed.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("Parse error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLine(t *testing.T) {
	t.Parallel()
	c, err := Parse("pxed.yaml", []byte(`hosts:
  - name: a
    mac: 00:00:00:00:00:01
  - name: b
    boot:
      files:
        efi-x64: x.efi
`))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"hosts":                       1,
		"hosts[0]":                    2,
		"hosts[0].mac":                3,
		"hosts[1].name":               4,
		"hosts[1].mac":                4, // absent: the enclosing host's line
		"hosts[1].boot.files.efi-x64": 7,
		"dhcp.subnets":                0,
	} {
		if got := c.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
}

// load reads a YAML file of testdata with its TFTP root pointed at a
// temporary directory holding files (as the --tftp-root flag does).
func load(t *testing.T, name string, files ...string) *Config {
	t.Helper()
	path := filepath.Join("testdata", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	c.TFTP.Root = tftpRoot(t, files...)
	return c
}

// tftpRoot makes a temporary TFTP root holding files.
func tftpRoot(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755)
		if err := os.WriteFile(filepath.Join(root, f), []byte("boot"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// lanFiles are the files testdata/lan.yaml names under the TFTP root.
var lanFiles = []string{"pxelinux.0", "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz", "debian-installer/amd64/grubx64.efi"}

func TestParseFile(t *testing.T) {
	t.Parallel()
	c := load(t, "lan.yaml", lanFiles...)
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("lan.yaml does not validate:\n%v", JoinProblems(ps))
	}
	mac := func(s string) MAC {
		m, err := net.ParseMAC(s)
		if err != nil {
			t.Fatal(err)
		}
		return MAC{m}
	}
	addr := func(s string) Addr { return Addr{netip.MustParseAddr(s)} }
	want := &Config{
		File:       filepath.Join("testdata", "lan.yaml"),
		Interfaces: []string{"br0"},
		DataDir:    DefaultDataDir,
		Log:        Log{Level: "info", Format: "text"},
		DHCP: DHCP{
			Authoritative: true,
			LeaseTime:     Duration(12 * time.Hour),
			DeclineHold:   Duration(DefaultDeclineHold),
			OfferHold:     Duration(DefaultOfferHold),
			Probe:         defaultProbe,
			Subnets: []Subnet{{
				Network:    Prefix{netip.MustParsePrefix("192.168.1.0/24")},
				DomainName: "test.lan",
				Pools:      []Range{{netip.MustParseAddr("192.168.1.150"), netip.MustParseAddr("192.168.1.199")}},
			}},
		},
		HTTP: HTTP{Enabled: true, Address: ":8080"},
		Web:  Web{Address: DefaultWebAddress},
		TFTP: TFTP{
			Enabled: ptr(true), Root: c.TFTP.Root, Address: ":69",
			MaxBlockSize: DefaultMaxBlockSize, MaxWindowSize: DefaultMaxWindowSize, MaxTransfers: DefaultMaxTransfers,
			Timeout: Duration(DefaultTFTPTimeout), Retries: DefaultTFTPRetries,
		},
		Boot: Boot{
			NextServer: addr("192.168.1.21"), File: "pxelinux.0", Profile: "debian-installer",
			Files: map[string]string{"efi-x64": "debian-installer/amd64/grubx64.efi"},
		},
		Profiles: []Profile{{
			Name: "debian-installer", Kernel: "debian-installer/amd64/linux", Initrd: []string{"debian-installer/amd64/initrd.gz"},
			Cmdline: "console=ttyS0,115200 console=tty0 priority=critical ---",
		}},
		Hosts: []Host{
			{Name: "station-01", MAC: mac("00:18:e7:42:84:3a"), IP: addr("192.168.1.101")},
			{Name: "station-02", MAC: mac("00:18:e7:42:85:21"), IP: addr("192.168.1.102")},
			{Name: "station-03", MAC: mac("00:18:e7:42:7a:3e"), IP: addr("192.168.1.103")},
		},
		IPv6: IPv6{RouterAdvertisement: []string{"br0"}},
	}
	if diff := cmp.Diff(want, c, cmpConfig...); diff != "" {
		t.Errorf("lan.yaml (-want +got):\n%s", diff)
	}
}

func TestValidateMissingBootFile(t *testing.T) {
	t.Parallel()
	c := load(t, "lan.yaml", lanFiles[1:]...)
	var got []string
	for _, p := range c.Validate() {
		got = append(got, p.Error())
	}
	want := []string{filepath.Join("testdata", "lan.yaml") + `:` + strconv.Itoa(c.Line("boot.file")) + `: boot file "pxelinux.0" is not in the TFTP root ` + c.TFTP.Root}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
	if c.Line("boot.file") == 0 {
		t.Error("lan.yaml has no boot.file line")
	}
}

// TestExamplesValidate is a test of the examples, not of the package: every
// examples/*.yaml must validate once the files it names are in the TFTP
// root.
func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(path, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		c.TFTP.Root = tftpRoot(t, namedFiles(c)...)
		// A root image lives outside the boot root (examples/diskless.yaml
		// names /srv/diskless/ram.tar): a directory stands in for it.
		for i := range c.Profiles {
			if c.Profiles[i].Image != "" {
				c.Profiles[i].Image = t.TempDir()
			}
		}
		if ps := c.Validate(); len(ps) > 0 {
			t.Errorf("%s does not validate:\n%v", path, JoinProblems(ps))
		}
	}
}

// namedFiles lists the files of the boot root that c names: boot files
// everywhere, and the profiles' kernels and initrds.
func namedFiles(c *Config) []string {
	var files []string
	boot := func(b *Boot) {
		if b == nil {
			return
		}
		if b.File != "" {
			files = append(files, b.File)
		}
		for _, f := range b.Files {
			files = append(files, f)
		}
	}
	boot(&c.Boot)
	for i := range c.DHCP.Subnets {
		boot(c.DHCP.Subnets[i].Boot)
	}
	for i := range c.Hosts {
		boot(c.Hosts[i].Boot)
	}
	for _, p := range c.Profiles {
		boot(p.Loader)
		files = append(append(files, p.Kernel), p.Initrd...)
		for _, e := range p.Arch {
			files = append(append(files, e.Kernel), e.Initrd...)
		}
	}
	return files
}

// TestIPv6ExampleIsSeed: examples/ipv6.yaml is the reference network of
// examples/seed.yaml on IPv6 only: the same profiles, UEFI loaders and
// stations (names and MACs), each reserved an ip6 of the DHCPv6 prefix,
// and no IPv4 address anywhere.
func TestIPv6ExampleIsSeed(t *testing.T) {
	t.Parallel()
	read := func(path string) *Config {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(path, data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	seed, six := read("../../examples/seed.yaml"), read("../../examples/ipv6.yaml")
	if diff := cmp.Diff(seed.Profiles, six.Profiles); diff != "" {
		t.Errorf("profiles differ (-seed.yaml +ipv6.yaml):\n%s", diff)
	}
	if diff := cmp.Diff(seed.Boot.Files, six.Boot.Files); diff != "" {
		t.Errorf("UEFI loaders differ (-seed.yaml +ipv6.yaml):\n%s", diff)
	}
	if len(six.DHCP.Subnets) != 0 || six.Boot.NextServer.IsValid() {
		t.Error("ipv6.yaml has IPv4 subnets or a next_server")
	}
	if len(six.DHCP6.Subnets) != 1 || six.DHCP6.Subnets[0].Prefix.String() != "2001:db8:1::/64" {
		t.Fatalf("ipv6.yaml dhcp6 subnets %+v, want 2001:db8:1::/64", six.DHCP6.Subnets)
	}
	if len(six.Hosts) != len(seed.Hosts) {
		t.Fatalf("ipv6.yaml has %d hosts, seed.yaml %d", len(six.Hosts), len(seed.Hosts))
	}
	for i, h := range six.Hosts {
		s := seed.Hosts[i]
		want := netip.MustParseAddr("2001:db8:1::" + strconv.Itoa(101+i))
		if h.Name != s.Name || h.MAC.String() != s.MAC.String() || h.IP6.Addr != want || h.IP.IsValid() {
			t.Errorf("ipv6.yaml host %d: %s %s ip %v ip6 %v, want %s %s ip6 %s only", i, h.Name, h.MAC, h.IP, h.IP6, s.Name, s.MAC, want)
		}
	}
}
