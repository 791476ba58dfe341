package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validate parses src as pxed.yaml and returns its problems as printed.
// Unless src configures tftp, TFTP is switched off (by a line appended at the
// end, so line numbers in src stay as written). ROOT in src and in the
// expected messages stands for a TFTP root holding pxelinux.0, efi/grubx64.efi
// and the directory efi/.
func validate(t *testing.T, src string) (got []string, root string) {
	t.Helper()
	root = t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "efi"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pxelinux.0", "efi/grubx64.efi"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("boot"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src = strings.ReplaceAll(src, "ROOT", root)
	if !strings.Contains(src, "tftp:") {
		src += "tftp: {enabled: false}\n"
	}
	c, err := Parse("pxed.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, p := range c.Validate() {
		got = append(got, p.Error())
	}
	return got, root
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "clean",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
      routers: [192.168.1.1]
      domain_name: test.lan
      options:
        - {code: 42, ip: [192.168.1.1]}
hosts:
  - name: station-01.test.lan
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
    options:
      - {code: 3, ip: [192.168.1.254]}
`,
		},
		{
			name: "postgres store without dsn",
			src: `store:
  postgres: {}
dhcp: {enabled: false}
`,
			want: []string{"pxed.yaml:2: store.postgres needs a dsn (e.g. dsn: \"host=/run/postgresql dbname=pxed\")"},
		},
		{
			name: "postgres dsn that does not parse",
			src: `store:
  postgres:
    dsn: "postgres://pxed@db:notaport/pxed"
dhcp: {enabled: false}
`,
			want: []string{"pxed.yaml:3: store.postgres.dsn: cannot parse `postgres://pxed@db:notaport/pxed`: invalid port"},
		},
		{
			name: "postgres store",
			src: `store:
  postgres:
    dsn: "host=/run/postgresql dbname=pxed user=pxed"
dhcp: {enabled: false}
`,
		},
		{
			name: "same MAC in another case",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
hosts:
  - name: a
    mac: 00:18:e7:42:84:3a
  - name: b
    mac: 00-18-E7-42-84-3A
`,
			want: []string{`pxed.yaml:8: host "b" has the same MAC 00:18:e7:42:84:3a as host "a" (line 6)`},
		},
		{
			name: "same IP",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
hosts:
  - name: a
    mac: 00:00:00:00:00:01
    ip: 192.168.1.10
  - name: b
    mac: 00:00:00:00:00:02
    ip: 192.168.1.10
`,
			want: []string{`pxed.yaml:10: host "b" has the same IP 192.168.1.10 as host "a" (line 7)`},
		},
		{
			name: "fixed IP outside subnets, in a pool, network and broadcast address",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools:
        - 192.168.1.150-192.168.1.199
hosts:
  - {name: a, mac: "00:00:00:00:00:01", ip: 10.0.0.1}
  - {name: b, mac: "00:00:00:00:00:02", ip: 192.168.1.150}
  - {name: c, mac: "00:00:00:00:00:03", ip: 192.168.1.0}
  - {name: d, mac: "00:00:00:00:00:04", ip: 192.168.1.255}
`,
			want: []string{
				`pxed.yaml:7: host "a" IP 10.0.0.1 is in no configured subnet`,
				`pxed.yaml:8: host "b" IP 192.168.1.150 is inside the dynamic pool 192.168.1.150-192.168.1.199 (line 5)`,
				`pxed.yaml:9: host "c" IP 192.168.1.0 is the network address of subnet 192.168.1.0/24`,
				`pxed.yaml:10: host "d" IP 192.168.1.255 is the broadcast address of subnet 192.168.1.0/24`,
			},
		},
		{
			name: "pools",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools:
        - 192.168.1.100-192.168.1.199
        - 192.168.1.150-192.168.1.160
        - 192.168.2.1-192.168.2.9
        - 192.168.1.0-192.168.1.9
        - 192.168.1.250-192.168.1.255
`,
			want: []string{
				`pxed.yaml:6: pool 192.168.1.150-192.168.1.160 overlaps pool 192.168.1.100-192.168.1.199 (line 5)`,
				`pxed.yaml:7: pool 192.168.2.1-192.168.2.9 is not inside subnet 192.168.1.0/24`,
				`pxed.yaml:8: pool 192.168.1.0-192.168.1.9 contains the network address 192.168.1.0 of subnet 192.168.1.0/24`,
				`pxed.yaml:9: pool 192.168.1.250-192.168.1.255 contains the broadcast address 192.168.1.255 of subnet 192.168.1.0/24`,
			},
		},
		{
			name: "a pool larger than the allocator indexes",
			src: `dhcp:
  subnets:
    - network: 10.0.0.0/7
      pools:
        - 10.0.0.1-10.255.255.255
        - 11.0.0.0-11.255.255.254
    - network: 12.0.0.0/6
      pools: [12.0.0.1-13.0.0.1]
`,
			want: []string{
				`pxed.yaml:8: pool 12.0.0.1-13.0.0.1 holds more than 16777216 addresses, the most one pool may hold: split it or make it smaller`,
			},
		},
		{
			name: "a /31 has no network or broadcast address (RFC 3021)",
			src: `dhcp:
  subnets:
    - network: 10.0.0.0/31
      pools: [10.0.0.0-10.0.0.1]
`,
		},
		{
			name: "host matching and netboot",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
hosts:
  - name: batch
    macs: ["00:18:e7:*", "00:18:e7:42:84:3a", "00:18:zz:*", "00:18"]
  - name: by-uuid
    uuid: 8A1B7C2E-0000-4000-8000-00000000002A
    netboot: never
  - name: bad-uuid
    uuid: 8a1b7c2e
    netboot: sometimes
  - name: once-unreachable
    mac: 00:18:e7:00:00:09
    netboot: once
  - name: same-uuid
    uuid: 8a1b7c2e-0000-4000-8000-00000000002a
  - name: glob-ip
    macs: ["52:54:00:*"]
    ip: 192.168.1.77
`,
			want: []string{
				`pxed.yaml:6: host "batch": MAC glob "00:18:zz:*" may hold only hex digits, ':', '-', '*' and '?'`,
				`pxed.yaml:6: host "batch": "00:18" is not a MAC address like 00:18:e7:42:84:3a, nor a glob like 00:18:e7:*`,
				`pxed.yaml:11: host "bad-uuid" uuid "8a1b7c2e" is not a UUID like 8a1b7c2e-0000-4000-8000-00000000002a`,
				`pxed.yaml:12: host "bad-uuid" netboot "sometimes": use always, once or never`,
				`pxed.yaml:15: host "once-unreachable" netboot once needs the install callback, but web.address 127.0.0.1:9069 listens on loopback only and http is off: machines reach neither (enable http, which serves the callback)`,
				`pxed.yaml:17: host "same-uuid" has the same uuid as host "by-uuid" (line 8)`,
				`pxed.yaml:20: host "glob-ip" matches MACs by glob and has a fixed ip: every machine it matches would get 192.168.1.77`,
			},
		},
		{
			name: "profile templates",
			src: `profiles:
  - name: a
    kernel: k
    cmdline: "hostname={{.Hostname}} url={{.CallbackURL}}"
  - name: b
    kernel: k
    cmdline: "hostname={{.Hostnme}}"
  - name: c
    kernel: k
    cmdline: "x={{.MAC"
  - name: d
    kernel: k
    root_path: "{{.Server}}:/srv/diskless/{{.Hostname}}"
    cmdline: "nfsroot={{.RootPath}}"
  - name: e
    kernel: k
    root_path: "{{.RootPath}}/x"
  - name: f
    kernel: k
    root_path: "{{.Server}:/x"
tftp:
  enabled: false
dhcp:
  enabled: false
`,
			want: []string{
				`pxed.yaml:7: profile "b" cmdline: cmdline:1:11: executing "cmdline" at <.Hostnme>: map has no entry for key "Hostnme" (facts: MAC, IP, Hostname, Server, ServerHost, Arch, Console, UUID, HTTPBase, CallbackURL, RootPath, MachineID, Agent, LogHost, LogPort)`,
				`pxed.yaml:10: profile "c" cmdline: cmdline:1: unclosed action`,
				`pxed.yaml:17: profile "e" root_path: cmdline:1:2: executing "cmdline" at <.RootPath>: map has no entry for key "RootPath" (facts: MAC, IP, Hostname, Server, ServerHost, Arch, Console, UUID, HTTPBase, CallbackURL, MachineID, Agent, LogHost, LogPort)`,
				`pxed.yaml:20: profile "f" root_path: cmdline:1: bad character U+007D '}'`,
			},
		},
		{
			name: "host names",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
hosts:
  - mac: 00:00:00:00:00:01
  - name: ""
    mac: 00:00:00:00:00:02
  - name: -station
    mac: 00:00:00:00:00:03
  - name: station_04
    mac: 00:00:00:00:00:04
  - name: a..b
    mac: 00:00:00:00:00:05
  - name: ` + strings.Repeat("x", 64) + `
    mac: 00:00:00:00:00:06
  - name: Station-07
    mac: 00:00:00:00:00:07
  - name: station-07
    mac: 00:00:00:00:00:08
  - name: nomac
`,
			want: []string{
				`pxed.yaml:5: host has no name`,
				`pxed.yaml:6: host has no name`,
				`pxed.yaml:8: host name "-station" is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)`,
				`pxed.yaml:10: host name "station_04" is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)`,
				`pxed.yaml:12: host name "a..b" is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)`,
				`pxed.yaml:14: host name "` + strings.Repeat("x", 64) + `" is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)`,
				`pxed.yaml:18: host name "station-07" is already used (line 16)`,
				`pxed.yaml:20: host "nomac" has no mac, macs or uuid to be recognised by`,
			},
		},
		{
			name: "boot files under the TFTP root",
			src: `tftp:
  root: ROOT
dhcp:
  subnets:
    - network: 192.168.1.0/24
      boot:
        file: /pxelinux.0
        files:
          efi-x64: efi/grubx64.efi
          efi-arm64: efi/grubaa64.efi
          http-efi-x64: http://192.168.1.21/boot.efi
          efi-ia32: efi
          bios: ../etc/passwd
hosts:
  - name: a
    mac: 00:00:00:00:00:01
    boot:
      file: http://192.168.1.21/ipxe.efi
  - name: b
    mac: 00:00:00:00:00:02
    boot: {file: lpxelinux.0}
boot:
  file: pxelinux.0
  files:
    efi-x64: syslinux.efi
`,
			want: []string{
				`pxed.yaml:10: UEFI loader "efi/grubaa64.efi" for efi-arm64 is not in the TFTP root ROOT`,
				`pxed.yaml:12: UEFI loader "efi" for efi-ia32 is a directory`,
				`pxed.yaml:13: boot file "../etc/passwd" is outside the TFTP root`,
				`pxed.yaml:21: boot file "lpxelinux.0" is not in the TFTP root ROOT`,
				`pxed.yaml:25: UEFI loader "syslinux.efi" for efi-x64 is not in the TFTP root ROOT`,
			},
		},
		{
			name: "UEFI HTTP Boot files: paths and URLs of pxed's own HTTP server",
			src: `tftp:
  root: ROOT
http:
  enabled: true
  address: ":8080"
dhcp:
  subnets:
    - network: 192.168.1.0/24
      boot:
        next_server: 192.168.1.21
        files:
          http-efi-x64: efi/grubx64.efi
          http-efi-arm64: efi/grubaa64.efi
          http-efi-ia32: http://192.168.1.21:8080/efi/missing.efi
          http-efi-arm32: http://192.168.1.21:8080/efi/grubx64.efi
          http-efi-riscv64: http://192.168.1.99:8080/elsewhere.efi
          http-efi-riscv32: http://192.168.1.21/other-server-port.efi
          http-efi-loongarch64: http://127.0.0.1:8080/efi
          http-bios: "http://[::1"
`,
			want: []string{
				`pxed.yaml:13: HTTP Boot file "efi/grubaa64.efi" for http-efi-arm64 is not in the TFTP root ROOT`,
				`pxed.yaml:14: HTTP Boot URL "http://192.168.1.21:8080/efi/missing.efi" for http-efi-ia32 names /efi/missing.efi, which is not in the TFTP root ROOT`,
				`pxed.yaml:18: HTTP Boot URL "http://127.0.0.1:8080/efi" for http-efi-loongarch64 names /efi, which is a directory`,
				`pxed.yaml:19: HTTP Boot URL "http://[::1" for http-bios is not a URL with a host`,
			},
		},
		{
			name: "UEFI HTTP Boot path while pxed serves no HTTP",
			src: `tftp:
  root: ROOT
dhcp:
  subnets:
    - network: 192.168.1.0/24
boot:
  files:
    http-efi-x64: efi/grubx64.efi
`,
			want: []string{
				`pxed.yaml:8: HTTP Boot file "efi/grubx64.efi" for http-efi-x64 is a path of the boot root, but pxed serves no HTTP (http.enabled, with tftp on): give an http:// URL or turn http on`,
			},
		},
		{
			name: "http_image: HTTP off, a URL, a loader that is no EFI program",
			src: `tftp:
  root: ROOT
dhcp:
  subnets:
    - network: 192.168.1.0/24
      boot:
        http_image: true
        files:
          http-efi-x64: efi/grubx64.efi
          http-efi-arm64: http://192.168.1.21:8080/grubaa64.efi
`,
			want: []string{
				`pxed.yaml:7: http_image needs pxed's HTTP server, which serves the images: turn http.enabled on (with tftp on)`,
				`pxed.yaml:9: HTTP Boot file "efi/grubx64.efi" for http-efi-x64 is a path of the boot root, but pxed serves no HTTP (http.enabled, with tftp on): give an http:// URL or turn http on`,
				`pxed.yaml:10: HTTP Boot file "http://192.168.1.21:8080/grubaa64.efi" for http-efi-arm64 is a URL, but http_image builds an image around a file of the boot root: give its path`,
			},
		},
		{
			name: "http_image around a file that is no EFI program",
			src: `tftp:
  root: ROOT
http:
  enabled: true
dhcp:
  subnets:
    - network: 192.168.1.0/24
boot:
  http_image: true
  files:
    http-efi-x64: efi/grubx64.efi
`,
			want: []string{
				`pxed.yaml:11: HTTP Boot file "efi/grubx64.efi" for http-efi-x64 cannot go in an http_image: efi/grubx64.efi: not a PE/COFF image`,
			},
		},
		{
			name: "HTTPS boot without an HTTPS server, and TLS settings that cannot work",
			src: `tftp:
  root: ROOT
http:
  enabled: true
  address: ":8080"
  tls:
    address: ":8080"
    cert: /etc/pxed/boot.pem
dhcp:
  subnets:
    - network: 192.168.1.0/24
      boot:
        https: true
`,
			want: []string{
				`pxed.yaml:6: http.tls.cert and http.tls.key go together: give both, or neither for a certificate pxed makes`,
				`pxed.yaml:7: http.tls.address ":8080" is http.address too: HTTPS needs a port of its own`,
			},
		},
		{
			name: "boot.https needs http.tls.address",
			src: `tftp:
  root: ROOT
http:
  enabled: true
dhcp:
  subnets:
    - network: 192.168.1.0/24
boot:
  https: true
  files:
    http-efi-x64: efi/grubx64.efi
`,
			want: []string{
				`pxed.yaml:9: https is on, but pxed serves no HTTPS: set http.tls.address (with http.enabled and tftp on)`,
			},
		},
		{
			name: "HTTPS boot",
			src: `tftp:
  root: ROOT
http:
  enabled: true
  tls: {address: ":8443"}
dhcp:
  subnets:
    - network: 192.168.1.0/24
boot:
  https: true
  files:
    http-efi-x64: efi/grubx64.efi
    http-efi-arm64: https://127.0.0.1:8443/efi/grubx64.efi
`,
		},
		{
			name: "missing TFTP root",
			src: `tftp:
  root: ROOT/nowhere
boot:
  file: missing.0
dhcp: {enabled: false}
`,
			want: []string{`pxed.yaml:2: tftp root ROOT/nowhere does not exist`},
		},
		{
			name: "TFTP root is a file",
			src: `tftp:
  root: ROOT/pxelinux.0
dhcp: {enabled: false}
`,
			want: []string{`pxed.yaml:2: tftp root ROOT/pxelinux.0 is not a directory`},
		},
		{
			name: "boot files are not checked when TFTP is off",
			src: `tftp:
  enabled: false
  root: ROOT/nowhere
boot:
  file: missing.0
dhcp: {enabled: false}
`,
		},
		{
			name: "architectures",
			src: `dhcp: {enabled: false}
boot:
  files:
    x86: a.0
    efi-x64: b.efi
    "7": c.efi
    "9": d.efi
    bios: ""
`,
			want: []string{
				`pxed.yaml:4: unknown architecture "x86" (use a name such as bios, efi-x64, efi-arm64, http-efi-x64, or the option 93 number)`,
				`pxed.yaml:5: architecture efi-x64 is given twice, as "7" and "efi-x64"`,
				`pxed.yaml:8: boot file for bios is empty`,
			},
		},
		{
			name: "option codes",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      options:
        - {code: 0, uint8: 1}
        - {code: 255, uint8: 1}
        - {code: 53, uint8: 1}
        - {code: 1, ip: [255.255.255.0]}
        - {code: 3, ip: [192.168.1.1]}
        - {code: 67, string: pxelinux.0}
        - {code: 42, ip: [192.168.1.1]}
        - {code: 42, ip: [192.168.1.2]}
hosts:
  - name: a
    mac: 00:00:00:00:00:01
    options:
      - {code: 6, ip: [192.168.1.53]}
      - {code: 54, ip: [192.168.1.21]}
`,
			want: []string{
				`pxed.yaml:5: option code 0 is outside 1..254`,
				`pxed.yaml:6: option code 255 is outside 1..254`,
				`pxed.yaml:7: option 53 (DHCP message type) is set by pxed itself`,
				`pxed.yaml:8: option 1 (subnet mask) is derived from the subnet's network`,
				`pxed.yaml:9: option 3 (routers) has its own field: use routers`,
				`pxed.yaml:10: option 67 (boot file name) is set by pxed itself: use boot.file or boot.files`,
				`pxed.yaml:12: option 42 is given twice (line 11)`,
				`pxed.yaml:18: option 54 (server identifier) is set by pxed itself`,
			},
		},
		{
			name: "option values",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      options:
        - code: 224
        - code: 225
          string: a
          hex: "01"
        - code: 226
          hex: 0x1g
        - code: 227
          string: ` + strings.Repeat("a", 256) + `
        - code: 228
          ip: [` + strings.TrimSuffix(strings.Repeat("10.0.0.1,", 64), ",") + `]
        - code: 229
          string: ` + strings.Repeat("a", 255) + `
        - code: 230
          hex: "01:02 03"
`,
			want: []string{
				`pxed.yaml:5: option 224 has no value: set one of string, ip, hex, uint8, uint16, uint32 or bool`,
				`pxed.yaml:6: option 225 sets string and hex: set exactly one value`,
				`pxed.yaml:10: option 226: hex value "0x1g" does not parse: write pairs of hex digits, optionally separated by colons or spaces`,
				`pxed.yaml:12: option 227 value is 256 bytes; a DHCP option holds at most 255`,
				`pxed.yaml:14: option 228 value is 256 bytes; a DHCP option holds at most 255`,
			},
		},
		{
			name: "no subnets while DHCP is on; no interfaces is fine",
			src: `interfaces: []
log: {level: debug}
`,
			want: []string{`pxed.yaml: dhcp is enabled but has no subnets: add dhcp.subnets, or set dhcp.enabled: false`},
		},
		{
			name: "no subnets, dhcp section present",
			src: `dhcp:
  authoritative: true
`,
			want: []string{`pxed.yaml:1: dhcp is enabled but has no subnets: add dhcp.subnets, or set dhcp.enabled: false`},
		},
		{
			name: "no subnets while DHCP is off",
			src: `dhcp: {enabled: false}
`,
		},
		{
			name: "duplicate and overlapping subnets",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
    - network: 10.0.0.0/8
    - network: 192.168.1.0/24
    - network: 10.1.0.0/16
    - domain_name: x.lan
`,
			want: []string{
				`pxed.yaml:5: subnet 192.168.1.0/24 is given twice (line 3)`,
				`pxed.yaml:6: subnet 10.1.0.0/16 overlaps subnet 10.0.0.0/8 (line 4)`,
				`pxed.yaml:7: subnet has no network`,
			},
		},
		{
			name: "subnet fields",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      routers: [192.168.1.1, 192.168.2.1]
      broadcast_address: 192.168.2.255
      domain_name: test_lan
      lease_time: -1h
`,
			want: []string{
				`pxed.yaml:4: router 192.168.2.1 is not in subnet 192.168.1.0/24`,
				`pxed.yaml:5: broadcast_address 192.168.2.255 is not in subnet 192.168.1.0/24`,
				`pxed.yaml:6: domain_name "test_lan" is not a valid domain name`,
				`pxed.yaml:7: lease_time -1h0m0s is negative`,
			},
		},
		{
			name: "dhcp durations",
			src: `dhcp:
  lease_time: 2000000h
  decline_hold: -1s
  offer_hold: -5s
  subnets:
    - network: 192.168.1.0/24
`,
			want: []string{
				`pxed.yaml:2: lease_time 2000000h0m0s is longer than DHCP can carry (1193046h28m14s)`,
				`pxed.yaml:3: decline_hold must be positive, not -1s`,
				`pxed.yaml:4: offer_hold must be positive, not -5s`,
			},
		},
		{
			name: "probe settings",
			src: `dhcp:
  probe:
    rate: -1
    window: 5000
    wait: 20s
    fresh_for: -1s
    conflict_hold: -2m
    reservations_every: 10ms
  subnets:
    - network: 192.168.1.0/24
      probe: false
`,
			want: []string{
				`pxed.yaml:3: probe rate -1 must be between 0 and 10000 probes per second per link (0: the default, 50)`,
				`pxed.yaml:4: probe window 5000 must be between 1 and 4096 addresses per pool (0: the default, 64)`,
				`pxed.yaml:5: probe wait 20s must be positive and at most 10s`,
				`pxed.yaml:6: fresh_for must be positive, not -1s`,
				`pxed.yaml:7: conflict_hold must be positive, not -2m0s`,
				`pxed.yaml:8: reservations_every 10ms must be at least 1s`,
			},
		},
		{
			name: "probe fresh_for shorter than the wait",
			src: `dhcp:
  probe: {wait: 2s, fresh_for: 1s}
  subnets:
    - network: 192.168.1.0/24
`,
			want: []string{`pxed.yaml:2: fresh_for 1s must be longer than the probe wait 2s`},
		},
		{
			name: "unknown user",
			src: `user: pxed-no-such-user
dhcp:
  subnets:
    - network: 192.168.1.0/24
`,
			want: []string{`pxed.yaml:1: user "pxed-no-such-user": user: unknown user pxed-no-such-user`},
		},
		{
			name: "existing user",
			src: `user: nobody
dhcp:
  subnets:
    - network: 192.168.1.0/24
`,
		},
		{
			name: "rate limit and relays",
			src: `dhcp:
  rate_global: -1
  trusted_relays:
    - 192.168.1.1
    - 0.0.0.0
    - 224.0.0.1
    - 192.168.1.1
  subnets:
    - network: 192.168.1.0/24
`,
			want: []string{
				`pxed.yaml:2: rate_global -1 must be 0 (no global limit) or a positive number of requests per second`,
				`pxed.yaml:5: trusted relay 0.0.0.0 is not a unicast address a relay agent could put in giaddr`,
				`pxed.yaml:6: trusted relay 224.0.0.1 is not a unicast address a relay agent could put in giaddr`,
				`pxed.yaml:7: trusted relay 192.168.1.1 is listed twice (line 4)`,
			},
		},
		{
			name: "workers",
			src: `dhcp:
  workers: 70000
  subnets:
    - network: 192.168.1.0/24
`,
			want: []string{`pxed.yaml:2: workers 70000 must be between 1 and 65536 (0: the default, 1024)`},
		},
		{
			name: "workers in range",
			src: `dhcp:
  workers: 4096
  subnets:
    - network: 192.168.1.0/24
`,
		},
		{
			name: "tftp limits and log",
			src: `dhcp: {enabled: false}
tftp:
  enabled: false
  max_block_size: 7
  max_window_size: 65536
  max_transfers: -1
  timeout: -1s
  retries: -2
  address: "69"
log:
  level: verbose
  format: xml
`,
			want: []string{
				`pxed.yaml:4: tftp.max_block_size 7 is outside 8..65464 (RFC 2348)`,
				`pxed.yaml:5: tftp.max_window_size 65536 is outside 1..65535 (RFC 7440)`,
				`pxed.yaml:6: tftp.max_transfers must be at least 1, not -1`,
				`pxed.yaml:7: tftp.timeout must be positive, not -1s`,
				`pxed.yaml:8: tftp.retries must be at least 1, not -2`,
				`pxed.yaml:9: tftp.address "69" is not HOST:PORT (like :69 or 192.168.1.21:69)`,
				`pxed.yaml:11: log level "verbose" is not one of debug, info, warn, error`,
				`pxed.yaml:12: log format "xml" is not text or json`,
			},
		},
		{
			name: "tftp limits at the edges",
			src: `dhcp: {enabled: false}
tftp:
  enabled: false
  max_block_size: 65465
  max_window_size: 65535
  address: "192.168.1.21:0"
`,
			want: []string{
				`pxed.yaml:4: tftp.max_block_size 65465 is outside 8..65464 (RFC 2348)`,
				`pxed.yaml:6: tftp.address "192.168.1.21:0" has no valid port (1..65535)`,
			},
		},
		{
			name: "problems come in file order whatever the section order",
			src: `tftp:
  enabled: false
  max_window_size: 70000
hosts:
  - name: bad_name
    mac: 00:00:00:00:00:01
dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.2.1-192.168.2.2]
log:
  level: loud
