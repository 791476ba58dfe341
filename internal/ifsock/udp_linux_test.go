package ifsock

import (
	"net"
	"testing"
	"time"
)

// TestListenUDP: a socket of each family bound to the loopback interface
// is of that family and receives a datagram sent to its port. Binding to a
// device needs CAP_NET_RAW on older kernels: the test is skipped there.
func TestListenUDP(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		family Family
		to     string
	}{{IPv4, "127.0.0.1"}, {IPv6, "::1"}} {
		conn, err := ListenUDP(c.family, "lo", 0, 1<<20)
		if err != nil {
			t.Skipf("cannot bind to lo here: %v", err)
		}
		defer conn.Close()
		local := conn.LocalAddr().(*net.UDPAddr)
		if got := local.IP.To4() == nil; got != (c.family == IPv6) {
			t.Errorf("IPv%d socket bound to %s", c.family, local.IP)
		}
		out, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(c.to), Port: local.Port})
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if _, err := out.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 16)
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil || string(buf[:n]) != "hello" {
			t.Errorf("IPv%d socket read %q, %v; want hello", c.family, buf[:n], err)
		}
	}
}
