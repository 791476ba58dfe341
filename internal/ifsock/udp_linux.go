package ifsock

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// ListenUDP opens UDP port on the wildcard address of family, bound to the
// interface ifname, with SO_REUSEADDR and a receive buffer of rcvbuf bytes
// (0: the system's default). A large buffer rides out bursts (a rack
// powering on, a disk sync that holds the workers): with the default
// 208 KiB about 150 DHCPv4 requests queue before the kernel drops them.
// SO_RCVBUFFORCE works with CAP_NET_ADMIN; without it the kernel caps the
// size at net.core.rmem_max.
func ListenUDP(family Family, ifname string, port, rcvbuf int) (*net.UDPConn, error) {
	domain, opts := unix.AF_INET, []struct{ level, opt, v int }{
		{unix.SOL_SOCKET, unix.SO_REUSEADDR, 1},
		{unix.SOL_SOCKET, unix.SO_BROADCAST, 1},
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: port}
	if family == IPv6 {
		domain, opts = unix.AF_INET6, []struct{ level, opt, v int }{
			{unix.SOL_SOCKET, unix.SO_REUSEADDR, 1},
			{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1},
		}
		sa = &unix.SockaddrInet6{Port: port}
	}
	fd, err := unix.Socket(domain, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	for _, o := range opts {
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.v); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("setsockopt: %w", err)
		}
	}
	if rcvbuf > 0 && unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
	if err := unix.BindToDevice(fd, ifname); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding to device %s: %w", ifname, err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding UDP port %d on %s: %w", port, ifname, err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("udp%d-%s", family, ifname))
	defer f.Close()
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil // a UDP socket's file gives a UDPConn
}
