package tftp

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestInterop fetches files with the TFTP clients that boot environments
// and admins actually use. The binaries are required: CI installs curl,
// atftp, tftp-hpa and busybox.
func TestInterop(t *testing.T) {
	t.Parallel()
	t.Run("transfer-sockets", func(t *testing.T) { t.Parallel(); testInterop(t, false, false) })
	// Clients take the server's TID from its first reply, so port 69 (here
	// the listening port) works as one.
	t.Run("single-port", func(t *testing.T) { t.Parallel(); testInterop(t, true, false) })
	// The same clients over IPv6, on both links.
	t.Run("ipv6-transfer-sockets", func(t *testing.T) { t.Parallel(); testInterop(t, false, true) })
	t.Run("ipv6-single-port", func(t *testing.T) { t.Parallel(); testInterop(t, true, true) })
}

func testInterop(t *testing.T, singlePort, ipv6 bool) {
	files := map[string][]byte{
		"small":                pattern(1000),
		"exact":                pattern(512 * 40),  // ends with an empty block at blksize 512
		"exact1468":            pattern(1468 * 30), // and at 1468
		"boot/pxelinux.0":      pattern(300_001),
		"pxelinux.cfg/default": []byte("default install\nlabel install\n  kernel linux\n"),
	}
	_, s := dirServer(t, files)
	s.SinglePort = singlePort
	network, listen := "udp4", "127.0.0.1:0"
	if ipv6 {
		network, listen = "udp6", "[::1]:0"
	}
	addr, trs := testServerOn(t, s, network, listen)
	host, port := addr.Addr().String(), strconv.Itoa(int(addr.Port()))
	urlHost := net.JoinHostPort(host, port) // [::1]:port, RFC 3986 §3.2.2

	type client struct {
		name string
		bin  string
		args func(remote, local string) []string
	}
	clients := []client{
		{"curl", "curl", func(r, l string) []string {
			return []string{"-sS", "--max-time", "20", "-o", l, "tftp://" + urlHost + "/" + r}
		}},
		{"curl-blksize", "curl", func(r, l string) []string {
			return []string{"-sS", "--max-time", "20", "--tftp-blksize", "1468", "-o", l, "tftp://" + urlHost + "/" + r}
		}},
		{"atftp", "atftp", func(r, l string) []string {
			return []string{"-g", "-r", r, "-l", l, host, port}
		}},
		{"atftp-window", "atftp", func(r, l string) []string {
			return []string{"--option", "blksize 1468", "--option", "windowsize 16", "--option", "tsize 0", "-g", "-r", r, "-l", l, host, port}
		}},
		{"tftp-hpa", "tftp", func(r, l string) []string {
			return []string{host, port, "-m", "binary", "-c", "get", r, l}
		}},
		{"busybox", "busybox", func(r, l string) []string {
			return []string{"tftp", "-g", "-r", r, "-l", l, host, port}
		}},
		{"busybox-blksize", "busybox", func(r, l string) []string {
			return []string{"tftp", "-b", "1468", "-g", "-r", r, "-l", l, host, port}
		}},
	}
	out := t.TempDir()
	for _, c := range clients {
		bin, err := exec.LookPath(c.bin)
		if err != nil {
			t.Fatalf("interop client %s not installed (%v): install curl, atftp, tftp-hpa and busybox", c.bin, err)
		}
		for name, want := range files {
			local := filepath.Join(out, c.name+"-"+filepath.Base(name))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, bin, c.args(name, local)...)
			cmd.Dir = out
			outb, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Errorf("%s get %s: %v\n%s", c.name, name, err, outb)
				continue
			}
			got, err := os.ReadFile(local)
			if err != nil {
				t.Errorf("%s get %s: %v", c.name, name, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s get %s: got %d bytes, want %d; content differs\n%s", c.name, name, len(got), len(want), outb)
			}
		}
	}
	// Each transfer was reported with the client's address of the family
	// it came over (events and the timeline key on it).
	trs.mu.Lock()
	defer trs.mu.Unlock()
	if len(trs.list) == 0 {
		t.Error("no transfer reported")
	}
	for _, tr := range trs.list {
		if tr.Remote.Addr().Is6() != ipv6 || tr.Local.Is6() != ipv6 {
			t.Errorf("transfer of %s reported from %v to %v, want IPv6 %v", tr.Path, tr.Remote, tr.Local, ipv6)
		}
	}
}