`,
			want: []string{
				`pxed.yaml:3: tftp.max_window_size 70000 is outside 1..65535 (RFC 7440)`,
				`pxed.yaml:5: host name "bad_name" is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)`,
				`pxed.yaml:10: pool 192.168.2.1-192.168.2.2 is not inside subnet 192.168.1.0/24`,
				`pxed.yaml:12: log level "loud" is not one of debug, info, warn, error`,
			},
		},
		{
			name: "profiles: undefined, twice, built-in name, no kernel",
			src: `dhcp:
  enabled: false
tftp:
  enabled: false
boot:
  profile: rescue
profiles:
  - name: installer
    kernel: linux
  - name: installer
    kernel: linux
  - name: local
    kernel: x
  - name: nokernel
hosts:
  - name: a
    mac: 00:18:e7:42:84:3a
    boot: {profile: local}
`,
			want: []string{
				`pxed.yaml:6: profile "rescue" is not defined (profiles: or "local")`,
				`pxed.yaml:10: profile "installer" is defined twice`,
				`pxed.yaml:12: profile name "local" is built in (it boots the local disk)`,
				`pxed.yaml:14: profile "nokernel" has no kernel`,
			},
		},
		{
			name: "profiles: per-architecture entries and consoles",
			src: `dhcp:
  enabled: false
