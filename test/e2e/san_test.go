//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sanDeadline bounds power-on to the kernel's first line for a station
// booting from iSCSI: SeaBIOS, iPXE, the iSCSI login, SYSLINUX from the
// SAN disk and its kernel and initrd read through iPXE's INT 13h.
const sanDeadline = 90 * time.Second

// sanTarget is the station's target as the test's profile writes it: one
// target per machine, its disk at LUN 1 (tgt keeps LUN 0 for its own
// controller, so a root path with the LUN left empty would name no disk).
const sanTarget = "iscsi:{{.Server}}:::1:iqn.2026-12.lan.test:{{.Hostname}}"

// TestSANBoot is issue 18's SAN promise: station-01, with no disk of its
// own, boots from an iSCSI target (Debian's tgt in the lab's server
// namespace) through iPXE's sanboot, to the kernel's first line on its
// serial console; and pxed's DHCP reply carried the target as its root path
// (option 17).
func TestSANBoot(t *testing.T) {
	requireTools(t, "tgtd", "tgtadm", "nsenter", "unshare", "tcpdump")
	disk := sanDisk(t)
	ns, taps := newBridgeLab(t, 1)
	tgt := startTGT(t, ns, "192.168.1.21")
	const iqn = "iqn.2026-12.lan.test:station-01"
	tgt.export(t, 1, iqn, disk)
	stopCapture := captureDHCP(t, ns, "br0")
	px := startPxed(t, ns, pxedOptions{Interface: "br0", Edit: sanProfile})

	g := bootGuest(t, ns, taps[0], station01, biosIPXE)
	ctx, cancel := context.WithTimeout(t.Context(), sanDeadline)
	defer cancel()
	took, err := g.waitKernel(ctx)
	if err != nil {
		t.Logf("tgtd log (tail):\n%s", tail(tgt.log, 20))
		t.Fatal(err)
	}
	t.Logf("%s (SeaBIOS + iPXE → iSCSI sanboot → SYSLINUX on the SAN disk): power-on to %q in %v", g.Name, kernelStarted, took)
	g.powerOff()

	// The script pxed rendered for the station, over HTTP; nothing else
	// came from pxed's boot root: the kernel came from the SAN disk.
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.101 file=ipxe/00-18-e7-42-84-3a.ipxe`)
	if b, _ := os.ReadFile(px.log); strings.Contains(string(b), "file=pxelinux.0") || strings.Contains(string(b), "file=debian-installer/") {
		t.Error("the station fetched a loader or kernel from pxed although it boots from its SAN disk")
	}
	expectLease(t, px.leases(t), station01.MAC, station01.IP)

	// tcpdump decodes option 17 (as "RP (17), length 54: "iscsi:…""): the
	// ACK (and the OFFER) carried the station's target, as the firmware's
	// iSCSI client and iPXE read it.
	want := "iscsi:192.168.1.21:::1:" + iqn
	out, err := exec.Command("tcpdump", "-r", stopCapture(), "-n", "-vv").CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump -r: %v\n%s", err, out)
	}
	rootPath := regexp.MustCompile(`\(17\), length \d+: "` + regexp.QuoteMeta(want) + `"`)
	if n := len(rootPath.FindAll(out, -1)); n < 2 {
		t.Errorf("%d DHCP replies carried option 17 %q, want the OFFER and the ACK; the capture:\n%s", n, want, out)
	}
}

// sanProfile gives station-01 a profile that boots its iSCSI target. The
// seed gives iPXE clients their generated script (http.ipxe_script), which
// is how the target reaches iPXE.
func sanProfile(y string) string {
	y = replaceOnce(y, "\n# Known machines", "  - name: san\n    san:\n      target: \""+sanTarget+"\"\n\n# Known machines")
	return replaceOnce(y, "    ip: 192.168.1.101\n", "    ip: 192.168.1.101\n    boot: {profile: san}\n")
}

// tgtDaemon is Debian's user-space iSCSI target (tgtd) inside the lab's
// server namespace. Its control socket and lock live in a private /run of
// its own mount namespace: tgtadm reaches it by entering that namespace,
// and nothing is left on the host's /run.
type tgtDaemon struct {
	p   *proc
	log string
}

// startTGT starts tgtd in the foreground in ns, listening for iSCSI on
// portal:3260 only, and waits until it answers tgtadm. The test's cleanup
// stops it.
func startTGT(t *testing.T, ns *Namespace, portal string) *tgtDaemon {
	t.Helper()
	d := &tgtDaemon{log: filepath.Join(t.TempDir(), "tgtd.log")}
	logFile, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// ip netns exec, unshare and sh exec in turn: the PID is tgtd's.
	cmd := ns.command(context.Background(), "unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs -o mode=0755 tgt-run /run && exec tgtd -f --iscsi portal="+portal+":3260")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	d.p, err = start("tgtd", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.p.stop(syscall.SIGTERM, 5*time.Second)
		if t.Failed() {
			keepArtifact(t, d.log, "tgtd.log")
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		if d.p.exited() {
			return false, errExited
		}
		_, err := d.admin("--op", "show", "--mode", "target")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("tgtd did not answer tgtadm: %v; log:\n%s", err, tail(d.log, 20))
	}
	return d
}

// admin runs tgtadm in tgtd's namespaces (its private /run, its network).
func (d *tgtDaemon) admin(args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(d.p.cmd.Process.Pid), "-m", "-n",
		"tgtadm", "--lld", "iscsi"}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tgtadm %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// export makes target tid, named iqn, with image as its LUN 1, read-only
// (the image is the machine's shared cache), open to every initiator.
func (d *tgtDaemon) export(t *testing.T, tid int, iqn, image string) {
	t.Helper()
	id := strconv.Itoa(tid)
	for _, args := range [][]string{
		{"--op", "new", "--mode", "target", "--tid", id, "--targetname", iqn},
		{"--op", "new", "--mode", "logicalunit", "--tid", id, "--lun", "1", "--backing-store", image},
		{"--op", "update", "--mode", "logicalunit", "--tid", id, "--lun", "1", "--params", "readonly=1"},
		{"--op", "bind", "--mode", "target", "--tid", id, "--initiator-address", "ALL"},
	} {
		if _, err := d.admin(args...); err != nil {
			t.Fatal(err)
		}
	}
}

// sanDiskRecipe names the SAN disk image's contents; change it when
// sanDiskImage changes, so that machines with an old image build the new.
const sanDiskRecipe = "1"

// sanDiskCache is where the image is kept between runs: outside the
// repository, built once per machine.
const sanDiskCache = "/var/cache/pxed"

// sanDiskOnce builds the SAN disk image at most once per test binary.
var sanDiskOnce = sync.OnceValues(func() (string, error) {
	file := filepath.Join(sanDiskCache, "san-disk-"+sanDiskRecipe+".img")
	if _, err := os.Stat(file); err == nil {
		return file, nil
	}
	if err := os.MkdirAll(sanDiskCache, 0o755); err != nil {
		return "", err
	}
	// Built beside its final name and renamed into place whole, so that a
	// run cut short or another run building at once leaves no half image.
	tmp := fmt.Sprintf("%s.tmp-%d", file, os.Getpid())
	defer os.Remove(tmp)
	if err := sanDiskImage(tmp); err != nil {
		return "", err
	}
	return file, os.Rename(tmp, file)
})

// sanDisk is the bootable disk the test's target exports, building it on
// the machine's first run.
func sanDisk(t *testing.T) string {
	t.Helper()
	requireTools(t, "mformat", "mcopy", "syslinux")
	file, err := sanDiskOnce()
	if err != nil {
		t.Fatalf("building the SAN disk image: %v", err)
	}
	return file
}

// sanSyslinuxCfg boots the Debian installer's kernel and initrd from the
// disk at once, on the serial console; no "quiet", which would hide the
// kernel's "Linux version" line.
const sanSyslinuxCfg = `serial 0 115200
default linux
prompt 0
timeout 0
label linux
  kernel linux
  append initrd=initrd.gz console=ttyS0,115200 priority=critical ---
`

// sanDiskImage writes a bootable disk to file: a FAT file system over the
// whole disk (no partition table: SYSLINUX boots a "superfloppy" from its
// own boot sector) holding SYSLINUX, its config and the Debian netboot
// kernel and initrd. mtools writes it without mounting anything, and
// syslinux --install uses mtools too.
func sanDiskImage(file string) error {
	kernelDir := filepath.Join(netbootTree, "debian-installer", "amd64")
	if _, err := os.Stat(filepath.Join(kernelDir, "linux")); err != nil {
		return fmt.Errorf("Debian netboot tree missing (%v): run scripts/deps to install debian-installer-12-netboot-amd64", err)
	}
	dir, err := os.MkdirTemp("", "pxed-san-disk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := filepath.Join(dir, "syslinux.cfg")
	if err := os.WriteFile(cfg, []byte(sanSyslinuxCfg), 0o644); err != nil {
		return err
	}
	// 64 MiB: the 8 MB kernel and 40 MB initrd with room to spare; 131072
	// sectors of 512 bytes in a 64-head, 32-sector geometry.
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := errors.Join(f.Truncate(64<<20), f.Close()); err != nil {
		return err
	}
	for _, c := range [][]string{
		{"mformat", "-i", file, "-v", "PXEDSAN", "-T", "131072", "-h", "64", "-s", "32", "::"},
		{"mcopy", "-i", file, filepath.Join(kernelDir, "linux"), filepath.Join(kernelDir, "initrd.gz"), cfg, "::"},
		{"syslinux", "--install", file},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	return nil
}
