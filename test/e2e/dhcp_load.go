//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// Helpers of the DHCP load tests (crash, disk full): pxed restarted many
// times over one data directory, perfdhcp as a relay in the client
// namespace, and the DHCP replies it received read back from a capture.

// loadConfig is a /16 with a large pool, for perfdhcp's thousands of clients.
// perfdhcp acts as a relay (giaddr = its address on cli0, 192.168.1.22), so
// the subnet is chosen by giaddr.
const loadConfig = `interfaces: [srv0]
log: {level: debug, format: text}
dhcp:
  authoritative: true
  lease_time: 12h
  subnets:
    - network: 192.168.0.0/16
      pools: [192.168.2.0-192.168.255.254]
tftp: {enabled: false}
`

// loadLab is a veth lab with perfdhcp's relay address on cli0.
func loadLab(t *testing.T) (server, client *Namespace) {
	t.Helper()
	requireTools(t, "perfdhcp", "tcpdump", "ss")
	server, client = newVethLab(t)
	client.ip(t, "addr", "add", "192.168.1.22/24", "dev", "cli0")
	return server, client
}

// serveLoad starts `pxed serve` with loadConfig over dataDir inside ns,
// appending its output to logFile, and waits until UDP :67 is bound. The
// caller stops it (the test's cleanup kills it if still running).
func serveLoad(t *testing.T, ns *Namespace, dataDir, logFile string) *proc {
	t.Helper()
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(filepath.Dir(logFile), "pxed-load.yaml")
	if err := os.WriteFile(cfg, []byte(loadConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	lf, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	cmd := ns.command(context.Background(), bin, "serve", "--config", cfg, "--data-dir", dataDir)
	cmd.Stdout, cmd.Stderr = lf, lf
	p, err := start("pxed", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGKILL, time.Second) })
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = waitFor(ctx, 20*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, errExited
		}
		out, err := ns.command(ctx, "ss", "-Hlun").Output()
		return err == nil && listensUDP(string(out), "67"), nil
	})
	if err != nil {
		t.Fatalf("pxed not serving: %v; log:\n%s", err, tail(logFile, 30))
	}
	return p
}

// captureDHCP runs tcpdump on ifname in ns, writing DHCP (port 67, where the
// replies to a relay go) to a pcap file. stop ends it and returns the file.
func captureDHCP(t *testing.T, ns *Namespace, ifname string) (stop func() string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dhcp.pcap")
	cmd := ns.command(context.Background(), "tcpdump", "-i", ifname, "-n", "-U", "-B", "8192", "-s", "1500", "-w", file, "udp", "port", "67")
	p, err := start("tcpdump", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGKILL, time.Second) })
	// tcpdump creates the file once it listens.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := waitFor(ctx, 20*time.Millisecond, func() (bool, error) {
		_, err := os.Stat(file)
		return err == nil, nil
	}); err != nil {
		t.Fatalf("tcpdump did not start: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	return func() string {
		p.stop(syscall.SIGINT, 5*time.Second)
		return file
	}
}

// perfdhcpRun is perfdhcp's own account of a run.
type perfdhcpRun struct {
	Discovers, Offers, Requests, Acks int
	Output                            string
}

var perfSection = regexp.MustCompile(`Statistics for: (DISCOVER-OFFER|REQUEST-ACK)`)
var perfCount = regexp.MustCompile(`(?m)^(sent|received) packets: (\d+)`)

// runPerfdhcp starts perfdhcp as a relay on cli0 with clients distinct MACs at
// rate exchanges per second for period (0: until stopped with SIGINT).
func runPerfdhcp(t *testing.T, ns *Namespace, clients, rate int, period time.Duration) (wait func() perfdhcpRun, stop func() perfdhcpRun) {
	t.Helper()
	args := []string{"-4", "-l", "cli0", "-R", strconv.Itoa(clients), "-r", strconv.Itoa(rate)}
	if period > 0 {
		args = append(args, "-p", strconv.Itoa(int(period.Seconds())))
	}
	out := filepath.Join(t.TempDir(), "perfdhcp.txt")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.command(context.Background(), "perfdhcp", append(args, "192.168.1.21")...)
	cmd.Stdout, cmd.Stderr = f, f
	p, err := start("perfdhcp", cmd)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGKILL, time.Second) })
	result := func() perfdhcpRun {
		data, _ := os.ReadFile(out)
		r := perfdhcpRun{Output: string(data)}
		secs := perfSection.FindAllStringSubmatchIndex(r.Output, -1)
		for i, s := range secs {
			end := len(r.Output)
			if i+1 < len(secs) {
				end = secs[i+1][0]
			}
			name := r.Output[s[2]:s[3]]
			for _, m := range perfCount.FindAllStringSubmatch(r.Output[s[1]:end], -1) {
				n, _ := strconv.Atoi(m[2])
				switch name + " " + m[1] {
				case "DISCOVER-OFFER sent":
					r.Discovers = n
				case "DISCOVER-OFFER received":
					r.Offers = n
				case "REQUEST-ACK sent":
					r.Requests = n
				case "REQUEST-ACK received":
					r.Acks = n
				}
			}
		}
		return r
	}
	wait = func() perfdhcpRun {
		select {
		case <-p.done:
		case <-time.After(period + 30*time.Second):
			p.stop(syscall.SIGINT, 5*time.Second)
		}
		return result()
	}
	stop = func() perfdhcpRun {
		p.stop(syscall.SIGINT, 10*time.Second)
		return result()
	}
	return wait, stop
}