profiles:
  - name: multi
    kernel: pxelinux.0
    cmdline: console={{.Console}} ---
    console: ttyS1,9600
    arch:
      efi-arm64:
        kernel: efi/grubx64.efi
        initrd: [efi/missing.gz]
        console: ttyAMA0
      http-efi-x64:
        kernel: pxelinux.0
      efi-pdp11:
        kernel: pxelinux.0
      efi-bc:
        kernel: pxelinux.0
      efi-x64:
        initrd: [pxelinux.0]
        console: console=ttyS0
      bios:
        kernel: pxelinux.0
        cmdline: "x={{.Consol}}"
        console: "tty S0"
  - name: unused-console
    kernel: pxelinux.0
    cmdline: quiet
    console: ttyS0
    arch:
      efi-arm64: {kernel: pxelinux.0, console: ttyAMA0}
      efi-riscv64: {kernel: pxelinux.0, cmdline: "console={{.Console}}", console: ttyS0}
tftp:
  root: ROOT
`,
			want: []string{
				`pxed.yaml:11: boot file "efi/missing.gz" is not in the TFTP root ROOT`,
				`pxed.yaml:13: profile "multi": write efi-x64, not http-efi-x64: the efi-x64 entry serves http-efi-x64 machines too`,
				`pxed.yaml:15: profile "multi": unknown architecture "efi-pdp11" (use a name such as bios, efi-x64, efi-arm64, http-efi-x64, or the option 93 number)`,
				`pxed.yaml:17: profile "multi": write efi-x64, not efi-bc: the efi-x64 entry serves efi-bc machines too`,
				`pxed.yaml:19: profile "multi" has no kernel for efi-x64`,
				`pxed.yaml:21: profile "multi" console for efi-x64 "console=ttyS0": write the device alone (ttyS0); the command line says console={{.Console}}`,
				`pxed.yaml:24: profile "multi" cmdline for bios: cmdline:1:4: executing "cmdline" at <.Consol>: map has no entry for key "Consol" (facts: MAC, IP, Hostname, Server, ServerHost, Arch, Console, UUID, HTTPBase, CallbackURL, RootPath, MachineID, Agent, LogHost, LogPort)`,
				`pxed.yaml:25: profile "multi" console for bios "tty S0": one device such as ttyAMA0 or ttyS0,115200, without spaces or quotes`,
				`pxed.yaml:29: profile "unused-console" sets a console, but its cmdline never names {{.Console}}: the setting would do nothing`,
				`pxed.yaml:31: profile "unused-console" sets a console for efi-arm64, but its cmdline never names {{.Console}}: the setting would do nothing`,
			},
		},
		{
			name: "proxy subnet with a pool, a fixed address, authoritative",
			src: `tftp:
  enabled: false
