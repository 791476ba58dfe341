package pxe

import (
	"bytes"
	"testing"
)

// A key gives back the address it was made of, and addresses that differ
// only in length are different keys.
func TestMACKey(t *testing.T) {
	t.Parallel()
	mac := []byte{0x00, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	if got := KeyOf(mac).HardwareAddr(); !bytes.Equal(got, mac) {
		t.Fatalf("round trip: %v", got)
	}
	if KeyOf(mac) != KeyOf(append([]byte(nil), mac...)) {
		t.Error("equal addresses, different keys")
	}
	if KeyOf(mac) == KeyOf(append(mac[:6:6], 0)) {
		t.Error("a 7-byte address has the key of its 6-byte prefix")
	}
}