// dhcpAck is one DHCPACK seen on the wire.
type dhcpAck struct {
	MAC string
	IP  netip.Addr
}

// readACKs returns the DHCPACKs with an address (yiaddr) in a pcap file of
// Ethernet frames, in capture order. It reads the classic pcap format
// itself: Ethernet, IPv4 and UDP headers, then the DHCP message.
func readACKs(file string) ([]dhcpAck, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var gh [24]byte
	if _, err := io.ReadFull(r, gh[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", err)
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(gh[:4]) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, errors.New("not a pcap file")
	}
	if lt := bo.Uint32(gh[20:24]); lt != 1 {
		return nil, fmt.Errorf("pcap link type %d, want Ethernet (1)", lt)
	}
	var acks []dhcpAck
	var rh [16]byte
	for {
		if _, err := io.ReadFull(r, rh[:]); err != nil {
			return acks, nil // end, or a record cut off by the capture's end
		}
		frame := make([]byte, bo.Uint32(rh[8:12]))
		if _, err := io.ReadFull(r, frame); err != nil {
			return acks, nil
		}
		if a, ok := parseACK(frame); ok {
			acks = append(acks, a)
		}
	}
}

func parseACK(frame []byte) (dhcpAck, bool) {
	if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:14]) != 0x0800 {
		return dhcpAck{}, false
	}
	ip := frame[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ip[9] != 17 || len(ip) < ihl+8 {
		return dhcpAck{}, false
	}
	udp := ip[ihl:]
	m, err := dhcpv4.FromBytes(udp[8:])
	if err != nil || m.OpCode != dhcpv4.OpcodeBootReply || m.MessageType() != dhcpv4.MessageTypeAck {
		return dhcpAck{}, false
	}
	yi, ok := netip.AddrFromSlice(m.YourIPAddr.To4())
	if !ok || yi.IsUnspecified() {
		return dhcpAck{}, false
	}
	return dhcpAck{MAC: net.HardwareAddr(m.ClientHWAddr).String(), IP: yi}, true
}

// checkAcked fails the test unless every address ACKed on the wire is in
// leases for the MAC it was last ACKed to, and no address was ACKed to two
// MACs or is held twice in the store.
func checkAcked(t *testing.T, acks []dhcpAck, leases []Lease) {
	t.Helper()
	last := map[netip.Addr]string{}
	for _, a := range acks {
		if prev, ok := last[a.IP]; ok && prev != a.MAC {
			t.Errorf("%s acknowledged to %s and to %s", a.IP, prev, a.MAC)
		}
		last[a.IP] = a.MAC
	}
	store := map[netip.Addr]Lease{}
	for _, l := range leases {
		if o, dup := store[l.IP]; dup {
			t.Errorf("pxed leases lists %s twice: %s and %s", l.IP, o.MAC, l.MAC)
		}
		store[l.IP] = l
	}
	lost := 0
	for ip, mac := range last {
		l, ok := store[ip]
		if !ok || l.MAC != mac || l.State != "bound" {
			if lost++; lost <= 10 {
				t.Errorf("acknowledged lease %s → %s missing from pxed leases (store has %q %q)", ip, mac, l.MAC, l.State)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged leases lost", lost, len(last))
	}
}

// readLeasesDir runs `pxed leases --json` over dataDir.
func readLeasesDir(t *testing.T, dataDir string) []Lease {
	t.Helper()
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	x := &Pxed{bin: bin, dataDir: dataDir}
	ls, err := x.readLeases(t)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}
