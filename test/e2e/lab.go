//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serverAddr is the address examples/seed.yaml gives pxed on br0.
const serverAddr = "192.168.1.21/24"

// netbootTree is the Debian installer's netboot tree that the boot tests serve.
const netbootTree = "/usr/lib/debian-installer/images/12/amd64/text"

// netbootARM64 is the arm64 tree's own directory (GRUB, kernel, initrd),
// which the boot tests serve beside the amd64 tree, as examples/seed.yaml
// names both.
const netbootARM64 = "/usr/lib/debian-installer/images/12/arm64/text/debian-installer/arm64"

// pxelinuxDefault boots the installer unattended and talks on the serial port.
// No "quiet": it would hide the kernel's "Linux version" line the tests wait for.
const pxelinuxDefault = `serial 0 115200
default install
prompt 0
timeout 0
label install
  kernel debian-installer/amd64/linux
  append initrd=debian-installer/amd64/initrd.gz console=ttyS0,115200 priority=critical ---
`

// grubConfig boots the installer at once on the serial console (GRUB on
// UEFI; the paths are absolute on the TFTP server GRUB came from).
const grubConfig = `serial --unit=0 --speed=115200
terminal_output serial console
set timeout=0
menuentry install {
  linux /debian-installer/amd64/linux console=ttyS0,115200 priority=critical ---
  initrd /debian-installer/amd64/initrd.gz
}
`

// requireRoot skips the test unless it runs as root: everything here creates
// network namespaces and devices. Anything else missing is a failure.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e tests need root to create network namespaces, bridges and tap devices; run them as root (sudo make test; CI runs as root)")
	}
}

// requireTools fails the test, pointing at scripts/deps, when a program is missing.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s not found in PATH: run scripts/deps (as root) to install the lab packages", n)
		}
	}
}

// Namespace is a network namespace the test created and owns.
type Namespace struct {
	Name string
}

// newNamespace creates a network namespace with a unique name and its
// loopback up; the test's cleanup deletes it, which also removes every device
// inside it. Register it before anything that runs in it, so that cleanups
// (last in, first out) stop those processes first.
func newNamespace(t *testing.T, role string) *Namespace {
	t.Helper()
	requireRoot(t)
	requireTools(t, "ip")
	ns := &Namespace{Name: fmt.Sprintf("pxed-e2e-%s-%d-%s", role, os.Getpid(), randomHex(3))}
	run(t, "ip", "netns", "add", ns.Name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", ns.Name).CombinedOutput(); err != nil {
			t.Errorf("deleting namespace %s: %v: %s", ns.Name, err, out)
		}
	})
	ns.ip(t, "link", "set", "lo", "up")
	return ns
}

// ip runs "ip -n NS args...", failing the test on error.
func (ns *Namespace) ip(t *testing.T, args ...string) {
	t.Helper()
	run(t, "ip", append([]string{"-n", ns.Name}, args...)...)
}

// command returns a command that runs name inside the namespace.
// ip netns exec execs the program, so the command's PID is the program's.
func (ns *Namespace) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// newBridgeLab is the reference network of examples/seed.yaml: a namespace
// with bridge br0 at 192.168.1.21/24 and n tap devices (tap0, tap1, ...)
// attached to it, one per QEMU guest.
func newBridgeLab(t *testing.T, n int) (*Namespace, []string) {
	t.Helper()
	ns := newNamespace(t, "lab")
	ns.ip(t, "link", "add", "br0", "type", "bridge")
	ns.ip(t, "addr", "add", serverAddr, "dev", "br0")
	ns.ip(t, "link", "set", "br0", "up")
	var taps []string
	for i := range n {
		tap := fmt.Sprintf("tap%d", i)
		ns.ip(t, "tuntap", "add", "dev", tap, "mode", "tap")
		ns.ip(t, "link", "set", tap, "master", "br0")
		ns.ip(t, "link", "set", tap, "up")
		taps = append(taps, tap)
	}
	return ns, taps
}