dhcp:
  subnets:
    - network: 192.168.1.0/24
      proxy: true
      pools: [192.168.1.150-192.168.1.199]
    - network: 192.168.2.0/24
      proxy: true
      authoritative: true
    - network: 192.168.3.0/24
      proxy: true
      authoritative: false
hosts:
  - name: a
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
`,
			want: []string{
				`pxed.yaml:7: subnet 192.168.1.0/24 is in proxy mode and has a pool: in proxy mode another DHCP server gives the addresses`,
				`pxed.yaml:10: subnet 192.168.2.0/24 is in proxy mode: pxed gives no addresses there and so NAKs none (leave authoritative out)`,
				`pxed.yaml:17: host a has a fixed address in 192.168.1.0/24, which is in proxy mode: pxed gives no addresses there`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, root := validate(t, tt.src)
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "ROOT", root))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{"pxed.yaml", 7, "host has no name"}, "pxed.yaml:7: host has no name"},
		{Problem{"pxed.yaml", 0, "dhcp is enabled"}, "pxed.yaml: dhcp is enabled"},
		{Problem{"", 3, "x"}, "line 3: x"},
		{Problem{"", 0, "x"}, "x"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestJoinProblems(t *testing.T) {
	t.Parallel()
	if err := JoinProblems(nil); err != nil {
		t.Errorf("JoinProblems(nil) = %v, want nil", err)
	}
	err := JoinProblems([]Problem{{"a.yaml", 1, "one"}, {"a.yaml", 2, "two"}})
	if got, want := err.Error(), "a.yaml:1: one\na.yaml:2: two"; got != want {
		t.Errorf("JoinProblems = %q, want %q", got, want)
	}
}

// A Config built in code has no file or lines; its problems still read
// sensibly.
func TestValidateBuiltInCode(t *testing.T) {
	t.Parallel()
	c, err := Parse("", nil)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	c.TFTP.Enabled = &off
	c.Hosts = []Host{{Name: "a b"}}
	var got []string
	for _, p := range c.Validate() {
		got = append(got, p.Error())
	}
	want := []string{
		"dhcp is enabled but has no subnets: add dhcp.subnets, or set dhcp.enabled: false",
		`host name "a b" is not a valid hostname (labels of letters, digits and inner hyphens, at most 63 long, separated by dots)`,
		`host "a b" has no mac, macs or uuid to be recognised by`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate() (-want +got):\n%s", diff)
	}
}
