//go:build !linux

package dhcp

import (
	"net"
	"net/netip"
)

// udpIO reads and sends through the net package where the raw system calls
// of rawudp_linux.go are not made (serving needs Linux: checkPlatform).
type udpIO struct{ conn *net.UDPConn }

func newUDPIO(conn *net.UDPConn) (*udpIO, error) { return &udpIO{conn: conn}, nil }

func (u *udpIO) readFrom(buf []byte) (int, netip.AddrPort, error) {
	return u.conn.ReadFromUDPAddrPort(buf)
}

func (u *udpIO) writeTo(b []byte, to netip.AddrPort) error {
	_, err := u.conn.WriteToUDPAddrPort(b, to)
	return err
}
