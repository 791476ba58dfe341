//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// disklessNFSAuto is the profile TestDisklessNFS adds to
// examples/diskless.yaml for station-03: diskless-nfs leaves the root to
// the initramfs to read from DHCP option 17 (nfsroot=auto), which pxed
// sends from the same root_path. EXPORT is replaced by the exported
// directory.
const disklessNFSAuto = `  - name: diskless-nfs-auto
    kernel: diskless/vmlinuz
    initrd: [diskless/initrd.img]
    root_path: "{{.Server}}:EXPORT"
    cmdline: console={{.Console}} root=/dev/nfs nfsroot=auto ip=dhcp ro systemd.hostname={{.Hostname}}
`

// overlayMounted is what the root's initramfs (scripts/diskless-root,
// nfs-bottom/pxed-overlay) prints once the station's tmpfs lies over the
// shared read-only root.
const overlayMounted = "pxed-overlay: tmpfs over the read-only NFS root"

// TestDisklessNFS boots station-01..03 at once with no disk: SeaBIOS and
// the iPXE ROM get pxed's iPXE script, the kernel and NFS initramfs over
// HTTP, and the root over NFS from nfs-ganesha in the lab's namespace. Each
// reaches a login prompt on its serial console under its own host name
// (station-03 finding its root from DHCP option 17 alone). Then the others
// are powered off, station-01 is reset, and it comes back to the same
// prompt: the time of a station booting alone.
func TestDisklessNFS(t *testing.T) {
	stations := []Station{station01, station02, station03}
	ns, taps := newBridgeLab(t, len(stations))
	dir := disklessRoot(t)
	export := filepath.Join(dir, "root")
	startNFS(t, ns, export)
	// examples/diskless.yaml as it is, but for where this machine keeps
	// the root and its image, and station-03's profile.
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: disklessTFTPRoot(t, dir), Config: "examples/diskless.yaml", Edit: func(y string) string {
		y = replaceOnce(y, `root_path: "{{.Server}}:/srv/diskless/root"`, `root_path: "{{.Server}}:`+export+`"`)
		y = replaceOnce(y, "image: /srv/diskless/ram.tar", "image: "+filepath.Join(dir, "ram.tar"))
		y = replaceOnce(y, "profiles:\n", "profiles:\n"+strings.ReplaceAll(disklessNFSAuto, "EXPORT", export))
		return replaceOnce(y, "    ip: 192.168.1.103\n", "    ip: 192.168.1.103\n    boot: {profile: diskless-nfs-auto}\n")
	}})

	var guests []*Guest
	for i, st := range stations {
		var extra []string
		if i == 0 {
			// bootGuestWith's -no-reboot ends QEMU on any reset, the
			// monitor's system_reset too; station-01 is reset below.
			extra = []string{"-action", "reboot=reset"}
		}
		guests = append(guests, bootGuestWith(t, ns, taps[i], st, biosIPXE, extra))
	}
	// Three guests share two cores under TCG: about 100 s each here,
	// where one alone logs in in about a minute.
	ctx, cancel := context.WithTimeout(t.Context(), 180*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(guests))
	for i, g := range guests {
		wg.Go(func() {
			took, err := g.waitSerialCount(ctx, g.loginPrompt(), 1)
			if err != nil {
				errs[i] = err
				return
			}
			t.Logf("%s: power-on to %q in %v (three at once)", g.Name, g.loginPrompt(), took)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	pid := px.p.cmd.Process.Pid
	t.Logf("pxed: VmRSS %d KiB, VmHWM %d KiB with three stations up", procStatus(t, pid, "VmRSS")>>10, procStatus(t, pid, "VmHWM")>>10)
	for _, g := range guests {
		serial, err := os.ReadFile(g.serial)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(serial, []byte(overlayMounted)) {
			t.Errorf("%s: no %q on its console: its root has no writable overlay", g.Name, overlayMounted)
		}
		expectLogged(t, px, fmt.Sprintf(`msg="http transfer" ip=%s file=diskless/initrd.img`, g.IP))
	}
	if serial, _ := os.ReadFile(guests[2].serial); !bytes.Contains(serial, []byte("nfsroot=auto")) {
		t.Errorf("station-03 was not booted with nfsroot=auto")
	}

	// Station-01 alone, reset as a power cycle would.
	for _, g := range guests[1:] {
		g.powerOff()
	}
	g := guests[0]
	reset := time.Now()
	g.monitorCommand(t, "system_reset")
	ctx, cancel = context.WithTimeout(t.Context(), 100*time.Second)
	defer cancel()
	if _, err := g.waitSerialCount(ctx, g.loginPrompt(), 2); err != nil {
		t.Fatalf("after system_reset: %v", err)
	}
	g.reached = true
	t.Logf("%s: reset to %q in %v (alone)", g.Name, g.loginPrompt(), time.Since(reset).Round(100*time.Millisecond))
	t.Logf("pxed: VmHWM %d KiB", procStatus(t, pid, "VmHWM")>>10)
}

// loginPrompt is what systemd's serial getty prints for the guest: its own
// host name, from systemd.hostname= on the command line.
func (g *Guest) loginPrompt() string { return g.Name + " login:" }

// monitorCommand sends one command to the guest's QEMU monitor.
func (g *Guest) monitorCommand(t *testing.T, command string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	mon := exec.CommandContext(ctx, "socat", "-t", "2", "-", "UNIX-CONNECT:"+g.monitor)
	mon.Stdin = strings.NewReader(command + "\n")
	if out, err := mon.CombinedOutput(); err != nil {
		t.Fatalf("%s monitor %q: %v: %s", g.Name, command, err, out)
	}
}

// disklessTFTPRoot is a boot root holding the diskless root's kernel and
// initramfs under diskless/ (hard links into the cache where the file
// system allows), beside stand-ins for the files the reference network
// names and these stations never load.
func disklessTFTPRoot(t *testing.T, dir string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tftp")
	for _, f := range []string{"pxelinux.0", "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz", "debian-installer/amd64/bootnetx64.efi",
		"debian-installer/arm64/linux", "debian-installer/arm64/initrd.gz", "debian-installer/arm64/grubaa64.efi"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not a boot program\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "diskless"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"vmlinuz", "initrd.img"} {
		src, dst := filepath.Join(dir, f), filepath.Join(root, "diskless", f)
		if err := os.Link(src, dst); err != nil {
			run(t, "cp", src, dst)
		}
	}
	run(t, "chmod", "-R", "a+rX", root)
	run(t, "chmod", "755", filepath.Dir(root))
	return root
}

// ganeshaConf exports @EXPORT@ read-only over NFSv3 (the version klibc's
// nfsmount, which initramfs-tools mounts an NFS root with, speaks), root
// not squashed (the stations' root owns the files it reads), on fixed
// ports registered with rpcbind, where nfsmount asks for them. Ganesha's
// NFSv4 recovery directory is put under the private /run, so nothing is
// written outside the test's namespaces.
const ganeshaConf = `NFS_CORE_PARAM {
	Protocols = 3;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	NFS_Port = 2049;
	MNT_Port = 20048;
	Bind_addr = 192.168.1.21;
}
NFSV4 {
	RecoveryRoot = /run/ganesha/recovery;
	Graceless = true;
}
EXPORT {
	Export_Id = 1;
	Path = "@EXPORT@";
	Pseudo = "@EXPORT@";
	Access_Type = RO;
	Squash = No_Root_Squash;
	Protocols = 3;
	Transports = TCP, UDP;
	SecType = sys;
	FSAL { Name = VFS; }
}
`

// nfsServerScript runs rpcbind and ganesha.nfsd ($1: config, $2: log) in
// the foreground in a mount namespace of the script's own (unshare -m),
// over a private tmpfs on /run: their sockets, PID files and state stay
// out of the machine's /run. On SIGTERM it stops both, by PID; when
// ganesha exits on its own, it stops rpcbind and exits with its status.
const nfsServerScript = `set -e
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/ganesha/recovery
rpcbind -f & rpc=$!
ganesha.nfsd -F -f "$1" -L "$2" -p /run/ganesha/ganesha.pid -N NIV_EVENT & nfs=$!
trap 'kill $nfs $rpc; wait; exit 0' TERM INT
set +e
wait $nfs
status=$?
kill $rpc
exit $status
`

// startNFS serves export read-only over NFS at 192.168.1.21 inside ns:
// Debian's user-space nfs-ganesha (VFS) with rpcbind, because the build
// machines' kernel has no nfsd for nfs-kernel-server. The test's cleanup
// stops both.
func startNFS(t *testing.T, ns *Namespace, export string) {
	t.Helper()
	requireTools(t, "ganesha.nfsd", "rpcbind", "rpcinfo", "unshare")
	dir := t.TempDir()
	conf, log := filepath.Join(dir, "ganesha.conf"), filepath.Join(dir, "ganesha.log")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(ganeshaConf, "@EXPORT@", export)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "nfs.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := ns.command(context.Background(), "unshare", "-m", "sh", "-c", nfsServerScript, "nfs", conf, log)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := start("nfs server", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if inTime, _ := p.stop(syscall.SIGTERM, 10*time.Second); !inTime {
			t.Errorf("the NFS server did not stop within 10s of SIGTERM; killed")
		}
		if t.Failed() {
			keepArtifact(t, log, "ganesha.log")
			keepArtifact(t, out.Name(), "nfs.out")
		}
	})
	// Ready when ganesha has registered its mount daemon with rpcbind.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = waitFor(ctx, 200*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("%w: %v: %s", errExited, p.err, tail(out.Name(), 20))
		}
		rpc, _ := ns.command(ctx, "rpcinfo", "-p", "192.168.1.21").Output()
		return bytes.Contains(rpc, []byte("mountd")) && bytes.Contains(rpc, []byte(" nfs")), nil
	})
	if err != nil {
		t.Fatalf("NFS server not ready: %v\n%s", err, tail(log, 20))
	}
}
