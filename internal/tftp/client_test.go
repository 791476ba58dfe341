package tftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// This file holds the test harness: a server on 127.0.0.1 and a small TFTP
// client that behaves as RFC 1350 and RFC 7440 describe a receiver.

// testServer runs s on 127.0.0.1:0 until the test ends and returns its address.
// Finished transfers are collected in the returned *transfers.
func testServer(t testing.TB, s *Server) (netip.AddrPort, *transfers) {
	t.Helper()
	return testServerOn(t, s, "udp4", "127.0.0.1:0")
}

// testServerOn is testServer listening on addr of network (udp4, udp6).
func testServerOn(t testing.TB, s *Server, network, addr string) (netip.AddrPort, *transfers) {
	t.Helper()
	conn, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	trs := &transfers{}
	prev := s.OnTransfer
	s.OnTransfer = func(tr Transfer) {
		trs.add(tr)
		if prev != nil {
			prev(tr)
		}
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, conn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		conn.Close()
	})
	return conn.LocalAddr().(*net.UDPAddr).AddrPort(), trs
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// transfers collects OnTransfer reports.
type transfers struct {
	mu   sync.Mutex
	list []Transfer
	ch   chan struct{}
}

func (ts *transfers) add(tr Transfer) {
	ts.mu.Lock()
	ts.list = append(ts.list, tr)
	ts.mu.Unlock()
}

// wait returns the first n reports, waiting up to 10 s for them.
func (ts *transfers) wait(t testing.TB, n int) []Transfer {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts.mu.Lock()
		if len(ts.list) >= n {
			l := append([]Transfer(nil), ts.list[:n]...)
			ts.mu.Unlock()
			return l
		}
		ts.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d transfer reports, have %d", n, len(ts.list))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// writeFile creates a file under dir with the given content.
func writeFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(dir+"/"+name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pattern returns n bytes that differ from block to block and from run to run
// of a block, so that a misplaced block cannot go unnoticed.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

type clientOpts struct {
	mode    string   // "octet" if empty
	options []Option // RFC 2347 options to request
	dupAcks int      // send every ACK this many times (Sorcerer's Apprentice test)
	timeout time.Duration
	retries int
	dally   bool // after the last block, stay to re-ACK it if the server resends it
}

type clientResult struct {
	data      []byte
	oack      map[string]string // nil when the server sent no OACK
	dataPkts  int               // DATA packets received
	dupData   int               // DATA packets for a block already received
	server    netip.AddrPort    // the server's transfer ID
	errPacket *packet           // the ERROR the server sent, if any
}

// tftpGet fetches file from the server at addr.
func tftpGet(addr netip.AddrPort, file string, o clientOpts) (clientResult, error) {
	var res clientResult
	if o.mode == "" {
		o.mode = "octet"
	}
	if o.timeout == 0 {
		o.timeout = time.Second
	}
	if o.retries == 0 {
		o.retries = 5
	}
	if o.dupAcks == 0 {
		o.dupAcks = 1
	}
	local := netip.MustParseAddrPort("127.0.0.1:0")
	if addr.Addr().Is6() {
		local = netip.MustParseAddrPort("[::1]:0")
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(local))
	if err != nil {
		return res, err
	}
	defer conn.Close()

	rrq := packet{Op: OpRRQ, Filename: file, Mode: o.mode, Options: o.options}
	req := rrq.append(nil)
	if _, err := conn.WriteToUDPAddrPort(req, addr); err != nil {
		return res, err
	}
	blksize, window := 512, 1
	var (
		expected = uint16(1) // next block wanted
		inWindow = 0         // in-order blocks since the last ACK
		lastAck  []byte      // last ACK sent, resent on timeout
		tries    = 0
		seen     = map[uint16]int{} // block → times received (for 16-bit numbers; reset on rollover)
		buf      = make([]byte, 70000)
	)
	sendAck := func(block uint16) error {
		lastAck = (&packet{Op: OpACK, Block: block}).append(nil)
		for range o.dupAcks {
			if _, err := conn.WriteToUDPAddrPort(lastAck, res.server); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		conn.SetReadDeadline(time.Now().Add(o.timeout))
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				return res, err
			}
			tries++
			if tries > o.retries {
				return res, fmt.Errorf("client timed out waiting for block %d", expected)
			}
			// RFC 7440 §4: on timeout the receiver ACKs the last block it
			// received in order. Before any reply, resend the request.
			if lastAck == nil {
				conn.WriteToUDPAddrPort(req, addr)
			} else {
				conn.WriteToUDPAddrPort(lastAck, res.server)
			}
			inWindow = 0
			continue
		}
		if !res.server.IsValid() {
			res.server = from // RFC 1350 §4: the server's first reply fixes its TID
		} else if from != res.server {
			continue
		}
		p, err := parsePacket(buf[:n])
		if err != nil {
			return res, fmt.Errorf("client: %w", err)
		}
		switch p.Op {
		case OpERROR:
			res.errPacket = &p
			return res, nil
		case OpOACK:
			if res.oack == nil {
				res.oack = map[string]string{}
				for _, opt := range p.Options {
					res.oack[opt.Name] = opt.Value
				}
				if v, ok := res.oack["blksize"]; ok {
					blksize, _ = strconv.Atoi(v)
				}
				if v, ok := res.oack["windowsize"]; ok {
					window, _ = strconv.Atoi(v)
				}
			}
			tries = 0
			if err := sendAck(0); err != nil {
				return res, err
			}
		case OpDATA:
			res.dataPkts++
			tries = 0
			if p.Block != expected {
				// An old block or a gap: ACK the last in-order block.
				if uint16(expected-p.Block) <= uint16(window)*2 && seen[p.Block] > 0 {
					res.dupData++
				}
				inWindow = 0
				if err := sendAck(expected - 1); err != nil {
					return res, err
				}
				continue
			}
			if expected == 1 {
				clear(seen)
			}
			seen[p.Block]++
			res.data = append(res.data, p.Data...)
			expected++
			inWindow++
			if len(p.Data) < blksize {
				if err := sendAck(p.Block); err != nil {
					return res, err
				}
				// Dally briefly: if the final ACK was lost the server
				// resends the last block, which is ACKed again.
				if o.dally {
					dally(conn, res.server, p.Block, o.timeout)
				}
				return res, nil
			}
			if inWindow >= window {
				inWindow = 0
				if err := sendAck(p.Block); err != nil {
					return res, err
				}
			}
		}
	}
}

func dally(conn *net.UDPConn, server netip.AddrPort, last uint16, timeout time.Duration) {
	buf := make([]byte, 70000)
	ack := (&packet{Op: OpACK, Block: last}).append(nil)
	end := time.Now().Add(min(timeout, 200*time.Millisecond))
	for {
		conn.SetReadDeadline(end)
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if p, err := parsePacket(buf[:n]); err == nil && from == server && p.Op == OpDATA && p.Block == last {
			conn.WriteToUDPAddrPort(ack, server)
		}
	}
}
