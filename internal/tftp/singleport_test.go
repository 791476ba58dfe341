package tftp

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestSinglePort runs concurrent transfers at several window sizes through
// one listening socket: every reply comes from the listening port, and every
// client gets its own file intact.
func TestSinglePort(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{}
	for i := range 8 {
		files["f"+strconv.Itoa(i)] = pattern(40_000 + 1468*i)
	}
	_, s := dirServer(t, files)
	s.SinglePort = true
	addr, trs := testServer(t, s)

	var wg sync.WaitGroup
	errs := make(chan error, len(files))
	for i := range 8 {
		wg.Go(func() {
			name := "f" + strconv.Itoa(i)
			window := []int{1, 4, 16, 64}[i%4]
			res, err := tftpGet(addr, name, clientOpts{options: []Option{
				{"blksize", "1468"}, {"windowsize", strconv.Itoa(window)}, {"tsize", "0"}}})
			switch {
			case err != nil:
				errs <- err
			case res.server != addr:
				errs <- errors.New(name + ": replies came from " + res.server.String() + ", want the listening port " + addr.String())
			case !bytes.Equal(res.data, files[name]):
				errs <- errors.New(name + ": content differs")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, tr := range trs.wait(t, 8) {
		if tr.Err != nil || tr.Bytes != tr.Size {
			t.Errorf("%s: sent %d of %d bytes, err %v", tr.Path, tr.Bytes, tr.Size, tr.Err)
		}
	}
}

// TestSinglePortProbeSamePort is the PXE tsize probe from a client that uses
// one port for every request: after its ERROR 8 the port is free, and the
// second request starts a new transfer at once; so does a third one sent
// right after the second transfer's final ACK.
func TestSinglePortProbeSamePort(t *testing.T) {
	t.Parallel()
	data := pattern(3000)
	_, s := dirServer(t, map[string][]byte{"pxelinux.0": data})
	s.SinglePort = true
	addr, trs := testServer(t, s)
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.WriteToUDPAddrPort([]byte("\x00\x01pxelinux.0\x00octet\x00tsize\x000\x00"), addr)
	if p := readPacket(t, conn); p.Op != OpOACK {
		t.Fatalf("probe: got %v, want OACK", p.Op)
	}
	conn.WriteToUDPAddrPort(appendError(nil, ErrCodeOptionRejected, "tsize probe"), addr)
	conn.WriteToUDPAddrPort([]byte("\x00\x01pxelinux.0\x00octet\x00"), addr)
	var got []byte
	for block := uint16(1); ; block++ {
		p := readPacket(t, conn)
		if p.Op != OpDATA || p.Block != block {
			t.Fatalf("got %v %d, want DATA %d", p.Op, p.Block, block)
		}
		got = append(got, p.Data...)
		conn.WriteToUDPAddrPort((&packet{Op: OpACK, Block: block}).append(nil), addr)
		if len(p.Data) < 512 {
			break
		}
	}
	if !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	// The next request from the same port, sent right after the final ACK,
	// is answered at once, not after the client's retransmission.
	conn.WriteToUDPAddrPort([]byte("\x00\x01pxelinux.0\x00octet\x00"), addr)
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	reply := make([]byte, 1024)
	n, _, err := conn.ReadFromUDPAddrPort(reply)
	if err != nil {
		t.Fatalf("request right after the final ACK: %v", err)
	}
	if p, err := parsePacket(reply[:n]); err != nil || p.Op != OpDATA || p.Block != 1 {
		t.Fatalf("request right after the final ACK: got %v %d (%v), want DATA 1", p.Op, p.Block, err)
	}
	// The probe's goroutine may report after the fetch that followed it on
	// the same port: check the outcomes, not their order.
	trl := trs.wait(t, 2)
	var ce *clientError
	aborted, ok := 0, 0
	for _, tr := range trl {
		switch {
		case errors.As(tr.Err, &ce):
			aborted++
		case tr.Err == nil:
			ok++
		}
	}
	if aborted != 1 || ok != 1 {
		t.Errorf("transfers ended with %v and %v; want the client's ERROR 8 and one success", trl[0].Err, trl[1].Err)
	}
}

// TestSinglePortLossy is TestLossy's network on a single-port server.
func TestSinglePortLossy(t *testing.T) {
	t.Parallel()
	data := pattern(100*512 + 77)
	_, s := dirServer(t, map[string][]byte{"a": data})
	s.SinglePort = true
	s.Timeout = 40 * time.Millisecond
	s.Retries = 8
	addr, trs := testServer(t, s)
	for i, c := range []struct {
		seed   uint64
		window int
	}{{11, 1}, {12, 8}, {13, 16}} {
		proxy := newLossyProxy(t, addr, c.seed, 0.05, 0.03, 0.03)
		res, err := tftpGet(proxy.addr(), "a", clientOpts{
			options: []Option{{"windowsize", strconv.Itoa(c.window)}},
			timeout: 300 * time.Millisecond, retries: 20, dally: true,
		})
		if err != nil {
			t.Fatalf("seed %d window %d: %v", c.seed, c.window, err)
		}
		if !bytes.Equal(res.data, data) {
			t.Fatalf("seed %d window %d: content differs", c.seed, c.window)
		}
		tr := trs.wait(t, i+1)[i]
		proxy.mu.Lock()
		sent, faults := proxy.sentData, proxy.faults
		proxy.mu.Unlock()
		if limit := len(data)/512 + 1 + c.window*(faults+1); sent > limit {
			t.Errorf("%d DATA sent for %d faults; the rule allows at most %d", sent, faults, limit)
		}
		t.Logf("seed %d window %d: %d DATA, %d faults, %d retransmits", c.seed, c.window, sent, faults, tr.Retransmits)
	}
}
