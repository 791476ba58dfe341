//go:build !linux

package dhcp6

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// checkPlatform reports that this system cannot serve DHCPv6: the server
// binds one socket to each interface (SO_BINDTODEVICE), Linux's. The
// decision (Respond) builds and tests everywhere.
func checkPlatform() error {
	return fmt.Errorf("serving DHCPv6 needs Linux (SO_BINDTODEVICE), not %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// neighbour knows no neighbour table here: see ClientMAC.
func neighbour(int, netip.Addr) net.HardwareAddr { return nil }
