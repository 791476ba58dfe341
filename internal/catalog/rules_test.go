package catalog

import (
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
)

// The first rule that matches a machine makes its host entry, from the
// machine's facts.
func TestAdoptByRules(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("pxed.yaml", []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp: {enabled: false}
profiles:
  - name: debian-installer
    kernel: linux
discovery:
  rules:
    - name: uefi-only
      match: {arch: [efi-x64], serial: "PXED-*"}
      assign: {hostname: "uefi-{{.Serial}}"}
    - name: lab-by-serial
      match: {serial: "PXED-*", memory: ">=1GiB"}
      assign: {hostname: "{{.Serial}}", profile: debian-installer}
`))
	if err != nil {
		t.Fatal(err)
	}
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("Validate: %v", config.JoinProblems(ps))
	}
	snap, err := Static(c)
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	machine := func(arch, serial string, mem uint64) Machine {
		return Machine{MAC: config.MAC{HardwareAddr: mac}, Arch: arch, Inventory: &inventory.Inventory{DMI: inventory.DMI{Serial: serial}, MemoryBytes: mem}}
	}
	type adoption struct {
		Name, Rule, Profile string
		OK                  bool
	}
	tests := []struct {
		name string
		m    Machine
		want adoption
	}{
		{"arch decides between rules", machine("efi-x64", "PXED-0042", 1536<<20), adoption{"uefi-pxed-0042", "uefi-only", "", true}},
		{"http boot is the same machine", machine("http-efi-x64", "PXED-0042", 1536<<20), adoption{"uefi-pxed-0042", "uefi-only", "", true}},
		{"bios falls to the next rule", machine("bios", "PXED-0042", 1536<<20), adoption{"pxed-0042", "lab-by-serial", "debian-installer", true}},
		{"no option 93", machine("", "PXED-0042", 1536<<20), adoption{"pxed-0042", "lab-by-serial", "debian-installer", true}},
		{"too little memory", machine("bios", "PXED-0042", 512<<20), adoption{}},
		{"other serial", machine("bios", "SN-1", 1536<<20), adoption{}},
		{"no inventory", Machine{MAC: config.MAC{HardwareAddr: mac}}, adoption{}},
		{"a serial with nothing to name", machine("bios", "PXED-", 1536<<20), adoption{"pxed", "lab-by-serial", "debian-installer", true}},
	}
	for _, tt := range tests {
		h, ok, err := snap.adopt(tt.m)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		got := adoption{Name: h.Name, Rule: h.Rule, OK: ok}
		if h.Boot != nil {
			got.Profile = h.Boot.Profile
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
		if ok && h.MAC.String() != mac.String() {
			t.Errorf("%s: host %+v does not have MAC %s", tt.name, h, mac)
		}
	}

	// A template that leaves nothing of this machine's facts adopts
	// nothing, and says why.
	c.Discovery.Rules[1].Assign.Hostname = "{{.Vendor}}"
	if snap, err = Static(c); err != nil {
		t.Fatal(err)
	}
	_, ok, err := snap.adopt(machine("bios", "PXED-0042", 1536<<20))
	if ok || err == nil || !strings.Contains(err.Error(), "has no letter or digit") {
		t.Errorf("adopt = %v, %v; want no adoption and why", ok, err)
	}
}
