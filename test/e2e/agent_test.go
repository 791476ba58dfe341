//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pxed/pxed/internal/agent"
	"github.com/pxed/pxed/internal/agentimage"
	"github.com/pxed/pxed/internal/inventory"
)

// The discovery machine of TestAgentDiscovery: QEMU's arguments that its
// inventory must show.
const (
	agentSerial  = "PXED-TEST-1"
	agentMemMiB  = 1536
	agentMAC     = "52:54:00:a9:00:01" // e1000, the NIC it boots from
	agentMAC2    = "52:54:00:a9:00:02" // virtio-net
	agentToken   = "5f1e0c7a9b3d2e4f"
	agentPort    = "8099"
	agentDisk1   = 8 << 30
	agentDisk2   = 16 << 30
	receiverEnv  = "PXED_E2E_AGENT_RECEIVER" // dir: run as the receiver
	receiverAddr = "192.168.1.21:" + agentPort
)

// TestAgentDiscovery boots the discovery initramfs pxed builds (pxed as
// /init and the lab kernel's NIC and disk drivers) on a QEMU machine with
// two disks, two NICs and a set SMBIOS serial, and checks that the
// inventory the agent posts matches QEMU's arguments. The receiver answers
// the post with "wait" and the first poll with "poweroff", after which
// QEMU must exit by itself.
func TestAgentDiscovery(t *testing.T) {
	t.Run("bios", func(t *testing.T) { testAgent(t, inventory.ModeBIOS) })
	t.Run("uefi", func(t *testing.T) { testAgent(t, inventory.ModeUEFI) })
}

func testAgent(t *testing.T, mode string) {
	requireTools(t, "qemu-system-x86_64", "dnsmasq")
	root := disklessRoot(t)
	kernel := filepath.Join(root, "vmlinuz")
	modules, err := filepath.Glob(filepath.Join(root, "root", "lib", "modules", "*"))
	if err != nil || len(modules) != 1 {
		t.Fatalf("module tree under %s: %v %v", root, modules, err)
	}
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	initrd := filepath.Join(dir, "initrd.img")
	f, err := os.Create(initrd)
	if err != nil {
		t.Fatal(err)
	}
	built, err := agentimage.Build(t.Context(), f, agentimage.Spec{Binary: bin, Modules: modules[0]}, agentimage.Zstd)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("building the initramfs: %v", err)
	}
	t.Logf("initramfs: %d modules, missing %v", len(built.Modules), built.Missing)

	ns, taps := newBridgeLab(t, 2)
	startDnsmasq(t, ns, dir)
	got := startReceiver(t, ns, dir)

	disk1, disk2 := filepath.Join(dir, "disk1.raw"), filepath.Join(dir, "disk2.raw")
	for file, size := range map[string]int64{disk1: agentDisk1, disk2: agentDisk2} {
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(file, size); err != nil { // sparse
			t.Fatal(err)
		}
	}
	serial := filepath.Join(dir, "serial.log")
	args := []string{"-m", fmt.Sprint(agentMemMiB), "-display", "none", "-no-reboot",
		"-serial", "file:" + serial,
		"-kernel", kernel, "-initrd", initrd,
		"-append", fmt.Sprintf("console=ttyS0,115200 pxed.server=http://%s pxed.token=%s pxed.mac=%s", receiverAddr, agentToken, agentMAC),
		"-smbios", "type=1,serial=" + agentSerial,
		"-drive", "file=" + disk1 + ",format=raw,if=virtio",
		"-drive", "file=" + disk2 + ",format=raw,if=ide",
		"-netdev", "tap,id=n0,ifname=" + taps[0] + ",script=no,downscript=no",
		"-device", "e1000,netdev=n0,mac=" + agentMAC + ",romfile=",
		"-netdev", "tap,id=n1,ifname=" + taps[1] + ",script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=n1,mac=" + agentMAC2 + ",romfile=",
		// QEMU's default CPU under TCG has no RDRAND: without an RNG the
		// kernel's random pool (DHCP transaction IDs) takes minutes.
		"-device", "virtio-rng-pci",
	}
	if mode == inventory.ModeUEFI {
		args = append(args, "-machine", "q35", "-bios", "/usr/share/qemu/OVMF.fd")
	} else {
		args = append(args, "-machine", "pc")
	}
	logFile, err := os.Create(filepath.Join(dir, "qemu.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := ns.command(context.Background(), "qemu-system-x86_64", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	started := time.Now()
	q, err := start("qemu", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		q.stop(syscall.SIGTERM, 5*time.Second)
		if t.Failed() {
			t.Logf("serial console (tail):\n%s", tail(serial, 60))
			keepArtifact(t, serial, "agent-"+mode+"-serial.log")
		}
	})

	// Under TCG the kernel and the agent's module loading take a while;
	// OVMF adds its own start.
	select {
	case <-q.done:
	case <-time.After(6 * time.Minute):
		t.Fatalf("QEMU did not power off within 6 minutes")
	}
	t.Logf("QEMU powered off %s after power-on", time.Since(started).Round(time.Second))
	rep, err := got()
	if err != nil {
		t.Fatal(err)
	}

	if rep.MAC != agentMAC {
		t.Errorf("reported MAC %s, want %s", rep.MAC, agentMAC)
	}
	inv := rep.Inventory
	if b, err := json.Marshal(inv); err == nil {
		t.Logf("inventory: %s", b)
	}
	type summary struct {
		Serial   string
		Firmware string
		Memory   uint64
		Disks    []uint64
		NICs     []string
		Booted   []string
		Threads  int
	}
	s := summary{Serial: inv.DMI.Serial, Firmware: inv.Firmware.Mode, Memory: inv.MemoryBytes, Threads: inv.CPU.Threads}
	for _, d := range inv.Disks {
		s.Disks = append(s.Disks, d.SizeBytes)
	}
	for _, n := range inv.NICs {
		s.NICs = append(s.NICs, n.MAC)
		if n.Booted {
			s.Booted = append(s.Booted, n.MAC)
		}
	}
	// The kernel's enumeration order is not QEMU's argument order.
	slices.Sort(s.Disks)
	slices.Sort(s.NICs)
	want := summary{Serial: agentSerial, Firmware: mode, Memory: agentMemMiB << 20,
		Disks: []uint64{agentDisk1, agentDisk2}, NICs: []string{agentMAC, agentMAC2},
		Booted: []string{agentMAC}, Threads: 1}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("inventory differs from QEMU's arguments (-want +got):\n%s\nfull inventory: %+v", d, inv)
	}
	serialLog, _ := os.ReadFile(serial)
	for _, line := range []string{"pxed agent: inventory sent; server says wait", "pxed agent: server says poweroff", "pxed agent: powering off"} {
		if !strings.Contains(string(serialLog), line) {
			t.Errorf("serial console lacks %q", line)
		}
	}
}

