package dhcp6

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// checkPlatform reports whether this system can serve DHCPv6: Linux can.
func checkPlatform() error { return nil }

// neighbour is the link-layer address the kernel's neighbour table holds
// for addr on the interface with index ifindex, nil when it holds none
// (or no valid one: an entry still resolving, or failed). One netlink
// RTM_GETNEIGH request for the one entry (Linux 4.20 and later), answered
// within 100 ms or not at all.
func neighbour(ifindex int, addr netip.Addr) net.HardwareAddr {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv) != nil {
		return nil
	}
	if unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}) != nil {
		return nil
	}
	dst := addr.WithZone("").As16()
	const attrLen = unix.SizeofRtAttr + 16
	req := make([]byte, unix.SizeofNlMsghdr+unix.SizeofNdMsg+attrLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.RTM_GETNEIGH)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(req[8:], 1) // sequence number
	nd := req[unix.SizeofNlMsghdr:]
	nd[0] = unix.AF_INET6
	ne.PutUint32(nd[4:], uint32(ifindex))
	at := nd[unix.SizeofNdMsg:]
	ne.PutUint16(at[0:], attrLen)
	ne.PutUint16(at[2:], unix.NDA_DST)
	copy(at[4:], dst[:])
	if unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}) != nil {
		return nil
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return nil
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWNEIGH || len(m.Data) < unix.SizeofNdMsg {
			continue // NLMSG_ERROR: no entry
		}
		return lladdr(m.Data[unix.SizeofNdMsg:])
	}
	return nil
}

// lladdr finds NDA_LLADDR among a neighbour message's attributes; the
// kernel puts it there only for an entry in a valid state.
func lladdr(attrs []byte) net.HardwareAddr {
	ne := binary.NativeEndian
	for len(attrs) >= unix.SizeofRtAttr {
		l := int(ne.Uint16(attrs))
		if l < unix.SizeofRtAttr || l > len(attrs) {
			return nil
		}
		if ne.Uint16(attrs[2:]) == unix.NDA_LLADDR {
			return net.HardwareAddr(bytes.Clone(attrs[unix.SizeofRtAttr:l]))
		}
		attrs = attrs[min((l+unix.NLA_ALIGNTO-1)&^(unix.NLA_ALIGNTO-1), len(attrs)):]
	}
	return nil
}
