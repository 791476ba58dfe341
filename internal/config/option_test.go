package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string // one option, in YAML flow form
		want []byte
	}{
		{"string", `{code: 12, string: station-01}`, []byte("station-01")},
		{"empty string", `{code: 12, string: ""}`, []byte{}},
		{"ip list", `{code: 42, ip: [192.168.1.1, 10.0.0.2]}`, []byte{192, 168, 1, 1, 10, 0, 0, 2}},
		{"hex", `{code: 43, hex: "0a1B2c"}`, []byte{0x0a, 0x1b, 0x2c}},
		{"hex with colons", `{code: 43, hex: "01:02:ff"}`, []byte{1, 2, 0xff}},
		{"hex with spaces", `{code: 43, hex: "01 02 ff"}`, []byte{1, 2, 0xff}},
		{"uint8", `{code: 23, uint8: 64}`, []byte{64}},
		{"uint16", `{code: 26, uint16: 1500}`, []byte{0x05, 0xdc}},
		{"uint32", `{code: 35, uint32: 3600}`, []byte{0, 0, 0x0e, 0x10}},
		{"bool true", `{code: 19, bool: true}`, []byte{1}},
		{"bool false", `{code: 19, bool: false}`, []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("pxed.yaml", []byte("hosts:\n  - options: ["+tt.src+"]\n"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Hosts[0].Options[0].Value()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Value() (-want +got):\n%s", diff)
			}
		})
	}
}
