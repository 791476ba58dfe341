package tftp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pxed/pxed/internal/bootfs"
)

func dirServer(t *testing.T, files map[string][]byte) (string, *Server) {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, root, name, data)
	}
	d, err := bootfs.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return root, &Server{Files: d}
}

func TestTransferSizes(t *testing.T) {
	t.Parallel()
	sizes := []int{0, 1, 511, 512, 513, 1024, 1468, 1468 * 3, 100_000, 8*1468*5 + 7}
	files := map[string][]byte{}
	for _, n := range sizes {
		files["f"+strconv.Itoa(n)] = pattern(n)
	}
	_, s := dirServer(t, files)
	addr, trs := testServer(t, s)

	type tc struct {
		name string
		opts []Option
		blk  int
		win  int
	}
	cases := []tc{
		{"plain", nil, 512, 1},
		{"blksize1468", []Option{{"blksize", "1468"}}, 1468, 1},
		{"blksize8", []Option{{"blksize", "8"}}, 8, 1},
		{"window8", []Option{{"blksize", "1468"}, {"windowsize", "8"}}, 1468, 8},
		{"window64", []Option{{"windowsize", "64"}, {"blksize", "512"}}, 512, 64},
		{"window1", []Option{{"windowsize", "1"}}, 512, 1},
	}
	reports := 0
	for _, c := range cases {
		for _, n := range sizes {
			if c.blk == 8 && n > 20000 {
				continue
			}
			name := "f" + strconv.Itoa(n)
			res, err := tftpGet(addr, name, clientOpts{options: append(c.opts, Option{"tsize", "0"})})
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, name, err)
			}
			reports++
			if !bytes.Equal(res.data, files[name]) {
				t.Fatalf("%s %s: got %d bytes, want %d, content differs", c.name, name, len(res.data), n)
			}
			if got := res.oack["tsize"]; got != strconv.Itoa(n) {
				t.Errorf("%s %s: tsize %q, want %d", c.name, name, got, n)
			}
			// A size that is a multiple of blksize ends with an empty block
			// (RFC 1350 §6), so there are always size/blksize + 1 blocks.
			if want := n/c.blk + 1; res.dataPkts != want {
				t.Errorf("%s %s: %d DATA packets, want %d", c.name, name, res.dataPkts, want)
			}
		}
	}
	for _, tr := range trs.wait(t, reports) {
		if tr.Err != nil || tr.Retransmits != 0 || tr.Bytes != tr.Size {
			t.Errorf("transfer %s: err %v, %d retransmits, %d of %d bytes", tr.Path, tr.Err, tr.Retransmits, tr.Bytes, tr.Size)
		}
	}
}

