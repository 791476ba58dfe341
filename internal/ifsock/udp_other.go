//go:build !linux

package ifsock

import (
	"errors"
	"fmt"
	"net"
	"runtime"
)

// ListenUDP fails: binding a socket to a device (SO_BINDTODEVICE) is
// Linux's.
func ListenUDP(Family, string, int, int) (*net.UDPConn, error) {
	return nil, fmt.Errorf("sockets bound to an interface need Linux (SO_BINDTODEVICE), not %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
