//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lossTimeout is pxed's retransmission timeout in the loss test: short, so
// that the ~10 % of lock-step rounds that lose a packet cost little time.
const lossTimeout = 100 * time.Millisecond

// TestTFTPLoss fetches a 2 MB file (1,469 blocks) from `pxed serve` through a link that
// loses 5 %, duplicates 2 % and reorders 5 % of the UDP packets in each
// direction, with atftp at windowsize 1, 8 and 64. Each copy must be
// byte-identical, and a capture of everything the server sent and received
// must show that no block was sent more often than RFC 7440 §4 allows.
//
// The lab's kernel has no netem (CONFIG_NET_SCH_NETEM is not set), so the
// impairment is a helper process in a namespace between server and client
// (TestTFTPImpairHelper) that forwards frames between two veth pairs, each
// direction with its own loss, duplication and reordering. The capture on
// the server's own interface is then exactly what pxed sent and what reached
// it (a capture behind netem would also miss netem's drops).
func TestTFTPLoss(t *testing.T) {
	requireRoot(t)
	requireTools(t, "ip", "tcpdump", "atftp", "ss")
	server := newNamespace(t, "tsrv")
	wan := newNamespace(t, "twan")
	client := newNamespace(t, "tcli")
	server.ip(t, "link", "add", "srv0", "type", "veth", "peer", "name", "w-srv", "netns", wan.Name)
	client.ip(t, "link", "add", "cli0", "type", "veth", "peer", "name", "w-cli", "netns", wan.Name)
	for _, port := range []string{"w-srv", "w-cli"} {
		wan.ip(t, "link", "set", port, "promisc", "on")
		wan.ip(t, "link", "set", port, "up")
	}
	server.ip(t, "addr", "add", serverAddr, "dev", "srv0")
	server.ip(t, "link", "set", "srv0", "up")
	client.ip(t, "addr", "add", "192.168.1.50/24", "dev", "cli0")
	client.ip(t, "link", "set", "cli0", "up")
	impair := wan.command(context.Background(), os.Args[0], "-test.run=^TestTFTPImpairHelper$")
	impair.Env = append(os.Environ(), impairEnv+"=w-srv,w-cli")
	impairOut := filepath.Join(t.TempDir(), "impair.log")
	if f, err := os.Create(impairOut); err == nil {
		impair.Stdout, impair.Stderr = f, f
		defer f.Close()
	}
	ip, err := start("impairment", impair)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ip.stop(syscall.SIGKILL, 5*time.Second) })

	root := filepath.Join(t.TempDir(), "tftp")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 2<<20)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range data {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		data[i] = byte(x)
	}
	if err := os.WriteFile(filepath.Join(root, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	x2 := startTFTPOnly(t, server, root, fmt.Sprintf("timeout: %s\n  retries: 6", lossTimeout))

	const blksize = 1428
	for _, window := range []int{1, 8, 64} {
		t.Run("windowsize="+strconv.Itoa(window), func(t *testing.T) {
			pcap := filepath.Join(t.TempDir(), "srv0.pcap")
			stopCapture := capture(t, server, "srv0", pcap)
			out := filepath.Join(t.TempDir(), "big")
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			b, err := client.command(ctx, "atftp", "--option", "windowsize "+strconv.Itoa(window),
				"--option", "blksize "+strconv.Itoa(blksize), "-g", "-r", "big", "-l", out, "192.168.1.21", "69").CombinedOutput()
			if err != nil {
				t.Fatalf("atftp: %v\n%s", err, b)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(got) != want {
				t.Fatalf("atftp got %d bytes, want %d; sha256 differs", len(got), len(data))
			}
			elapsed := time.Since(start)
			// pxed logs the transfer once it ends; after a lost final ACK it
			// first retransmits until its retries run out.
			line := x2.waitTransferLine(t, window)
			stopCapture()
			retransmits := logInt(t, line, "retransmits")
			blocks := int64(len(data)/blksize + 1)
			st := checkRetransmissions(t, pcap, window, blocks)
			// The client holds every byte (checked above). pxed reports the
			// transfer complete once the last block is acknowledged; when the
			// link lost that final ACK (the client sends it once and leaves,
			// RFC 1350 §6), pxed can only time out, and says so.
			switch failed := strings.Contains(line, "error="); {
			case failed && st.finalAcked:
				t.Errorf("pxed logged %q though the capture shows the last block acknowledged", line)
			case failed:
				t.Logf("the link lost the client's final ACK; pxed logged the timeout it saw")
			case !st.finalAcked:
				t.Errorf("pxed logged a complete transfer, but no ACK of the last block reached it: %q", line)
			}
			t.Logf("windowsize %d: %v, %d blocks, %d DATA sent (%d retransmits in the log), %d advancing ACKs, %d timeouts, most sends of one block %d",
				window, elapsed.Round(time.Millisecond), blocks, st.data, retransmits, st.acks, st.timeouts, st.maxSends)
			if st.data != blocks+int64(retransmits) {
				t.Errorf("capture has %d DATA packets; pxed logged %d blocks + %d retransmits", st.data, blocks, retransmits)
			}
		})
	}
}

// tftpOnly is a `pxed serve` with DHCP off, started by startTFTPOnly.
type tftpOnly struct {
	log  string
	seen int // transfer lines already consumed
}

// startTFTPOnly runs `pxed serve` in ns with DHCP disabled and TFTP serving
// root on 192.168.1.21:69; extra is YAML added under tftp:. The test's
// cleanup stops it with SIGTERM.
func startTFTPOnly(t *testing.T, ns *Namespace, root, extra string) *tftpOnly {
	t.Helper()
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "pxed.yaml")
	yaml := fmt.Sprintf("interfaces: [srv0]\nlog: {level: info}\ndhcp: {enabled: false}\ntftp:\n  root: %s\n  address: \"192.168.1.21:69\"\n  %s\n", root, extra)
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	x := &tftpOnly{log: filepath.Join(dir, "pxed.log")}
	logFile, err := os.Create(x.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := ns.command(context.Background(), bin, "serve", "--config", config, "--data-dir", dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := start("pxed", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if inTime, err := p.stop(syscall.SIGTERM, 15*time.Second); !inTime || err != nil {
			t.Errorf("pxed did not stop cleanly after SIGTERM: in time %v, %v", inTime, err)
		}
		if t.Failed() {
			t.Logf("pxed log (tail of %s):\n%s", x.log, tail(x.log, 40))
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = waitFor(ctx, 50*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, errExited
		}
		out, err := ns.command(ctx, "ss", "-Hlun").Output()
		return err == nil && listensUDP(string(out), "69"), nil
	})
	if err != nil {
		t.Fatalf("pxed did not bind UDP 69: %v\n%s", err, tail(x.log, 20))
	}
	return x
}

// waitTransferLine waits for pxed's next "tftp transfer" log line and checks
// that it reports a complete transfer at the given window size.
func (x *tftpOnly) waitTransferLine(t *testing.T, window int) string {
	t.Helper()
	var line string
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := waitFor(ctx, 50*time.Millisecond, func() (bool, error) {
		data, _ := os.ReadFile(x.log)
		var lines []string
		for l := range strings.SplitSeq(string(data), "\n") {
			if strings.Contains(l, `msg="tftp transfer"`) {
				lines = append(lines, l)
			}
		}
		if len(lines) <= x.seen {
			return false, nil
		}
		line = lines[x.seen]
		x.seen++
		return true, nil
	})
	if err != nil {
		t.Fatalf("no tftp transfer line in pxed's log: %v\n%s", err, tail(x.log, 20))
	}
	if !strings.Contains(line, " windowsize="+strconv.Itoa(window)+" ") {
		t.Errorf("transfer line %q: want a transfer at windowsize %d", line, window)
	}
	return line
}

func logInt(t *testing.T, line, key string) int {
	t.Helper()
	m := regexp.MustCompile(`\b` + key + `=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no %s= in %q", key, line)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// capture runs tcpdump on ifname inside ns, writing UDP packets to file; the
// returned function stops it and fails the test if the kernel dropped any
// packet, since the count would then be wrong.
func capture(t *testing.T, ns *Namespace, ifname, file string) func() {
	t.Helper()
	var stderr bytes.Buffer
	cmd := ns.command(context.Background(), "tcpdump", "-i", ifname, "-n", "--immediate-mode", "-U", "-s", "96", "-B", "32768", "-w", file, "udp")
	cmd.Stderr = &stderr
	p, err := start("tcpdump", cmd)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		// tcpdump ends its loop on SIGINT without draining what the kernel
		// still holds for it: wait until the file stops growing first.
		var size int64 = -1
		for range 20 {
			time.Sleep(time.Second)
			st, err := os.Stat(file)
			if err == nil && st.Size() == size {
				break
			}
			if err == nil {
				size = st.Size()
			}
		}
		p.stop(syscall.SIGINT, 10*time.Second)
		captured := regexp.MustCompile(`(\d+) packets? captured`).FindStringSubmatch(stderr.String())
		filtered := regexp.MustCompile(`(\d+) packets? received by filter`).FindStringSubmatch(stderr.String())
		dropped := regexp.MustCompile(`(\d+) packets? dropped by kernel`).FindStringSubmatch(stderr.String())
		if captured == nil || filtered == nil || dropped == nil || captured[1] != filtered[1] || dropped[1] != "0" {
			t.Errorf("tcpdump: the capture is incomplete:\n%s", stderr.String())
		}
	}
	t.Cleanup(stop)
	// tcpdump says "listening on" once its socket is open.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := waitFor(ctx, 20*time.Millisecond, func() (bool, error) {
		return strings.Contains(stderr.String(), "listening on"), nil
	}); err != nil {
		t.Fatalf("tcpdump did not start: %v\n%s", err, stderr.String())
	}
	return stop
}

type lossStats struct {
	data, acks, timeouts int64
	maxSends             int
	// finalAcked: the client's ACK of the last block reached the server.
	finalAcked bool
}

// checkRetransmissions replays the capture of one transfer against the
// sending rule of RFC 7440 §4. The server sends a window — blocks a+1 …
// a+W, a the highest acknowledged block — only when an ACK advances a (the
// window's last block opens the next window; an earlier block means the
// client lost the one after it) or when its timer expires; duplicate or old
// ACKs send nothing (RFC 1123 §4.2.3.1). So for every block b:
//
//	sends(b) ≤ 1 + (advancing ACKs a with a < b ≤ a+W received before that send)
//	             + (timeouts with acked < b ≤ acked+W at the time)
//
// It is checked send by send: each event gives each block of the window it
// opens one credit, and every send of a block after its first must spend one.
// A timeout shows in the capture as DATA sent after the server heard no
// advancing ACK for at least half its timeout (the timer is the only other
// trigger; a window leaves in microseconds).
func checkRetransmissions(t *testing.T, file string, window int, blocks int64) lossStats {
	t.Helper()
	pkts, err := readPcap(file)
	if err != nil {
		t.Fatal(err)
	}
	var st lossStats
	sends := make([]int, blocks+1)
	credits := make([]int, blocks+1)
	var (
		acked    int64 // highest block acknowledged
		lastSend time.Time
		event    bool // an advancing ACK came after the last DATA
		started  bool
	)
	grant := func() {
		for b := acked + 1; b <= min(acked+int64(window), blocks); b++ {
			credits[b]++
		}
	}
	// unwrap turns a 16-bit block number into the block nearest ref.
	unwrap := func(n uint16, ref int64) int64 {
		return ref + int64(int16(n-uint16(ref)))
	}
	for _, p := range pkts {
		if len(p.payload) < 4 {
			continue
		}
		op := binary.BigEndian.Uint16(p.payload)
		num := binary.BigEndian.Uint16(p.payload[2:])
		switch {
		case op == 3 && p.fromServer: // DATA
			b := unwrap(num, acked+1)
			if b < 1 || b > blocks {
				t.Fatalf("DATA for block %d (wire %d) outside 1..%d", b, num, blocks)
			}
			if started && !event && p.ts.Sub(lastSend) >= lossTimeout/2 {
				st.timeouts++
				grant()
			}
			started, event, lastSend = true, false, p.ts
			st.data++
			sends[b]++
			st.maxSends = max(st.maxSends, sends[b])
			if sends[b] > 1 {
				if credits[b] == 0 {
					t.Errorf("block %d sent %d times at %v; no timeout or advancing ACK since its last send allows it", b, sends[b], p.ts.Format("15:04:05.000000"))
					continue
				}
				credits[b]--
			}
		case op == 4 && !p.fromServer: // ACK
			if num == 0 && !started {
				continue // the OACK's acknowledgement
			}
			a := unwrap(num, acked)
			if a > acked {
				acked = a
				st.acks++
				event = true
				grant()
			}
		}
	}
	for b := int64(1); b <= blocks; b++ {
		if sends[b] == 0 {
			t.Errorf("block %d never sent", b)
			break
		}
	}
	st.finalAcked = acked == blocks
	return st
}

type pcapPacket struct {
	ts         time.Time
	fromServer bool // source port 69 or a transfer port of 192.168.1.21
	payload    []byte
}

// readPcap reads the UDP payloads of an Ethernet capture (libpcap format,
// microsecond timestamps), in capture order.
func readPcap(file string) ([]pcapPacket, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, errors.New("pcap: short file")
	}
	le := binary.LittleEndian
	if le.Uint32(b) != 0xa1b2c3d4 {
		return nil, fmt.Errorf("pcap: magic %#x: want a little-endian microsecond capture", le.Uint32(b))
	}
	if lt := le.Uint32(b[20:]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet", lt)
	}
	server := []byte{192, 168, 1, 21}
	var out []pcapPacket
	for r := b[24:]; len(r) >= 16; {
		sec, usec, caplen := le.Uint32(r), le.Uint32(r[4:]), le.Uint32(r[8:])
		if int(caplen) > len(r)-16 {
			return nil, errors.New("pcap: truncated record")
		}
		frame := r[16 : 16+caplen]
		r = r[16+caplen:]
		if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ip := frame[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		out = append(out, pcapPacket{
			ts:         time.Unix(int64(sec), int64(usec)*1000),
			fromServer: bytes.Equal(ip[12:16], server),
			payload:    ip[ihl+8:],
		})
	}
	return out, nil
}
