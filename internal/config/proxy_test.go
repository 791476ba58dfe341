package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateProxySubnet(t *testing.T) {
	c, err := Parse("p.yaml", []byte(`tftp:
  enabled: false
dhcp:
  subnets:
    - network: 192.168.1.0/24
      proxy: true
      pools: [192.168.1.150-192.168.1.199]
hosts:
  - name: a
    mac: 00:18:e7:42:84:3a
    ip: 192.168.1.101
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Validate() {
		got = append(got, p.Error())
	}
	want := []string{
		`p.yaml:7: subnet 192.168.1.0/24 is in proxy mode and has a pool: in proxy mode another DHCP server gives the addresses`,
		`p.yaml:11: host a has a fixed address in 192.168.1.0/24, which is in proxy mode: pxed gives no addresses there`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
