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
	// arm64UEFI: an arm64 machine, QEMU's virt board with EDK2 for arm64
	// (AAVMF, package qemu-efi-aarch64) and a virtio NIC it drives itself:
	// its UEFI PXE client asks with option 93 = 11, and its kernel console
	// is the board's PL011 UART, ttyAMA0.
	arm64UEFI
	// uefiSecureBoot: OVMF's Secure Boot build (SMM, secure flash) with
	// Microsoft's keys enrolled, a fresh copy of the variables per boot
	// (shim writes its SBAT level into them), on a virtio NIC it drives
	// itself: it starts only signed loaders.
	uefiSecureBoot
	// uefiHTTPSecure: uefiHTTP under Secure Boot enforced: Debian's
	// OVMF_CODE_4M.secboot.fd on q35 with SMM, and a fresh copy of
	// OVMF_VARS_4M.ms.fd (Microsoft's keys enrolled) per boot, as shim
	// writes its SBAT level into the variables.
	uefiHTTPSecure
)

// qemu is the QEMU system emulator that runs machines of firmware f.
func (f Firmware) qemu() string {
	if f == arm64UEFI {
		return "qemu-system-aarch64"
	}
	return "qemu-system-x86_64"
}

// AAVMF's code (read-only) and the variable store each machine gets a copy
// of; without Microsoft's keys (AAVMF_VARS.ms.fd), Secure Boot is off.
const (
	aavmfCode = "/usr/share/AAVMF/AAVMF_CODE.fd"
	aavmfVars = "/usr/share/AAVMF/AAVMF_VARS.fd"
)

// arm64Args are QEMU's arguments for an arm64UEFI machine whose files
// (its copy of the variable store) live in dir. cortex-a72 rather than
// max: under TCG, max emulates pointer authentication at a high cost and
// the installer needs none of its features.
func arm64Args(dir string, netdev []string, mac string) ([]string, error) {
	for _, f := range []string{aavmfCode, aavmfVars} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("arm64 UEFI firmware: %v: run scripts/deps to install qemu-efi-aarch64", err)
		}
	}
	vars := filepath.Join(dir, "AAVMF_VARS.fd")
	if out, err := exec.Command("cp", "--sparse=always", aavmfVars, vars).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("copying %s: %v: %s", aavmfVars, err, out)
	}
	return append([]string{"-machine", "virt", "-cpu", "cortex-a72",
		"-drive", "if=pflash,format=raw,readonly=on,file=" + aavmfCode,
		"-drive", "if=pflash,format=raw,file=" + vars},
		append(netdev, "-device", "virtio-net-pci,netdev=n0,mac="+mac+",romfile=")...), nil
}

// OVMF's Secure Boot build and its variables with Microsoft's keys
// enrolled, from Debian's ovmf package.
const (
	ovmfSecureCode = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
	ovmfSecureVars = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
)

// secureVars writes a fresh copy of the Secure Boot variables into dir
// and returns its path.
func secureVars(dir string) (string, error) {
	vars, err := os.ReadFile(ovmfSecureVars)
	if err != nil {
		return "", fmt.Errorf("Secure Boot variables: %v: run scripts/deps to install ovmf", err)
	}
	file := filepath.Join(dir, "OVMF_VARS.fd")
	return file, os.WriteFile(file, vars, 0o644)
}

// httpBootOnly turns EDK2's PXE clients off, leaving its HTTP Boot
// client the machine's only network boot option.
var httpBootOnly = []string{
	"-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=no",
	"-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=no"}

func (f Firmware) qemuArgs(dir, tap, mac string) ([]string, error) {
	netdev := []string{"-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"}
	const (
		ovmf = "/usr/share/qemu/OVMF.fd"
		rom  = "/usr/lib/ipxe/qemu/efi-e1000.rom"
	)
	if f != biosIPXE && f != arm64UEFI && f != uefiSecureBoot && f != uefiHTTPSecure {
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
	case arm64UEFI:
		return arm64Args(dir, netdev, mac)
	case uefiPXE, uefiHTTP:
		args := append([]string{"-machine", "q35", "-bios", ovmf},
			append(netdev, "-device", "virtio-net-pci,netdev=n0,mac="+mac+",romfile=")...)
		if f == uefiHTTP {
			args = append(args, httpBootOnly...)
		}
		return args, nil
	case uefiSecureBoot, uefiHTTPSecure:
		if _, err := os.Stat(ovmfSecureCode); err != nil {
			return nil, fmt.Errorf("Secure Boot firmware: %v: run scripts/deps to install ovmf", err)
		}
		vars, err := secureVars(dir)
		if err != nil {
			return nil, err
		}
		args := append([]string{"-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on",
			"-drive", "if=pflash,format=raw,unit=0,file=" + ovmfSecureCode + ",readonly=on",
			"-drive", "if=pflash,format=raw,unit=1,file=" + vars},
			append(netdev, "-device", "virtio-net-pci,netdev=n0,mac="+mac+",romfile=")...)
		if f == uefiHTTPSecure {
			args = append(args, httpBootOnly...)
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
	return bootGuestOpts(t, ns, tap, st, fw, guestOptions{Extra: extra})
}

// guestOptions change a guest from the lab's default machine.
type guestOptions struct {
	// Extra QEMU arguments (firmware config files, disks, more NICs).
	Extra []string
	// MemoryMiB is the guest's memory; 0: 1024.
	MemoryMiB int
	// Reboot lets the guest reboot (QEMU's -no-reboot is left out): a
	// machine that restarts by itself into its next boot.
	Reboot bool
}

// bootGuestOpts is bootGuest with the options o.
func bootGuestOpts(t *testing.T, ns *Namespace, tap string, st Station, fw Firmware, o guestOptions) *Guest {
	t.Helper()
	extra := o.Extra
	requireTools(t, fw.qemu(), "socat", "convert")
	dir := filepath.Join(t.TempDir(), st.Name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fwArgs, err := fw.qemuArgs(dir, tap, st.MAC)
	if err != nil {
		t.Fatal(err)
	}
	fwArgs = append(fwArgs, extra...)
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
	mem := o.MemoryMiB
	if mem == 0 {
		mem = 1024
	}
	args := []string{"-name", st.Name, "-m", fmt.Sprint(mem), "-display", "none",
		"-serial", "file:" + g.serial, "-boot", "n",
		"-monitor", "unix:" + g.monitor + ",server,nowait"}
	if !o.Reboot {
		args = append(args, "-no-reboot")
	}
	args = append(args, fwArgs...)
	cmd := ns.command(context.Background(), fw.qemu(), args...)
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
	took, err := g.waitSerialCount(ctx, kernelStarted, 1)
	if err == nil {
		g.reached = true
	}
	return took, err
}

// waitSerialCount waits until the guest's serial console shows want n times,
// and returns how long that took from power-on.
func (g *Guest) waitSerialCount(ctx context.Context, want string, n int) (time.Duration, error) {
	err := waitFor(ctx, 250*time.Millisecond, func() (bool, error) {
		data, err := os.ReadFile(g.serial)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
		if bytes.Count(data, []byte(want)) >= n {
			return true, nil
		}
		if g.p.exited() {
			return false, fmt.Errorf("%w: %v", errExited, g.p.err)
		}
		return false, nil
	})
	took := time.Since(g.started).Round(100 * time.Millisecond)
	if err != nil {
		return took, fmt.Errorf("%s (%s) did not show %q (%d times) within %v: %w", g.Name, g.MAC, want, n, took, err)
	}
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
