//go:build e2e

package e2e

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// impairEnv names the two interfaces between which TestTFTPImpairHelper
// forwards frames ("w-srv,w-cli"); set only in the helper process.
const impairEnv = "PXED_E2E_IMPAIR"

// The impairment of each direction, as netem would be given it:
// loss 5% duplicate 2% reorder 5%.
const (
	impairLoss      = 0.05
	impairDuplicate = 0.02
	impairReorder   = 0.05
)

// TestTFTPImpairHelper is not a test: TestTFTPLoss runs the test binary again
// inside the middle namespace with impairEnv set, and this function then
// forwards Ethernet frames between the two interfaces with AF_PACKET sockets,
// dropping, duplicating and reordering IPv4 UDP frames. It stands in for
// `tc qdisc ... netem`, which the lab's kernel lacks (CONFIG_NET_SCH_NETEM is
// not set). It runs until the parent test kills it.
func TestTFTPImpairHelper(t *testing.T) {
	spec := os.Getenv(impairEnv)
	if spec == "" {
		t.Skip("helper process of TestTFTPLoss")
	}
	names := strings.Split(spec, ",")
	if len(names) != 2 {
		t.Fatalf("%s=%q: want two interface names", impairEnv, spec)
	}
	a, err := openPacketSocket(names[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := openPacketSocket(names[1])
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { impairPump(a, b, rand.New(rand.NewPCG(7, 1))) })
	wg.Go(func() { impairPump(b, a, rand.New(rand.NewPCG(7, 2))) })
	wg.Wait()
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openPacketSocket opens a raw packet socket bound to the interface, with a
// 1 ms receive timeout so that a held (reordered) frame leaves soon.
func openPacketSocket(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ALL)))
	if err != nil {
		return -1, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return -1, err
	}
	tv := syscall.NsecToTimeval(int64(time.Millisecond))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return -1, err
	}
	return fd, nil
}

// impairPump forwards the frames that arrive on in out of out.
func impairPump(in, out int, rng *rand.Rand) {
	buf := make([]byte, 65536)
	var held []byte
	send := func(f []byte) { syscall.Write(out, f) }
	for {
		n, from, err := syscall.Recvfrom(in, buf, 0)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				if held != nil {
					send(held)
					held = nil
				}
				continue
			}
			return
		}
		if ll, ok := from.(*syscall.SockaddrLinklayer); ok && ll.Pkttype == syscall.PACKET_OUTGOING {
			continue // our own frame, sent out of this interface
		}
		f := append([]byte(nil), buf[:n]...)
		if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != 17 {
			send(f) // ARP and the like pass untouched
			continue
		}
		// The sender's UDP checksum may be left to offload that never
		// happens on a veth; 0 means "no checksum" in IPv4 (RFC 768).
		ihl := int(f[14]&0x0f) * 4
		if len(f) >= 14+ihl+8 {
			f[14+ihl+6], f[14+ihl+7] = 0, 0
		}
		switch x := rng.Float64(); {
		case x < impairLoss:
			continue
		case x < impairLoss+impairDuplicate:
			send(f)
			send(f)
		case x < impairLoss+impairDuplicate+impairReorder && held == nil:
			held = f // overtaken by the next frame
			continue
		default:
			send(f)
		}
		if held != nil {
			send(held)
			held = nil
		}
	}
}