// startDnsmasq serves DHCP on br0 of ns from a small pool: the discovery
// machine's address.
func startDnsmasq(t *testing.T, ns *Namespace, dir string) {
	t.Helper()
	cmd := ns.command(context.Background(), "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
		"--interface=br0", "--bind-interfaces", "--dhcp-range=192.168.1.150,192.168.1.199,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--log-dhcp", "--user=root")
	logf, err := os.Create(filepath.Join(dir, "dnsmasq.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := start("dnsmasq", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 5*time.Second)
		logf.Close()
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", tail(logf.Name(), 20))
		}
	})
}

// startReceiver runs the discovery server's side of the protocol inside
// ns: this test binary again, as TestAgentReceiver, under ip netns exec.
// The function it returns reads what the receiver got.
func startReceiver(t *testing.T, ns *Namespace, dir string) func() (agent.Report, error) {
	t.Helper()
	cmd := ns.command(context.Background(), os.Args[0], "-test.run=^TestAgentReceiver$", "-test.v")
	cmd.Env = append(os.Environ(), receiverEnv+"="+dir)
	logf, err := os.Create(filepath.Join(dir, "receiver.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := start("receiver", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 5*time.Second)
		logf.Close()
		if t.Failed() {
			t.Logf("receiver log:\n%s", tail(logf.Name(), 20))
		}
	})
	return func() (agent.Report, error) {
		var r agent.Report
		b, err := os.ReadFile(filepath.Join(dir, "report.json"))
		if err != nil {
			return r, fmt.Errorf("the receiver got no inventory: %w", err)
		}
		return r, json.Unmarshal(b, &r)
	}
}

// TestAgentReceiver is the receiver startReceiver runs; skipped otherwise.
// It checks the token, keeps the report, answers it with "wait" and the
// first poll with "poweroff".
func TestAgentReceiver(t *testing.T) {
	dir := os.Getenv(receiverEnv)
	if dir == "" {
		t.Skip("run by TestAgentDiscovery")
	}
	var mu sync.Mutex
	reported := false
	mux := http.NewServeMux()
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+agentToken {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return false
		}
		return true
	}
	mux.HandleFunc("POST "+agent.InventoryPath, func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r) {
			return
		}
		var rep agent.Report
		if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		t.Logf("inventory of %s:\n%s", rep.MAC, b)
		mu.Lock()
		reported = true
		mu.Unlock()
		json.NewEncoder(w).Encode(agent.Instruction{Action: "wait"})
	})
	mux.HandleFunc("GET "+agent.InstructionPath, func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r) {
			return
		}
		mu.Lock()
		ok := reported && r.URL.Query().Get("mac") == agentMAC
		mu.Unlock()
		if !ok {
			http.Error(w, "unknown machine", http.StatusNotFound)
			return
		}
		t.Logf("poll from %s: poweroff", r.URL.Query().Get("mac"))
		json.NewEncoder(w).Encode(agent.Instruction{Action: "poweroff"})
	})
	ln, err := net.Listen("tcp", receiverAddr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
}
