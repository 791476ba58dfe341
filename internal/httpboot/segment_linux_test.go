package httpboot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pxed/pxed/internal/bootfs"
)

// acceptedListener hands a second descriptor of each connection it
// accepts to conns: the socket stays open for the test to read after the
// server has closed its own.
type acceptedListener struct {
	net.Listener
	conns chan net.Conn
}

func (l acceptedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		c.Close()
		return nil, err
	}
	defer f.Close()
	dup, err := net.FileConn(f)
	if err != nil {
		c.Close()
		return nil, err
	}
	l.conns <- dup
	return c, nil
}

// serveOneFile serves a root holding only name, with body, on ln until
// the test ends.
func serveOneFile(t *testing.T, ln net.Listener, name string, body []byte) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := bootfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- (&Server{Files: files}).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A client whose SYN asks for the RFC 9293 default segment size, as GRUB's
// (which sends no MSS option) gets it, is sent full-size segments once it
// names itself GRUB, and only then; the file arrives whole either way.
// Raising the size needs CAP_NET_ADMIN: without it the size stays.
func TestGRUBGetsFullSizeSegments(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100_000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := acceptedListener{ln, make(chan net.Conn, 4)}
	serveOneFile(t, accepted, "initrd.gz", body)

	can := canSetSegment()
	for _, c := range []struct {
		agent  string
		raised bool
	}{
		{"GRUB 2.06", can},
		{"curl/7.88.1", false},
	} {
		// TCP_MAXSEG before connect: the SYN advertises 536, so the server
		// starts where it starts with GRUB.
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_MAXSEG, defaultMSS4) })
			return serr
		}}
		tr := &http.Transport{DialContext: d.DialContext} // kept alive: the server side is read below
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/initrd.gz", nil)
		req.Header.Set("User-Agent", c.agent)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: read %d bytes (%v), want the whole %d", c.agent, len(got), err, len(body))
		}
		sc := <-accepted.conns
		sent, adv, err := segmentSizes(sc)
		sc.Close()
		tr.CloseIdleConnections()
		if err != nil {
			t.Fatal(err)
		}
		if raised := sent > defaultMSS4; raised != c.raised {
			t.Errorf("%s: server sends %d-byte segments (path allows %d, CAP_NET_ADMIN %v); raised %v, want %v", c.agent, sent, adv, can, raised, c.raised)
		}
	}
}

// GRUB's connection ends with a reset once GRUB has acknowledged the whole
// answer (its read then stops waiting at once); the body arrives whole
// before it. Other clients keep their connection open for the next
// request.
func TestGRUBConnectionResetAfterAnswer(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100_000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveOneFile(t, ln, "linux", body)

	for _, c := range []struct {
		agent string
		reset bool
	}{
		{"GRUB 2.06-13+deb12u2", true},
		{"iPXE/1.21.1", false},
	} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// GRUB's request, as http.c writes it.
		io.WriteString(conn, "GET /linux HTTP/1.1\r\nHost: "+ln.Addr().String()+"\r\nUser-Agent: "+c.agent+"\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.agent, err)
		}
		got, err := io.ReadAll(io.LimitReader(resp.Body, resp.ContentLength))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: read %d bytes (%v), want the whole %d", c.agent, len(got), err, len(body))
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		_, err = br.ReadByte()
		if reset := errors.Is(err, syscall.ECONNRESET); reset != c.reset {
			t.Errorf("%s: after the answer, read gives %v; reset %v, want %v", c.agent, err, reset, c.reset)
		}
		if !c.reset && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: connection not kept open: %v", c.agent, err)
		}
	}
}
