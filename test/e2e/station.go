//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Station is a machine of examples/seed.yaml: its MAC and reserved address.
type Station struct {
	Name string
	MAC  string
	IP   netip.Addr
}

// The stations examples/seed.yaml reserves addresses for.
var (
	station01 = Station{"station-01", "00:18:e7:42:84:3a", netip.MustParseAddr("192.168.1.101")}
	station02 = Station{"station-02", "00:18:e7:42:85:21", netip.MustParseAddr("192.168.1.102")}
	station03 = Station{"station-03", "00:18:e7:42:7a:3e", netip.MustParseAddr("192.168.1.103")}
)

// kernelStarted is the first line the Linux kernel prints; without `quiet`
// on the kernel command line it reaches the serial console.
const kernelStarted = "Linux version"

// Guest is a QEMU machine that network-boots through a tap device:
// SeaBIOS with iPXE as the e1000's option ROM, as on most BIOS PCs.
type Guest struct {
	Station
	dir     string
	serial  string // the guest's serial console
	monitor string // QEMU's monitor socket, for screendumps
	log     string // QEMU's own stdout and stderr
	started time.Time
	p       *proc
	reached bool
}

// bootStation powers on a guest with st's MAC on tap in ns. The test's cleanup
// powers it off; when the test failed, it first keeps a PNG screendump, the
// serial log and QEMU's log and prints the serial log's tail.
func bootStation(t *testing.T, ns *Namespace, tap string, st Station) *Guest {
	t.Helper()
	return bootGuest(t, ns, tap, st, biosIPXE)
}

// Firmware is how a guest network-boots.
type Firmware int

const (
	// biosIPXE: SeaBIOS with iPXE as the e1000's option ROM, as on most BIOS PCs.
	biosIPXE Firmware = iota
	// uefiPXE: OVMF's own UEFI PXE client (EDK2) on a virtio NIC it drives
	// itself (no option ROM), as on UEFI PCs.
	uefiPXE
	// uefiHTTP: OVMF as uefiPXE, with its PXE clients switched off through
	// QEMU's firmware config (OvmfPkg's opt/org.tianocore/IPv4PXESupport and
	// IPv6PXESupport knobs, read by PxeBcPcdProducerLib), so that its first
	// network boot option is EDK2's UEFI HTTP Boot over IPv4, as on a machine
	// set up for HTTP Boot only.
	uefiHTTP
	// uefiIPXE: OVMF with iPXE's UEFI build as the e1000's option ROM
	// (efi-e1000.rom carries both builds): iPXE is the NIC's first network
	// boot client, as on UEFI PCs whose NIC ROM is iPXE.
	uefiIPXE
)

func (f Firmware) qemuArgs(tap, mac string) ([]string, error) {
	netdev := []string{"-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"}
	const (
		ovmf = "/usr/share/qemu/OVMF.fd"
		rom  = "/usr/lib/ipxe/qemu/efi-e1000.rom"
	)
	if f != biosIPXE {
		if _, err := os.Stat(ovmf); err != nil {
			return nil, fmt.Errorf("UEFI firmware: %v: run scripts/deps to install ovmf", err)
		}
	}
	if f == biosIPXE || f == uefiIPXE {
		if _, err := os.Stat(rom); err != nil {
			return nil, fmt.Errorf("iPXE option ROM: %v: run scripts/deps to install ipxe-qemu", err)
		}
	}
	switch f {
	case uefiPXE, uefiHTTP:
		args := append([]string{"-machine", "q35", "-bios", ovmf},
			append(netdev, "-device", "virtio-net-pci,netdev=n0,mac="+mac+",romfile=")...)
		if f == uefiHTTP {
			args = append(args,
				"-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=no",
				"-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=no")
		}
		return args, nil
	case uefiIPXE:
		return append([]string{"-machine", "q35", "-bios", ovmf},
			append(netdev, "-device", "e1000,netdev=n0,mac="+mac+",romfile="+rom)...), nil
	default:
		return append([]string{"-machine", "pc"}, append(netdev, "-device", "e1000,netdev=n0,mac="+mac+",romfile="+rom)...), nil
	}
}

// bootGuest powers on a guest with firmware fw; see bootStation.
func bootGuest(t *testing.T, ns *Namespace, tap string, st Station, fw Firmware) *Guest {
	t.Helper()
	return bootGuestWith(t, ns, tap, st, fw, nil)
}

