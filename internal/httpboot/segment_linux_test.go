package httpboot

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pxed/pxed/internal/bootfs"
)

// acceptedListener hands each connection it accepts to conns as well.
type acceptedListener struct {
	net.Listener
	conns chan net.Conn
}

func (l acceptedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.conns <- c
	}
	return c, err
}

// A client whose SYN asks for the RFC 9293 default segment size, as GRUB's
// (which sends no MSS option) gets it, is sent full-size segments once it
// names itself GRUB, and only then; the file arrives whole either way.
// Raising the size needs CAP_NET_ADMIN: without it the size stays.
func TestGRUBGetsFullSizeSegments(t *testing.T) {
	dir := t.TempDir()
	body := bytes.Repeat([]byte("0123456789"), 100_000)
	os.WriteFile(filepath.Join(dir, "initrd.gz"), body, 0o644)
	files, err := bootfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := acceptedListener{ln, make(chan net.Conn, 4)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- (&Server{Files: files}).Serve(ctx, accepted) }()
	t.Cleanup(func() { cancel(); <-done })

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
		sent, adv, err := segmentSizes(<-accepted.conns)
		tr.CloseIdleConnections()
		if err != nil {
			t.Fatal(err)
		}
		if raised := sent > defaultMSS4; raised != c.raised {
			t.Errorf("%s: server sends %d-byte segments (path allows %d, CAP_NET_ADMIN %v); raised %v, want %v", c.agent, sent, adv, can, raised, c.raised)
		}
	}
}
