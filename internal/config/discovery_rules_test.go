package config

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rules"
)

func TestValidateDiscovery(t *testing.T) {
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
http: {enabled: true}
profiles:
  - name: debian-installer
    kernel: linux
discovery:
  boot: rules
  kernel: /boot/vmlinuz
  rules:
    - name: lab-by-serial
      match:
        mac: [52:54:00, 00-18-e7-42-84-3a]
        arch: [bios, efi-x64, "7"]
        vendor: QEMU
        product: "Standard PC*"
        serial: "PXED-[0-9]*"
        firmware: UEFI
        memory: 1GiB-4GiB
        disk: ">=8GiB"
      assign:
        hostname: "node-{{.Serial}}"
        ip: 192.168.1.120
        profile: debian-installer
        netboot: once
    - name: the-rest
      assign: {hostname: "m-{{.MAC}}", profile: local}
`,
		},
		{
			// The host a rule with an address adopted holds that address:
			// the catalog checks the rule against it again on every change.
			name: "the host a rule adopted has its address",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
hosts:
  - name: node-pxed-1
    mac: 52:54:00:00:00:01
    ip: 192.168.1.120
    rule: lab
discovery:
  rules:
    - name: lab
      assign: {hostname: "node-{{.Serial}}", ip: 192.168.1.120}
`,
		},
		{
			name: "off needs nothing",
			src: `dhcp: {enabled: false}
discovery: {boot: off}
`,
		},
		{
			name: "boot value and kernel",
			src: `dhcp: {enabled: false}
discovery:
  boot: some
`,
			want: []string{`pxed.yaml:3: discovery.boot "some": use off, all or rules`},
		},
		{
			name: "all without a kernel",
			src: `dhcp: {enabled: false}
discovery:
  boot: all
`,
			want: []string{`pxed.yaml:3: discovery.boot all needs discovery.kernel, the Linux kernel the discovery boot runs`},
		},
		{
			name: "rules without rules or kernel",
			src: `dhcp: {enabled: false}
discovery:
  boot: rules
`,
			want: []string{
				`pxed.yaml:3: discovery.boot rules needs discovery.kernel, the Linux kernel the discovery boot runs`,
				`pxed.yaml:3: discovery.boot rules has no discovery.rules: no machine would get the discovery boot`,
			},
		},
		{
			name: "names and templates",
			src: `dhcp: {enabled: false}
discovery:
  rules:
    - assign: {hostname: "a-{{.Serial}}"}
    - name: twice
      assign: {hostname: "b-{{.Serial}}"}
    - name: twice
      assign: {hostname: "c-{{.Serial}}"}
    - name: no-hostname
      match: {serial: "X*"}
    - name: bad-template
      assign:
        hostname: "node-{{.Hostname}}"
    - name: unclosed
      assign:
        hostname: "node-{{.Serial"
    - name: "by serial"
      assign: {hostname: "d-{{.Serial}}"}
`,
			want: []string{
				`pxed.yaml:4: discovery rule 1 has no name (hosts it adopts record it in hosts[].rule)`,
				`pxed.yaml:7: discovery rule "twice": the name is already used (line 5)`,
				`pxed.yaml:9: discovery rule "no-hostname" assign.hostname: has no assign.hostname (a template such as node-{{.Serial}})`,
				`pxed.yaml:13: discovery rule "bad-template" assign.hostname: hostname:1:7: executing "hostname" at <.Hostname>: map has no entry for key "Hostname" (names: Serial, Vendor, Product, UUID, MAC, Arch)`,
				`pxed.yaml:16: discovery rule "unclosed" assign.hostname: hostname:1: unclosed action`,
				`pxed.yaml:17: discovery rule "by serial": use letters, digits and hyphens in its name`,
			},
		},
		{
			name: "match fields, each at its line",
			src: `dhcp: {enabled: false}
discovery:
  rules:
    - name: bad
      match:
        mac:
          - 52:54:00
          - 52:54:zz
          - "52:54:00:*"
        arch: [bios, efi-x86]
        vendor: "Dell[*"
        product: "ok*"
        serial: "ends\\"
        firmware: efi
        memory: 4GiB
        disk: 2TB-1TB
      assign: {hostname: "x-{{.Serial}}"}
`,
			want: []string{
				`pxed.yaml:8: discovery rule "bad" match.mac[1]: MAC "52:54:zz": octet "zz" is not two hex digits`,
				`pxed.yaml:9: discovery rule "bad" match.mac[2]: MAC "52:54:00:*": octet "*" is not two hex digits`,
				`pxed.yaml:10: discovery rule "bad" match.arch[1]: unknown architecture "efi-x86" (use a name such as bios, efi-x64, efi-arm64, http-efi-x64, or the option 93 number)`,
				`pxed.yaml:11: discovery rule "bad" match.vendor: glob "Dell[*": a [ has no closing ]`,
				`pxed.yaml:13: discovery rule "bad" match.serial: glob "ends\\" ends in a lone \`,
				`pxed.yaml:14: discovery rule "bad" match.firmware: firmware "efi" is not bios or uefi`,
				`pxed.yaml:15: discovery rule "bad" match.memory: size range "4GiB" is not A-B, >=A or <=B (like 1GiB-4GiB, >=100GB)`,
				`pxed.yaml:16: discovery rule "bad" match.disk: size range "2TB-1TB" runs backwards (2TB is above 1TB)`,
			},
		},
		{
			name: "assign: profile, address, netboot",
			src: `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
hosts:
  - name: station-01
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
discovery:
  rules:
    - name: a
      assign:
        hostname: "a-{{.Serial}}"
        profile: nowhere
        ip: 192.168.1.101
        netboot: sometimes
    - name: b
      assign:
        hostname: "b-{{.Serial}}"
        ip: 192.168.1.160
        netboot: once
    - name: c
      assign:
        hostname: "c-{{.Serial}}"
        ip: 10.0.0.5
    - name: d
      assign:
        hostname: "d-{{.Serial}}"
        ip: 192.168.1.160
`,
			want: []string{
				`pxed.yaml:14: discovery rule "a" assigns profile "nowhere", which is not defined (profiles: or "local")`,
				`pxed.yaml:15: discovery rule "a" assigns IP 192.168.1.101, which host "station-01" has too (line 8)`,
				`pxed.yaml:16: discovery rule "a" netboot "sometimes": use always, once or never`,
				`pxed.yaml:20: discovery rule "b" IP 192.168.1.160 is inside the dynamic pool 192.168.1.150-192.168.1.199 (line 4)`,
				`pxed.yaml:21: discovery rule "b" netboot once needs the install callback, but web.address 127.0.0.1:9069 listens on loopback only and http is off: machines reach neither (enable http, which serves the callback)`,
				`pxed.yaml:25: discovery rule "c" IP 10.0.0.5 is in no configured subnet`,
				`pxed.yaml:29: discovery rule "d" assigns IP 192.168.1.160, which discovery rule "b" has too (line 20)`,
				`pxed.yaml:29: discovery rule "d" IP 192.168.1.160 is inside the dynamic pool 192.168.1.150-192.168.1.199 (line 4)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := validate(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscoveryAdopt(t *testing.T) {
	t.Parallel()
	src := `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
http: {enabled: true}
tftp: {enabled: false}
profiles:
  - name: debian-installer
    kernel: linux
discovery:
  rules:
    - name: big
      match: {memory: ">=64GiB"}
      assign: {hostname: "{{.Serial}}"}
    - name: lab
      match: {mac: [52:54:00], serial: "PXED-*"}
      assign:
        hostname: "node-{{.Serial}}"
        ip: 192.168.1.120
        profile: debian-installer
        netboot: once
`
	c, err := Parse("pxed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("Validate: %v", ps)
	}
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	inv := &inventory.Inventory{DMI: inventory.DMI{Serial: "PXED-0042"}, MemoryBytes: 1536 << 20}
	noSerial := &inventory.Inventory{MemoryBytes: 1536 << 20}
	other, _ := net.ParseMAC("00:18:e7:42:84:3a")

	type adoption struct {
		Result rules.Result
		Rule   string
		Host   Host
	}
	tests := []struct {
		name    string
		facts   rules.Facts
		want    adoption
		wantErr string
	}{
		{
			name:  "match makes the host",
			facts: rules.Facts{MAC: mac, Arch: pxe.ArchBIOS, HasArch: true, Inventory: inv},
			want: adoption{Result: rules.Match, Rule: "lab", Host: Host{
				Name: "node-pxed-0042", MAC: MAC{mac}, IP: Addr{netip.MustParseAddr("192.168.1.120")},
				Netboot: NetbootOnce, Boot: &Boot{Profile: "debian-installer"}, Rule: "lab",
			}},
		},
		{
			name:  "no inventory yet",
			facts: rules.Facts{MAC: mac},
			want:  adoption{Result: rules.NeedsInventory, Rule: "big"},
		},
		{
			name:  "no rule",
			facts: rules.Facts{MAC: other, Inventory: inv},
			want:  adoption{Result: rules.NoMatch},
		},
		{
			name:    "a name the facts cannot make",
			facts:   rules.Facts{MAC: mac, Inventory: &inventory.Inventory{DMI: inventory.DMI{Serial: " -/- "}, MemoryBytes: 1 << 40}},
			wantErr: `discovery rule "big": host name template "{{.Serial}}": " -/- " has no letter or digit to make a host name of`,
		},
		{
			name:  "no serial",
			facts: rules.Facts{MAC: mac, Inventory: noSerial},
			want:  adoption{Result: rules.NoMatch},
		},
	}
	for _, tt := range tests {
		a, err := c.Discovery.Adopt(tt.facts)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: Adopt = %+v, %v; want error %s", tt.name, a, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Adopt: %v", tt.name, err)
			continue
		}
		got := adoption{Result: a.Result, Host: a.Host}
		if a.Rule != nil {
			got.Rule = a.Rule.Name
		}
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b MAC) bool { return a.String() == b.String() }), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("%s: Adopt (-want +got):\n%s", tt.name, diff)
		}
	}
}