// bootGuestWith is bootGuest with more QEMU arguments (firmware config
// files, say).
func bootGuestWith(t *testing.T, ns *Namespace, tap string, st Station, fw Firmware, extra []string) *Guest {
	t.Helper()
	requireTools(t, "qemu-system-x86_64", "socat", "convert")
	fwArgs, err := fw.qemuArgs(tap, st.MAC)
	if err != nil {
		t.Fatal(err)
	}
	fwArgs = append(fwArgs, extra...)
	dir := filepath.Join(t.TempDir(), st.Name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g := &Guest{
		Station: st,
		dir:     dir,
		serial:  filepath.Join(dir, "serial.log"),
		monitor: filepath.Join(dir, "mon.sock"),
		log:     filepath.Join(dir, "qemu.log"),
	}
	logFile, err := os.Create(g.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// There is no KVM on the build machines: QEMU runs under TCG, slower but
	// the same firmware path. virtio-net with pxe-virtio.rom offers SeaBIOS no
	// network boot entry; the e1000 with iPXE's ROM does.
	args := append([]string{"-name", st.Name, "-m", "1024", "-display", "none",
		"-serial", "file:" + g.serial, "-boot", "n", "-no-reboot",
		"-monitor", "unix:" + g.monitor + ",server,nowait"}, fwArgs...)
	cmd := ns.command(context.Background(), "qemu-system-x86_64", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	g.started = time.Now()
	g.p, err = start("qemu "+st.Name, cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && !g.reached {
			if !g.p.exited() {
				g.screendump(t)
			}
			t.Logf("%s serial console (tail of %s):\n%s", st.Name, g.serial, tail(g.serial, 40))
			t.Logf("%s QEMU log:\n%s", st.Name, tail(g.log, 20))
			keepArtifact(t, g.serial, st.Name+"-serial.log")
			keepArtifact(t, g.log, st.Name+"-qemu.log")
		}
		g.powerOff()
	})
	return g
}

// waitKernel waits until the guest's serial console shows the kernel
// starting, and returns how long that took from power-on.
func (g *Guest) waitKernel(ctx context.Context) (time.Duration, error) {
	err := waitFor(ctx, 250*time.Millisecond, func() (bool, error) {
		data, err := os.ReadFile(g.serial)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
		if bytes.Contains(data, []byte(kernelStarted)) {
			return true, nil
		}
		if g.p.exited() {
			return false, fmt.Errorf("%w: %v", errExited, g.p.err)
		}
		return false, nil
	})
	took := time.Since(g.started).Round(100 * time.Millisecond)
	if err != nil {
		return took, fmt.Errorf("%s (%s) did not reach %q within %v: %w", g.Name, g.MAC, kernelStarted, took, err)
	}
	g.reached = true
	return took, nil
}

// powerOff stops QEMU; the installer has nothing more to show the tests.
func (g *Guest) powerOff() {
	g.p.stop(syscall.SIGTERM, 5*time.Second)
}

// screendump keeps a PNG of the guest's screen: what iPXE, PXELINUX or the
// BIOS printed before anything reached the serial console.
func (g *Guest) screendump(t *testing.T) {
	ppm := filepath.Join(g.dir, "screen.ppm")
	png := filepath.Join(artifactsDir(t), g.Name+"-screen.png")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	mon := exec.CommandContext(ctx, "socat", "-t", "2", "-", "UNIX-CONNECT:"+g.monitor)
	mon.Stdin = strings.NewReader("screendump " + ppm + "\n")
	if out, err := mon.CombinedOutput(); err != nil {
		t.Logf("%s screendump: %v: %s", g.Name, err, out)
		return
	}
	if err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		fi, err := os.Stat(ppm)
		return err == nil && fi.Size() > 0, nil
	}); err != nil {
		t.Logf("%s screendump: QEMU wrote no %s", g.Name, ppm)
		return
	}
	if out, err := exec.CommandContext(ctx, "convert", ppm, png).CombinedOutput(); err != nil {
		t.Logf("%s screendump: convert: %v: %s", g.Name, err, out)
		return
	}
	t.Logf("%s screen: %s", g.Name, png)
}
