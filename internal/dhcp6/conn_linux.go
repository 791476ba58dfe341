package dhcp6

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// checkPlatform reports whether this system can serve DHCPv6: Linux can.
func checkPlatform() error { return nil }

// listenInterface opens the DHCPv6 server socket of one interface: UDP
// port 547 on [::], IPv6 only, bound to the device so that each interface
// has its own socket and replies to link-local addresses leave where the
// request came in.
func listenInterface(ifname string, port int) (*net.UDPConn, error) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	for _, o := range []struct{ level, opt, v int }{
		{unix.SOL_SOCKET, unix.SO_REUSEADDR, 1},
		{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1},
	} {
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.v); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("setsockopt: %w", err)
		}
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	if err := unix.BindToDevice(fd, ifname); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding to device %s: %w", ifname, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet6{Port: port}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding UDP port %d on %s: %w", port, ifname, err)
	}
	f := os.NewFile(uintptr(fd), "dhcp6-"+ifname)
	defer f.Close()
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}
