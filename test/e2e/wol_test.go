//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/wol"
)

// station02MAC is station-02's MAC in examples/seed.yaml.
const station02MAC = "00:18:e7:42:85:21"

// captureCount runs tcpdump on ifname in ns, writing what filter matches to a
// pcap file, until count packets are caught (or stop). It returns once
// tcpdump is listening.
func captureCount(t *testing.T, ns *Namespace, ifname, filter string, count int) (file string, p *proc) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "capture.pcap")
	cmd := ns.command(context.Background(), "tcpdump", "-i", ifname, "-n", "-U", "-c", fmt.Sprint(count), "-w", file, filter)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err = start("tcpdump", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGTERM, 5*time.Second) })
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "listening on") {
				said = true
				listening <- true
			}
		}
		if !said {
			listening <- false
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case ok := <-listening:
		if !ok {
			t.Fatal("tcpdump ended before it listened")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("tcpdump did not start listening")
	}
	return file, p
}

// udpFrame is an Ethernet frame carrying a UDP datagram over IPv4.
type udpFrame struct {
	EthDst, EthSrc net.HardwareAddr
	IPDst          netip.Addr
	Port           uint16
	Payload        []byte
}

// readUDPFrames reads the Ethernet/IPv4/UDP frames of a pcap file (the
// classic format tcpdump -w writes; link type Ethernet).
func readUDPFrames(t *testing.T, file string) []udpFrame {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 {
		t.Fatalf("%s: %d bytes, no pcap header", file, len(b))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch bo.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
	default:
		bo = binary.BigEndian
	}
	if lt := bo.Uint32(b[20:]); lt != 1 {
		t.Fatalf("%s: link type %d, want Ethernet (1)", file, lt)
	}
	var out []udpFrame
	for rest := b[24:]; len(rest) >= 16; {
		n := int(bo.Uint32(rest[8:]))
		if len(rest) < 16+n {
			break
		}
		f := rest[16 : 16+n]
		rest = rest[16+n:]
		if len(f) < 14+20 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
			continue
		}
		ip := f[14:]
		ihl := int(ip[0]&0xf) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		udp := ip[ihl:]
		out = append(out, udpFrame{EthDst: net.HardwareAddr(f[0:6]), EthSrc: net.HardwareAddr(f[6:12]),
			IPDst: netip.AddrFrom4([4]byte(ip[16:20])), Port: binary.BigEndian.Uint16(udp[2:]), Payload: udp[8:]})
	}
	return out
}

// timelineSteps is a machine's timeline as GET /api/v1/machines/{mac}
// answers it, its steps only.
type timelineSteps struct {
	Boots []struct {
		Steps []struct {
			Kind   string `json:"kind"`
			Detail string `json:"detail"`
			By     string `json:"by"`
		} `json:"steps"`
	} `json:"boots"`
}

// apiGet GETs path from pxed's API inside ns with the token and decodes it.
func apiGet(t *testing.T, ns *Namespace, token, path string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := ns.command(ctx, "curl", "-fsS", "-H", "Authorization: Bearer "+token, "http://127.0.0.1:9069"+path).Output()
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, out)
	}
}

// actionsOf lists a machine's operator steps, "kind: detail (by)".
func actionsOf(t *testing.T, ns *Namespace, token, mac string) []string {
	t.Helper()
	var tl timelineSteps
	apiGet(t, ns, token, "/api/v1/machines/"+mac, &tl)
	var out []string
	for _, b := range tl.Boots {
		for _, s := range b.Steps {
			if s.Kind == "adopted" || s.Kind == "action" {
				out = append(out, s.Kind+": "+s.Detail+" ("+s.By+")")
			}
		}
	}
	return out
}

// TestWakeOnLAN: `pxed hosts wake station-02` and `pxed hosts reinstall
// station-02`, run in the lab namespace against the running pxed, each
// send a magic packet that a machine on the bridge receives: an Ethernet
// broadcast to the subnet's broadcast address, UDP port 9, the six 0xFF
// bytes and station-02's MAC sixteen times. Both actions are on
// station-02's timeline with who did them.
func TestWakeOnLAN(t *testing.T) {
	requireTools(t, "tcpdump", "curl")
	ns, _ := newBridgeLab(t, 0)
	// A machine's port on the bridge: the capture is what it receives.
	ns.ip(t, "link", "add", "vm0", "type", "veth", "peer", "name", "vm0p")
	ns.ip(t, "link", "set", "vm0", "master", "br0")
	ns.ip(t, "link", "set", "vm0", "up")
	ns.ip(t, "link", "set", "vm0p", "up")
	px := startPxed(t, ns, pxedOptions{Interface: "br0"})
	token := waitWeb(t, ns, px)
	file, tcpdump := captureCount(t, ns, "vm0p", "udp port 9", 2)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cli := func(args ...string) string {
		t.Helper()
		cmd := ns.command(ctx, px.bin, append(args, "--api", "http://127.0.0.1:9069", "--token-file", filepath.Join(px.dataDir, "api-token"))...)
		cmd.Env = append(os.Environ(), "USER=operator")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pxed %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := cli("hosts", "wake", "station-02")
	if want := "magic packet for " + station02MAC + " sent to 192.168.1.255\n"; out != want {
		t.Errorf("pxed hosts wake: %q, want %q", out, want)
	}
	out = cli("hosts", "reinstall", "station-02")
	if !strings.Contains(out, "woken: magic packet for "+station02MAC+" sent to 192.168.1.255") {
		t.Errorf("pxed hosts reinstall: %q", out)
	}
	select {
	case <-tcpdump.done:
	case <-time.After(10 * time.Second):
		tcpdump.stop(syscall.SIGTERM, 5*time.Second)
	}
	frames := readUDPFrames(t, file)
	if len(frames) != 2 {
		t.Fatalf("captured %d datagrams to port 9 on the bridge, want 2 (wake, reinstall)", len(frames))
	}
	for i, f := range frames {
		mac, pw, err := wol.Parse(f.Payload)
		if err != nil {
			t.Errorf("datagram %d: %v (% x)", i+1, err, f.Payload)
			continue
		}
		got := fmt.Sprintf("eth %s ip %s port %d wakes %s password %x bytes %d", f.EthDst, f.IPDst, f.Port, mac, pw, len(f.Payload))
		want := "eth ff:ff:ff:ff:ff:ff ip 192.168.1.255 port 9 wakes " + station02MAC + " password  bytes 102"
		if got != want {
			t.Errorf("datagram %d: %s, want %s", i+1, got, want)
		}
		t.Logf("datagram %d: %s", i+1, got)
	}

	want := []string{
		"action: wake-on-LAN to 192.168.1.255 (cli operator 127.0.0.1)",
		"action: reinstall: netboot once (cli operator 127.0.0.1)",
		"action: wake-on-LAN to 192.168.1.255 (cli operator 127.0.0.1)",
	}
	if got := actionsOf(t, ns, token, station02MAC); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("station-02's timeline holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var host struct {
		Netboot string `json:"netboot"`
	}
	apiGet(t, ns, token, "/api/v1/hosts/station-02", &host)
	if host.Netboot != "once" {
		t.Errorf("station-02 after reinstall: netboot %q, want once", host.Netboot)
	}
}
