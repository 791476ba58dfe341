//go:build !linux

package dhcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// checkPlatform reports that this system cannot serve DHCP. The server binds
// one socket to each interface (SO_BINDTODEVICE), so that replies leave
// where requests came in, and answers clients without an address through a
// packet socket (AF_PACKET, RFC 2131 §4.1); both are Linux's. The decision
// (Respond) and the rest of the package build and test everywhere.
func checkPlatform() error {
	return fmt.Errorf("serving DHCP needs Linux (SO_BINDTODEVICE, AF_PACKET), not %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// linkSender is never made here: newLinkSender fails.
type linkSender struct{}

func newLinkSender(int) (*linkSender, error) { return nil, checkPlatform() }

func (*linkSender) Close() error { return nil }

func (*linkSender) send(net.HardwareAddr, netip.AddrPort, netip.AddrPort, []byte) error {
	return checkPlatform()
}
