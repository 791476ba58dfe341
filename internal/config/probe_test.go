package config

import "testing"

// TestProbes: probing is on by default, off network-wide or per subnet,
// and never on a ProxyDHCP subnet.
func TestProbes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      []bool
	}{
		{"default", "dhcp:\n  subnets:\n    - {network: 10.0.0.0/24}\n    - {network: 10.0.1.0/24, proxy: true}\n", []bool{true, false}},
		{"off per subnet", "dhcp:\n  subnets:\n    - {network: 10.0.0.0/24, probe: false}\n    - {network: 10.0.1.0/24}\n", []bool{false, true}},
		{"off network-wide, on for one", "dhcp:\n  probe: {enabled: false}\n  subnets:\n    - {network: 10.0.0.0/24}\n    - {network: 10.0.1.0/24, probe: true}\n", []bool{false, true}},
	} {
		c, err := Parse("pxed.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.want {
			if got := c.Probes(i); got != want {
				t.Errorf("%s: Probes(%d) = %v, want %v", tc.name, i, got, want)
			}
		}
	}
}
