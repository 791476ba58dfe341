package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateProfiles(t *testing.T) {
	c, err := Parse("p.yaml", []byte(`dhcp:
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
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Validate() {
		got = append(got, p.Error())
	}
	want := []string{
		`p.yaml:6: profile "rescue" is not defined (profiles: or "local")`,
		`p.yaml:10: profile "installer" is defined twice`,
		`p.yaml:12: profile name "local" is built in (it boots the local disk)`,
		`p.yaml:14: profile "nokernel" has no kernel`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if p, ok := c.ProfileByName("local"); !ok || p.Name != "local" || !strings.EqualFold(p.Kernel, "") {
		t.Errorf("built-in local profile: %+v, %v", p, ok)
	}
}
