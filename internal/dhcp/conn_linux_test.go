package dhcp

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHtons: the protocol of a sockaddr_ll lies in memory in network byte
// order (08 00 for IPv4) on a host of either byte order.
func TestHtons(t *testing.T) {
	t.Parallel()
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], htons(unix.ETH_P_IP))
	if b != [2]byte{0x08, 0x00} {
		t.Errorf("htons(ETH_P_IP) lies in memory as % x, want 08 00", b)
	}
}