// newVethLab links a server namespace and a client namespace with a veth pair:
// srv0 (192.168.1.21/24) on the server side, cli0 on the client side.
func newVethLab(t *testing.T) (server, client *Namespace) {
	t.Helper()
	server = newNamespace(t, "srv")
	client = newNamespace(t, "cli")
	server.ip(t, "link", "add", "srv0", "type", "veth", "peer", "name", "cli0", "netns", client.Name)
	server.ip(t, "addr", "add", serverAddr, "dev", "srv0")
	server.ip(t, "link", "set", "srv0", "up")
	client.ip(t, "link", "set", "cli0", "up")
	return server, client
}

// prepareTFTPRoot copies the Debian netboot trees (amd64, and arm64 beside
// it) into a directory of the test's own (symlinks dereferenced, readable by a server that drops
// privileges) and replaces pxelinux.cfg with one that boots the installer on
// the serial console.
func prepareTFTPRoot(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(netbootTree, "pxelinux.0")); err != nil {
		t.Fatalf("Debian netboot tree missing (%v): run scripts/deps to install debian-installer-12-netboot-amd64", err)
	}
	if _, err := os.Stat(filepath.Join(netbootARM64, "grubaa64.efi")); err != nil {
		t.Fatalf("Debian arm64 netboot tree missing (%v): run scripts/deps to install debian-installer-12-netboot-arm64", err)
	}
	root := filepath.Join(t.TempDir(), "tftp")
	run(t, "cp", "-rL", netbootTree, root)
	run(t, "cp", "-rL", netbootARM64, filepath.Join(root, "debian-installer", "arm64"))
	cfg := filepath.Join(root, "pxelinux.cfg")
	if err := os.RemoveAll(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "default"), []byte(pxelinuxDefault), 0o644); err != nil {
		t.Fatal(err)
	}
	// GRUB (UEFI) reads its config from its prefix in the tree.
	if err := os.WriteFile(filepath.Join(root, "debian-installer", "amd64", "grub", "grub.cfg"), []byte(grubConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "chmod", "-R", "a+rX", root)
	run(t, "chmod", "755", filepath.Dir(root), root)
	return root
}

// snponly is iPXE's UEFI build that drives the NIC through the firmware's
// own network interface (SNP), from Debian's ipxe package: the loader UEFI
// machines chain when their firmware's loader cannot find its config (see
// docs/firmware.md). Copied into a test's root at run time, never committed.
const snponly = "/usr/lib/ipxe/snponly.efi"

// addSNPOnly copies snponly.efi into root as snponly.efi.
func addSNPOnly(t *testing.T, root string) {
	t.Helper()
	if _, err := os.Stat(snponly); err != nil {
		t.Fatalf("iPXE for UEFI missing (%v): run scripts/deps to install ipxe", err)
	}
	run(t, "cp", snponly, filepath.Join(root, "snponly.efi"))
	run(t, "chmod", "a+r", filepath.Join(root, "snponly.efi"))
}

// run runs a command on the host (not in a namespace), failing the test with its output on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// proc is a process the test started; wait for it only through done.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

func start(name string, cmd *exec.Cmd) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig to the process (by its PID) and waits up to grace for it to
// exit, then kills it. It reports whether the process exited within grace,
// and its exit error.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) (inTime bool, err error) {
	if p.exited() {
		return true, p.err
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return false, p.err
}

// artifactsDir returns (and creates) the directory that keeps a failed test's
// logs and screendumps after its temporary directory is gone.
func artifactsDir(t *testing.T) string {
	base := os.Getenv("PXED_E2E_ARTIFACTS")
	if base == "" {
		base = filepath.Join(os.TempDir(), "pxed-e2e-artifacts")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	dir := filepath.Join(base, fmt.Sprintf("%s-%d", name, os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("creating artifacts directory: %v", err)
	}
	return dir
}

// keepArtifact copies file into the test's artifacts directory as name.
func keepArtifact(t *testing.T, file, name string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Logf("artifact %s: %v", file, err)
		return
	}
	dst := filepath.Join(artifactsDir(t), name)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Logf("artifact %s: %v", dst, err)
		return
	}
	t.Logf("kept %s", dst)
}

// tail returns the last n lines of a file, for failure messages.
func tail(file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	data = bytes.TrimRight(data, "\n")
	if len(data) == 0 {
		return "(empty)"
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// waitFor polls cond every interval until it returns true, ctx ends or cond
// returns an error.
func waitFor(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// errExited says a process ended while the test waited for something from it.
var errExited = errors.New("process exited")
