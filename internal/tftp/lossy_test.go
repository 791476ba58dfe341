package tftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// lossyProxy sits between one client and the server and drops, duplicates
// and reorders packets in both directions, from a seeded generator. The
// client talks only to the proxy's front socket; the proxy talks to the
// server from its back socket, following the server's transfer ID.
type lossyProxy struct {
	front, back *net.UDPConn
	server      netip.AddrPort // request port, then the transfer ID

	mu       sync.Mutex
	client   netip.AddrPort
	faults   int // packets dropped, duplicated or reordered, both directions
	sentData int // DATA packets the server sent
	sentOACK int
}

func newLossyProxy(t *testing.T, server netip.AddrPort, seed uint64, drop, dup, reorder float64) *lossyProxy {
	t.Helper()
	lo := net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0"))
	front, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	p := &lossyProxy{front: front, back: back, server: server}
	var wg sync.WaitGroup
	wg.Go(func() { p.pump(front, true, rand.New(rand.NewPCG(seed, 1)), drop, dup, reorder) })
	wg.Go(func() { p.pump(back, false, rand.New(rand.NewPCG(seed, 2)), drop, dup, reorder) })
	t.Cleanup(func() {
		front.Close()
		back.Close()
		wg.Wait()
	})
	return p
}

func (p *lossyProxy) addr() netip.AddrPort { return p.front.LocalAddr().(*net.UDPAddr).AddrPort() }

// pump forwards packets read from in. toServer: client → server.
func (p *lossyProxy) pump(in *net.UDPConn, toServer bool, rng *rand.Rand, drop, dup, reorder float64) {
	buf := make([]byte, 70000)
	var held []byte // a packet delayed behind the next one
	forward := func(b []byte) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if toServer {
			p.back.WriteToUDPAddrPort(b, p.server)
		} else {
			p.front.WriteToUDPAddrPort(b, p.client)
		}
	}
	for {
		in.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, from, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if held != nil { // nothing came to overtake it
					forward(held)
					held = nil
				}
				continue
			}
			return
		}
		b := append([]byte(nil), buf[:n]...)
		op := binary.BigEndian.Uint16(b)
		p.mu.Lock()
		if toServer {
			p.client = from
		} else {
			p.server = from
			switch Opcode(op) {
			case OpDATA:
				p.sentData++
			case OpOACK:
				p.sentOACK++
			}
		}
		// The request itself passes untouched, to keep the test about the
		// transfer (a lost RRQ is the client's problem).
		fate := rng.Float64()
		if toServer && Opcode(op) == OpRRQ {
			fate = 1
		}
		switch {
		case fate < drop:
			p.faults++
			b = nil
		case fate < drop+dup:
			p.faults++
		case fate < drop+dup+reorder:
			p.faults++
		}
		p.mu.Unlock()
		switch {
		case b == nil:
		case fate < drop+dup:
			forward(b)
			forward(b)
		case fate < drop+dup+reorder && held == nil:
			held = b
			continue
		default:
			forward(b)
		}
		if held != nil {
			forward(held)
			held = nil
		}
	}
}

// TestLossy runs transfers through a network that drops, duplicates and
// reorders 5 % of packets each way. Every transfer must complete byte-for-byte,
// and the server may resend at most one window per fault: no retransmission
// storm, no Sorcerer's Apprentice.
func TestLossy(t *testing.T) {
	t.Parallel()
	data := pattern(150*512 + 77)
	_, s := dirServer(t, map[string][]byte{"a": data})
	s.Timeout = 40 * time.Millisecond
	s.Retries = 8
	addr, trs := testServer(t, s)
	for i, c := range []struct {
		seed   uint64
		window int
	}{{1, 1}, {2, 1}, {3, 4}, {4, 8}, {5, 16}} {
		proxy := newLossyProxy(t, addr, c.seed, 0.05, 0.03, 0.03)
		res, err := tftpGet(proxy.addr(), "a", clientOpts{
			options: []Option{{"windowsize", strconv.Itoa(c.window)}, {"tsize", "0"}},
			timeout: 300 * time.Millisecond, retries: 20, dally: true,
		})
		if err != nil {
			t.Fatalf("seed %d window %d: %v", c.seed, c.window, err)
		}
		if !bytes.Equal(res.data, data) {
			t.Fatalf("seed %d window %d: got %d bytes, want %d; content differs", c.seed, c.window, len(res.data), len(data))
		}
		tr := trs.wait(t, i+1)[i]
		proxy.mu.Lock()
		sent, oacks, faults := proxy.sentData, proxy.sentOACK, proxy.faults
		proxy.mu.Unlock()
		blocks := len(data)/512 + 1
		t.Logf("seed %d window %d: %d blocks, %d DATA sent, %d faults, %d retransmits, err %v",
			c.seed, c.window, blocks, sent, faults, tr.Retransmits, tr.Err)
		if sent+oacks != blocks+1+tr.Retransmits {
			t.Errorf("proxy saw %d DATA + %d OACK, server reports %d blocks + 1 OACK + %d retransmits", sent, oacks, blocks, tr.Retransmits)
		}
		if limit := blocks + c.window*(faults+1); sent > limit {
			t.Errorf("%d DATA sent for %d blocks and %d faults; the rule allows at most %d", sent, blocks, faults, limit)
		}
	}
}
