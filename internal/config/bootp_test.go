package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBOOTPValidate: bootp: dynamic needs a pool, a proxy subnet answers
// no BOOTP client, each problem at the line of the subnet's bootp.
func TestBOOTPValidate(t *testing.T) {
	t.Parallel()
	got, _ := validate(t, `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
      bootp: dynamic
    - network: 192.168.2.0/24
      bootp: dynamic
    - network: 192.168.3.0/24
      proxy: true
      bootp: dynamic
    - network: 192.168.4.0/24
      bootp: reserved
    - network: 192.168.5.0/24
      proxy: true
      bootp: off
`)
	want := []string{
		"pxed.yaml:7: subnet 192.168.2.0/24 has bootp: dynamic but no pool to give BOOTP clients addresses from: add pools, or use bootp: reserved",
		"pxed.yaml:10: subnet 192.168.3.0/24 is in proxy mode: pxed gives no addresses there, to BOOTP clients neither (leave bootp: dynamic out)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestBOOTPParse: the three words and nothing else, the default reserved,
// and the YAML writer leaves the default out.
func TestBOOTPParse(t *testing.T) {
	t.Parallel()
	_, err := Parse("pxed.yaml", []byte("dhcp:\n  subnets:\n    - network: 10.0.0.0/8\n      bootp: sometimes\n"))
	if err == nil || !strings.Contains(err.Error(), "pxed.yaml:4:") || !strings.Contains(err.Error(), "off, reserved") {
		t.Errorf("bootp: sometimes: %v", err)
	}
	c, err := Parse("pxed.yaml", []byte("dhcp:\n  subnets:\n    - network: 10.0.0.0/8\n    - network: 10.1.0.0/16\n      bootp: off\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DHCP.Subnets[0].BOOTP != BOOTPReserved || c.DHCP.Subnets[1].BOOTP != BOOTPOff {
		t.Errorf("bootp %v, %v; want reserved, off", c.DHCP.Subnets[0].BOOTP, c.DHCP.Subnets[1].BOOTP)
	}
	y, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(y), "bootp:") != 1 || !strings.Contains(string(y), `bootp: "off"`) {
		t.Errorf("YAML:\n%s", y)
	}
}
