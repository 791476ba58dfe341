package httpboot

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/events"
)

// rawRequest sends text on a new connection to the server at base and
// returns the status line of the answer ("" if the server closed the
// connection without one) and how long that took.
func rawRequest(t *testing.T, base, text string) (string, time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := io.WriteString(c, text); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), time.Since(start)
}

// TestRefusesRequestBodies: the server is read-only; a GET that announces a
// body, by length or chunked, is refused with 413 without reading it.
func TestRefusesRequestBodies(t *testing.T) {
	base, _, _ := serve(t)
	for name, req := range map[string]string{
		"Content-Length": "GET /debian-installer/linux HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
		"chunked":        "GET /debian-installer/linux HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	} {
		if status, _ := rawRequest(t, base, req); status != "HTTP/1.1 413 Request Entity Too Large" {
			t.Errorf("%s: got %q, want 413", name, status)
		}
	}
	// A plain GET on the same server still works.
	if resp, _ := get(t, base+"/debian-installer/linux", nil); resp.StatusCode != 200 {
		t.Errorf("plain GET: %d", resp.StatusCode)
	}
}

// TestHeaderLimit: a request whose headers pass MaxHeaderBytes gets 431.
func TestHeaderLimit(t *testing.T) {
	base, _, _ := serve(t)
	big := "GET /debian-installer/linux HTTP/1.1\r\nHost: x\r\nX-Junk: " + strings.Repeat("a", 2*MaxHeaderBytes) + "\r\n\r\n"
	if status, _ := rawRequest(t, base, big); status != "HTTP/1.1 431 Request Header Fields Too Large" {
		t.Errorf("got %q, want 431", status)
	}
}

// TestSlowHeaders: a client that sends half a request line and waits is
// cut off after ReadHeaderTimeout, not held open.
func TestSlowHeaders(t *testing.T) {
	base, _, _ := serveWith(t, func(s *Server) { s.ReadHeaderTimeout = 300 * time.Millisecond })
	status, took := rawRequest(t, base, "GET /debian-installer/li")
	if took > 3*time.Second {
		t.Errorf("slow client held for %s, want about 300ms", took)
	}
	// net/http answers a request cut off by the header deadline with 400.
	if status != "" && status != "HTTP/1.1 400 Bad Request" && status != "HTTP/1.1 408 Request Timeout" {
		t.Errorf("slow client got %q, want the connection closed, 400 or 408", status)
	}
}

// TestStalledReader: a client that asks for a large file and stops reading
// is cut off after StallTimeout (the server records a failed transfer),
// while the file is far larger than what the socket buffers can hold.
func TestStalledReader(t *testing.T) {
	base, root, log := serveWith(t, func(s *Server) { s.StallTimeout = 300 * time.Millisecond })
	if err := os.WriteFile(filepath.Join(root, "big"), bytes.Repeat([]byte{0x5a}, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err != nil { // the transfer has begun
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range log.Events("ip:127.0.0.1") {
			if e.File == "big" && e.Kind == events.FileFailed {
				if e.Bytes >= 64<<20 {
					t.Fatalf("failed transfer recorded with all %d bytes", e.Bytes)
				}
				return
			}
			if e.File == "big" {
				t.Fatalf("stalled transfer recorded as %+v", e)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("a client that stopped reading was still being served after 10 s")
}

// TestSlowButSteadyReader: a client that reads slowly but keeps reading is
// not cut off by the stall timeout, though the transfer lasts several stall
// timeouts: a 32 MB file, far more than the socket buffers hold, so the
// server's writes block again and again, read 256 KB every 25 ms.
func TestSlowButSteadyReader(t *testing.T) {
	const stall = time.Second
	base, root, _ := serveWith(t, func(s *Server) { s.StallTimeout = stall })
	const size = 32 << 20
	if err := os.WriteFile(filepath.Join(root, "big"), bytes.Repeat([]byte{0x5a}, size), 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start, n := time.Now(), 0
	buf := make([]byte, 256<<10)
	for {
		m, err := io.ReadFull(resp.Body, buf)
		n += m
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes in %s: %v", n, time.Since(start), err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	took := time.Since(start)
	if n != size {
		t.Errorf("read %d bytes in %s, want %d: cut off", n, took, size)
	}
	if took < 3*stall {
		t.Errorf("transfer took %s, want longer than three stall timeouts (%s) for the test to mean anything", took, 3*stall)
	}
}
