package httpboot

import (
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// segmentSizes reads the connection's current send MSS and the MSS the
// server advertises on its path (TCP_INFO's tcpi_snd_mss, tcpi_advmss),
// both as the MSS option counts them: without TCP options. The kernel's
// send MSS leaves room for the timestamp option when the connection uses
// it (tcp_mtu_to_mss), which GRUB's does not.
func segmentSizes(c net.Conn) (sent, adv uint32, err error) {
	sc, err := syscallConn(c)
	if err != nil {
		return 0, 0, err
	}
	var info *unix.TCPInfo
	var serr error
	if err := sc.Control(func(fd uintptr) {
		info, serr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		return 0, 0, err
	}
	if serr != nil {
		return 0, 0, fmt.Errorf("reading TCP_INFO: %w", serr)
	}
	sent = info.Snd_mss
	if info.Options&tcpiOptTimestamps != 0 {
		sent += 12 // RFC 7323 §3: 10 bytes of option, padded
	}
	return sent, info.Advmss, nil
}

// tcpiOptTimestamps is TCPI_OPT_TIMESTAMPS of tcpi_options
// (include/uapi/linux/tcp.h), which x/sys/unix does not name.
const tcpiOptTimestamps = 1

// setSegment makes the kernel send segments of mss bytes on c, as if the
// peer had said so in its SYN. Linux keeps the peer's MSS option in
// rx_opt.mss_clamp, which only TCP_REPAIR_OPTIONS (the socket in repair
// mode, CAP_NET_ADMIN, and nothing sent yet on the connection) may set
// after the handshake; setting IP_OPTIONS (empty, as they were) then
// makes the kernel recompute its send MSS from it (tcp_sync_mss). The
// connection leaves repair mode without a window probe
// (TCP_REPAIR_OFF_NO_WP): the peer needs to be told nothing.
func setSegment(c net.Conn, mss uint32) error {
	sc, err := syscallConn(c)
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		s := int(fd)
		if err := unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, unix.TCP_REPAIR_ON); err != nil {
			serr = fmt.Errorf("entering TCP repair mode (needs CAP_NET_ADMIN): %w", err)
			return
		}
		err := unix.SetsockoptTCPRepairOpt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR_OPTIONS,
			[]unix.TCPRepairOpt{{Code: unix.TCPOPT_MAXSEG, Val: mss}})
		if err != nil {
			serr = fmt.Errorf("setting the peer's MSS: %w", err)
		}
		if err := unix.SetsockoptInt(s, unix.IPPROTO_TCP, unix.TCP_REPAIR, unix.TCP_REPAIR_OFF_NO_WP); err != nil {
			serr = errors.Join(serr, fmt.Errorf("leaving TCP repair mode: %w", err))
			return
		}
		if serr != nil {
			return
		}
		if err := unix.SetsockoptString(s, unix.IPPROTO_IP, unix.IP_OPTIONS, ""); err != nil {
			serr = fmt.Errorf("resynchronising the send MSS: %w", err)
		}
	}); err != nil {
		return err
	}
	return serr
}

// canSetSegment reports whether setSegment can work in this process: TCP
// repair mode needs CAP_NET_ADMIN in the effective set, which pxed lacks
// once it has switched to an unprivileged user and under the systemd unit
// as shipped.
func canSetSegment() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_NET_ADMIN/32].Effective&(1<<(unix.CAP_NET_ADMIN%32)) != 0
}

func syscallConn(c net.Conn) (interface {
	Control(func(fd uintptr)) error
}, error) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil, fmt.Errorf("%T is not a TCP connection", c)
	}
	return tc.SyscallConn()
}

// drained waits until the peer has acknowledged every byte written on c
// (TCP_INFO: no unacknowledged segment, nothing unsent), for at most
// within.
func drained(c net.Conn, within time.Duration) error {
	sc, err := syscallConn(c)
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(within); ; time.Sleep(time.Millisecond) {
		var info *unix.TCPInfo
		var serr error
		if err := sc.Control(func(fd uintptr) {
			info, serr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		}); err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("reading TCP_INFO: %w", serr)
		}
		if info.Unacked == 0 && info.Notsent_bytes == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d segments still unacknowledged after %v", info.Unacked, within)
		}
	}
}