func TestNoOptionsNoOACK(t *testing.T) {
	t.Parallel()
	_, s := dirServer(t, map[string][]byte{"a": []byte("hello")})
	addr, _ := testServer(t, s)
	// An option the server does not know, and invalid values: nothing to
	// acknowledge, so DATA 1 comes directly (RFC 2347).
	res, err := tftpGet(addr, "a", clientOpts{options: []Option{{"multicast", ""}, {"blksize", "4"}, {"timeout", "0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.oack != nil || string(res.data) != "hello" {
		t.Errorf("got oack %v data %q, want no OACK and %q", res.oack, res.data, "hello")
	}
}

func TestBlockSizeClamp(t *testing.T) {
	t.Parallel()
	data := pattern(70000)
	_, s := dirServer(t, map[string][]byte{"a": data})
	s.MaxBlockSize = 1000
	addr, _ := testServer(t, s)
	res, err := tftpGet(addr, "a", clientOpts{options: []Option{{"BlkSize", "65464"}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"blksize": "1000"}, res.oack); diff != "" {
		t.Errorf("OACK (-want +got):\n%s", diff)
	}
	if !bytes.Equal(res.data, data) {
		t.Error("content differs")
	}
}

// TestBothFamilies serves one IPv4 and one IPv6 socket on the same port, as
// Listen does for an address without a host (":69"), and fetches over each,
// lock-step and windowed, through every link.
func TestBothFamilies(t *testing.T) {
	t.Parallel()
	data := pattern(100_000)
	for _, single := range []bool{false, true} {
		conns, err := listenBoth("127.0.0.1", "::1", "0")
		if err != nil {
			t.Fatal(err)
		}
		if len(conns) != 2 {
			t.Fatalf("%d sockets, want 2", len(conns))
		}
		a4, a6 := conns[0].LocalAddr().(*net.UDPAddr).AddrPort(), conns[1].LocalAddr().(*net.UDPAddr).AddrPort()
		if !a4.Addr().Is4() || !a6.Addr().Is6() || a4.Port() != a6.Port() {
			t.Fatalf("sockets on %v and %v, want IPv4 and IPv6 on one port", a4, a6)
		}
		_, s := dirServer(t, map[string][]byte{"f": data})
		s.SinglePort = single
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, len(conns))
		for _, c := range conns {
			go func() { done <- s.Serve(ctx, c) }()
		}
		for _, addr := range []netip.AddrPort{a4, a6} {
			for _, opts := range [][]Option{nil, {{"blksize", "1468"}, {"windowsize", "8"}}} {
				res, err := tftpGet(addr, "f", clientOpts{options: opts})
				if err != nil || !bytes.Equal(res.data, data) {
					t.Errorf("single-port %v, %v, options %v: %d bytes, %v", single, addr, opts, len(res.data), err)
				}
				if res.server.Addr() != addr.Addr() {
					t.Errorf("single-port %v: reply to %v came from %v", single, addr, res.server)
				}
			}
		}
		cancel()
		for range conns {
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
}

func TestNetascii(t *testing.T) {
	t.Parallel()
	// Lines that put CR LF pairs across 512-byte block boundaries.
	var src []byte
	for i := 0; len(src) < 3000; i++ {
		src = append(src, bytes.Repeat([]byte("x"), i%7)...)
		src = append(src, '\n')
		if i%5 == 0 {
			src = append(src, '\r', 'y')
		}
	}
	want := bytes.ReplaceAll(src, []byte("\r"), []byte("\r\x00"))
	want = bytes.ReplaceAll(want, []byte("\n"), []byte("\r\n"))
	_, s := dirServer(t, map[string][]byte{"a.txt": src})
	addr, _ := testServer(t, s)
	for _, blk := range []string{"512", "8", "9"} {
		res, err := tftpGet(addr, "a.txt", clientOpts{mode: "NetASCII", options: []Option{{"blksize", blk}, {"tsize", "0"}}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.data, want) {
			t.Errorf("blksize %s: netascii content differs: got %d bytes, want %d", blk, len(res.data), len(want))
		}
		if _, ok := res.oack["tsize"]; ok {
			t.Errorf("blksize %s: tsize acknowledged for netascii", blk)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	_, s := dirServer(t, map[string][]byte{"a": []byte("x")})
	addr, _ := testServer(t, s)
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cases := []struct {
		name string
		pkt  []byte
		want ErrorCode
	}{
		{"WRQ", []byte("\x00\x02a\x00octet\x00"), ErrCodeAccess},
		{"unknown opcode", []byte("\x00\x09a\x00"), ErrCodeIllegal},
		{"unterminated filename", []byte("\x00\x01abc"), ErrCodeIllegal},
		{"empty filename", []byte("\x00\x01\x00octet\x00"), ErrCodeIllegal},
		{"odd options", []byte("\x00\x01a\x00octet\x00blksize\x00"), ErrCodeIllegal},
		{"mail mode", []byte("\x00\x01a\x00mail\x00"), ErrCodeIllegal},
		{"not found", []byte("\x00\x01nope\x00octet\x00"), ErrCodeNotFound},
		{"one byte", []byte("\x01"), ErrCodeIllegal},
	}
	for _, c := range cases {
		conn.WriteToUDPAddrPort(c.pkt, addr)
		p := readPacket(t, conn)
		if p.Op != OpERROR || p.Code != c.want {
			t.Errorf("%s: got %v code %v %q, want ERROR %v", c.name, p.Op, p.Code, p.Message, c.want)
		}
	}
	// A stray ACK to the request port is dropped, and the server still works.
	conn.WriteToUDPAddrPort([]byte("\x00\x04\x00\x01"), addr)
	if res, err := tftpGet(addr, "a", clientOpts{}); err != nil || string(res.data) != "x" {
		t.Errorf("after stray ACK: %q, %v", res.data, err)
	}
}

func readPacket(t *testing.T, conn *net.UDPConn) packet {
	t.Helper()
	buf := make([]byte, 2048)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("reading reply: %v", err)
	}
	p, err := parsePacket(buf[:n])
	if err != nil {
		t.Fatalf("parsing reply: %v", err)
	}
	return p
}

func TestEscapes(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	root := filepath.Join(parent, "tftp")
	sibling := filepath.Join(parent, "tftp-private") // shares the root's prefix
	for _, d := range []string{root, sibling, filepath.Join(root, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := []byte("SECRET")
	writeFile(t, parent, "secret", secret)
	writeFile(t, sibling, "secret", secret)
	writeFile(t, root, "ok", []byte("fine"))
	if err := os.Symlink(filepath.Join(parent, "secret"), filepath.Join(root, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../tftp-private", filepath.Join(root, "link-sibling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok", filepath.Join(root, "link-in")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := bootfs.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	addr, _ := testServer(t, &Server{Files: d})

	for _, name := range []string{
		"../secret", `..\secret`, `sub\..\..\secret`, "/../secret", "sub/../../secret",
		"../tftp-private/secret", "link-out", "link-sibling/secret", "/etc/passwd",
		"%2e%2e/secret", "%2e%2e%2fsecret", "fifo", "sub", "/", ".", "", "ok\x00/../../secret",
	} {
		res, err := tftpGet(addr, name, clientOpts{timeout: 2 * time.Second})
		// The empty name and the NUL are malformed requests; the rest are
		// refused by name. None may deliver a byte.
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if len(res.data) > 0 || res.errPacket == nil {
			t.Errorf("%q: served %q, want an ERROR", name, res.data)
			continue
		}
		if c := res.errPacket.Code; c != ErrCodeNotFound && c != ErrCodeAccess && c != ErrCodeIllegal {
			t.Errorf("%q: error code %v", name, c)
		}
	}
	// Inside the root, symlinks, absolute and backslash paths work.
	for _, name := range []string{"ok", "/ok", "//ok", "link-in", `\ok`, "./ok"} {
		res, err := tftpGet(addr, name, clientOpts{})
		if err != nil || string(res.data) != "fine" {
			t.Errorf("%q: got %q, %v, want %q", name, res.data, err, "fine")
		}
	}
}

// countingFile records how a transfer uses its file.
type countingFile struct {
	bootfs.File
	reads, sizes, closes atomic.Int32
}

func (f *countingFile) ReadAt(b []byte, off int64) (int, error) {
	f.reads.Add(1)
	return f.File.ReadAt(b, off)
}
func (f *countingFile) Size() int64  { f.sizes.Add(1); return f.File.Size() }
func (f *countingFile) Close() error { f.closes.Add(1); return nil }

// TestTsizeProbe is the PXE pattern: RRQ with tsize, OACK, ERROR 8 from the
// client, then the real RRQ. The probe must cost no read of the file.
func TestTsizeProbe(t *testing.T) {
	t.Parallel()
	data := pattern(5000)
	opened := make(chan *countingFile, 2)
	s := &Server{Files: bootfs.OpenerFunc(func(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
		f := &countingFile{File: bootfs.Bytes(data)}
		opened <- f
		return f, nil
	})}
	addr, trs := testServer(t, s)

	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.WriteToUDPAddrPort([]byte("\x00\x01pxelinux.0\x00octet\x00tsize\x000\x00blksize\x001432\x00"), addr)
	buf := make([]byte, 2048)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, tid, err := conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	oack, err := parsePacket(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	want := packet{Op: OpOACK, Options: []Option{{"tsize", "5000"}, {"blksize", "1432"}}}
	if diff := cmp.Diff(want, oack); diff != "" {
		t.Fatalf("OACK (-want +got):\n%s", diff)
	}
	conn.WriteToUDPAddrPort(appendError(nil, ErrCodeOptionRejected, "tsize probe"), tid)
	tr := trs.wait(t, 1)[0]
	var ce *clientError
	if !errors.As(tr.Err, &ce) || ce.code != ErrCodeOptionRejected {
		t.Errorf("probe transfer error %v, want the client's ERROR 8", tr.Err)
	}
	f := <-opened
	if f.reads.Load() != 0 || f.sizes.Load() != 1 || f.closes.Load() != 1 {
		t.Errorf("probe: %d reads, %d sizes, %d closes; want 0, 1, 1", f.reads.Load(), f.sizes.Load(), f.closes.Load())
	}

	res, err := tftpGet(addr, "pxelinux.0", clientOpts{options: []Option{{"blksize", "1432"}}})
	if err != nil || !bytes.Equal(res.data, data) {
		t.Fatalf("real transfer: %d bytes, %v", len(res.data), err)
	}
	if tr, f := trs.wait(t, 2)[1], <-opened; tr.Err != nil || f.closes.Load() != 1 || f.reads.Load() == 0 {
		t.Errorf("real transfer: err %v, %d reads, %d closes", tr.Err, f.reads.Load(), f.closes.Load())
	}
}

// TestDuplicateACKs checks the Sorcerer's Apprentice rule (RFC 1123
// §4.2.3.1): ACKs sent three times each cause no DATA to be sent twice.
func TestDuplicateACKs(t *testing.T) {
	t.Parallel()
	data := pattern(200_000)
	_, s := dirServer(t, map[string][]byte{"a": data})
	s.Timeout = 2 * time.Second // no timeouts during the test
	addr, trs := testServer(t, s)
	for i, win := range []string{"1", "8"} {
		res, err := tftpGet(addr, "a", clientOpts{dupAcks: 3, options: []Option{{"windowsize", win}}})
		if err != nil || !bytes.Equal(res.data, data) {
			t.Fatalf("window %s: %d bytes, %v", win, len(res.data), err)
		}
		if res.dupData != 0 || res.dataPkts != len(data)/512+1 {
			t.Errorf("window %s: %d DATA packets, %d duplicates; want %d and 0", win, res.dataPkts, res.dupData, len(data)/512+1)
		}
		if tr := trs.wait(t, i+1)[i]; tr.Retransmits != 0 {
			t.Errorf("window %s: server counted %d retransmits", win, tr.Retransmits)
		}
	}
}

// TestRollover transfers more than 65535 blocks, so block numbers wrap.
func TestRollover(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("32 MiB transfer")
	}
	data := pattern(33<<20 + 123)
	_, s := dirServer(t, map[string][]byte{"big": data})
	addr, trs := testServer(t, s)
	for i, win := range []string{"1", "64"} {
		res, err := tftpGet(addr, "big", clientOpts{options: []Option{{"windowsize", win}, {"tsize", "0"}}})
		if err != nil {
			t.Fatalf("window %s: %v", win, err)
		}
		if sha256.Sum256(res.data) != sha256.Sum256(data) {
			t.Fatalf("window %s: got %d bytes, want %d; checksum differs", win, len(res.data), len(data))
		}
		if tr := trs.wait(t, i+1)[i]; tr.Err != nil || tr.Bytes != int64(len(data)) {
			t.Errorf("window %s: report %+v", win, tr)
		}
	}
}

// TestBusy fills MaxTransfers with a client that never ACKs; the next
// request gets an ERROR at once instead of silence.
func TestBusy(t *testing.T) {
	t.Parallel()
	_, s := dirServer(t, map[string][]byte{"a": pattern(2000)})
	s.MaxTransfers = 1
	addr, _ := testServer(t, s)
	staller, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer staller.Close()
	staller.WriteToUDPAddrPort([]byte("\x00\x01a\x00octet\x00"), addr)
	if p := readPacket(t, staller); p.Op != OpDATA {
		t.Fatalf("first transfer: got %v", p.Op)
	}
	res, err := tftpGet(addr, "a", clientOpts{timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.errPacket == nil || res.errPacket.Code != ErrCodeUndefined || len(res.data) != 0 {
		t.Errorf("second transfer: got %d bytes, error %+v; want ERROR 0 server busy", len(res.data), res.errPacket)
	}
}

// TestUnknownTID sends a packet to the transfer's port from another socket:
// it gets ERROR 5 and the transfer carries on.
func TestUnknownTID(t *testing.T) {
	t.Parallel()
	data := pattern(3000)
	_, s := dirServer(t, map[string][]byte{"a": data})
	addr, trs := testServer(t, s)
	client, _ := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	stranger, _ := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	defer client.Close()
	defer stranger.Close()
	client.WriteToUDPAddrPort([]byte("\x00\x01a\x00octet\x00"), addr)
	buf := make([]byte, 1024)
	var got []byte
	for block := uint16(1); ; block++ {
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, tid, err := client.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if tid.Addr() != addr.Addr() {
			t.Fatalf("reply from %v, want the address the request went to, %v", tid.Addr(), addr.Addr())
		}
		p, _ := parsePacket(buf[:n])
		if p.Op != OpDATA || p.Block != block {
			t.Fatalf("got %v %d, want DATA %d", p.Op, p.Block, block)
		}
		got = append(got, p.Data...)
		if block == 2 {
			stranger.WriteToUDPAddrPort([]byte("\x00\x04\x00\x02"), tid)
			if e := readPacket(t, stranger); e.Op != OpERROR || e.Code != ErrCodeUnknownTID {
				t.Errorf("stranger got %v %v, want ERROR 5", e.Op, e.Code)
			}
		}
		client.WriteToUDPAddrPort((&packet{Op: OpACK, Block: block}).append(nil), tid)
		if len(p.Data) < 512 {
			break
		}
	}
	if !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	if tr := trs.wait(t, 1)[0]; tr.Err != nil || tr.Local != addr.Addr() {
		t.Errorf("report: err %v local %v", tr.Err, tr.Local)
	}
}

// TestShutdown cancels the server during a stalled transfer, with a socket
// per transfer and in single-port mode: the client is told, and Serve
// returns promptly, after the transfer goroutine has ended.
func TestShutdown(t *testing.T) {
	for _, single := range []bool{false, true} {
		t.Run(fmt.Sprintf("single_port=%v", single), func(t *testing.T) {
			t.Parallel()
			s := &Server{SinglePort: single, Files: bootfs.OpenerFunc(func(context.Context, *bootfs.Request) (bootfs.File, error) { return bootfs.Bytes(pattern(5000)), nil })}
			conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ended := make(chan Transfer, 1)
			s.OnTransfer = func(tr Transfer) { ended <- tr }
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx, conn) }()
			client, _ := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
			defer client.Close()
			client.WriteToUDPAddrPort([]byte("\x00\x01a\x00octet\x00"), conn.LocalAddr().(*net.UDPAddr).AddrPort())
			readPacket(t, client) // DATA 1, never acknowledged
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("Serve did not return after cancel")
			}
			select {
			case tr := <-ended:
				if !errors.Is(tr.Err, context.Canceled) {
					t.Errorf("transfer error %v, want context.Canceled", tr.Err)
				}
			default:
				t.Error("Serve returned before the transfer ended")
			}
			if p := readPacket(t, client); p.Op != OpERROR {
				t.Errorf("client got %v, want an ERROR telling it the server stopped", p.Op)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("shutdown took %v", d)
			}
		})
	}
}

// TestChainedFiles serves generated files in front of a root, as pxed does,
// and checks that an *Error a generator returns reaches the client as it
// chose it.
func TestChainedFiles(t *testing.T) {
	t.Parallel()
	_, s := dirServer(t, map[string][]byte{"static": []byte("from disk")})
	dir := s.Files
	gen := bootfs.OpenerFunc(func(_ context.Context, r *bootfs.Request) (bootfs.File, error) {
		if r.Path == "pxelinux.cfg/01-00-18-e7-42-84-3a" {
			return bootfs.Bytes([]byte("default install\n")), nil
		}
		if r.Path == "denied" {
			return nil, &Error{Code: ErrCodeAccess, Message: "not for you"}
		}
		return nil, fs.ErrNotExist
	})
	s.Files = bootfs.Chain(gen, dir)
	addr, _ := testServer(t, s)
	for name, want := range map[string]string{"pxelinux.cfg/01-00-18-e7-42-84-3a": "default install\n", "static": "from disk"} {
		res, err := tftpGet(addr, name, clientOpts{})
		if err != nil || string(res.data) != want {
			t.Errorf("%s: %q, %v; want %q", name, res.data, err, want)
		}
	}
	res, err := tftpGet(addr, "denied", clientOpts{})
	if err != nil || res.errPacket == nil || res.errPacket.Code != ErrCodeAccess || res.errPacket.Message != "not for you" {
		t.Errorf("denied: %+v, %v", res.errPacket, err)
	}
	res, err = tftpGet(addr, "missing", clientOpts{})
	if err != nil || res.errPacket == nil || res.errPacket.Code != ErrCodeNotFound {
		t.Errorf("missing: %+v, %v", res.errPacket, err)
	}
}

// TestResentRequestStartsNoSecondTransfer: a client that resends its RRQ
// before hearing back (the reply was lost) gets one transfer, not a second
// one from another port, which clients take as an error.
func TestResentRequestStartsNoSecondTransfer(t *testing.T) {
	t.Parallel()
	data := pattern(1500)
	_, s := dirServer(t, map[string][]byte{"f": data})
	addr, trs := testServer(t, s)
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rrq := []byte("\x00\x01f\x00octet\x00")
	conn.WriteToUDPAddrPort(rrq, addr)
	var got []byte
	var from netip.AddrPort
	for block := uint16(1); ; block++ {
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 1024)
		n, src, err := conn.ReadFromUDPAddrPort(b)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePacket(b[:n])
		if err == nil && p.Op == OpDATA && p.Block == block-1 && src == from {
			// The transfer resent the block before our ACK reached it (a
			// slow, loaded machine): the retransmission rule, not a second
			// transfer.
			block--
			continue
		}
		if err != nil || p.Op != OpDATA || p.Block != block {
			t.Fatalf("got %v %d (%v) from %v, want DATA %d", p.Op, p.Block, err, src, block)
		}
		if from.IsValid() && src != from {
			t.Fatalf("DATA %d came from %v, the transfer runs on %v: a second transfer was started", block, src, from)
		}
		from = src
		got = append(got, p.Data...)
		if block == 1 {
			// The client resends its request while the transfer waits for
			// its first ACK, as a client does whose reply was slow; the
			// pause lets the server read it before the transfer can end
			// (a request after the end would rightly start a new one).
			conn.WriteToUDPAddrPort(rrq, addr)
			time.Sleep(200 * time.Millisecond)
		}
		conn.WriteToUDPAddrPort((&packet{Op: OpACK, Block: block}).append(nil), src)
		if len(p.Data) < 512 {
			break
		}
	}
	if !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	// Nothing else arrives: no DATA 1 from a second transfer.
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, src, err := conn.ReadFromUDPAddrPort(make([]byte, 1024)); err == nil {
		t.Errorf("unexpected %d-byte packet from %v after the transfer", n, src)
	}
	if trl := trs.wait(t, 1); trl[0].Err != nil {
		t.Errorf("transfer: %v", trl[0].Err)
	}
}

// TestTimeoutReportsBlock: a client that stops acknowledging mid-file ends
// the transfer with a timeout, and the report says after which block, so
// that a boot timeline can say where a machine stopped.
func TestTimeoutReportsBlock(t *testing.T) {
	t.Parallel()
	s := &Server{Timeout: 20 * time.Millisecond, Retries: 2,
		Files: bootfs.OpenerFunc(func(context.Context, *bootfs.Request) (bootfs.File, error) {
			return bootfs.Bytes(pattern(512 * 10)), nil
		})}
	addr, trs := testServer(t, s)
	client, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.WriteToUDPAddrPort([]byte("\x00\x01f\x00octet\x00"), addr)
	for want := uint16(1); want <= 3; want++ {
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 600)
		n, tid, err := client.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePacket(buf[:n])
		if err != nil || p.Op != OpDATA || p.Block != want {
			t.Fatalf("got %v block %d (%v), want DATA %d", p.Op, p.Block, err, want)
		}
		client.WriteToUDPAddrPort((&packet{Op: OpACK, Block: want}).append(nil), tid)
	}
	// Block 4 is never acknowledged.
	tr := trs.wait(t, 1)[0]
	if !tr.TimedOut() || tr.Acked != 3 || tr.Retransmits != 2 {
		t.Errorf("report: timed out %v (%v), acked %d, %d retransmits; want a timeout after block 3 with 2 retransmits",
			tr.TimedOut(), tr.Err, tr.Acked, tr.Retransmits)
	}
}
