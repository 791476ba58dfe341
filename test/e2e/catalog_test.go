//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// installOnceConfig edits the reference network: station-02 installs once,
// the installer's command line carries its callback URL (as a preseed
// late_command would use it; pxed serves it on its HTTP boot server), and a
// second profile, rescue, is there to switch to. The API stays on the
// namespace's loopback, as by default.
func installOnceConfig(y string) string {
	y = replaceOnce(y, "    mac: 00:18:E7:42:85:21\n    ip: 192.168.1.102\n",
		"    mac: 00:18:E7:42:85:21\n    ip: 192.168.1.102\n    netboot: once\n")
	y = replaceOnce(y, "    cmdline: console={{.Console}} console=tty0 priority=critical ---\n",
		"    cmdline: console={{.Console}} console=tty0 priority=critical pxed.callback={{.CallbackURL}} ---\n")
	y = replaceOnce(y, "\nhosts:\n", "\n"+
		"  - name: rescue\n    kernel: debian-installer/amd64/linux\n    initrd: [debian-installer/amd64/initrd.gz]\n"+
		"    cmdline: console=ttyS0,115200 console=tty0 pxed.profile=rescue host={{.Hostname}} ---\n\nhosts:\n")
	return y
}

// commandLine waits for the kernel's "Command line:" on g's serial console
// (it follows "Linux version") and returns it.
func commandLine(t *testing.T, g *Guest) string {
	t.Helper()
	// The line counts once it ends: read while the guest is still writing
	// it, the serial log holds only its start.
	re := regexp.MustCompile(`Command line: ([^\r\n]*)\r?\n`)
	var line string
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	err := waitFor(ctx, 200*time.Millisecond, func() (bool, error) {
		data, _ := os.ReadFile(g.serial)
		if m := re.FindSubmatch(data); m != nil {
			line = string(m[1])
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("%s: no kernel command line on the serial console: %v", g.Name, err)
	}
	return line
}

// count returns how many lines of pxed's log contain s.
func (x *Pxed) count(t *testing.T, s string) int {
	t.Helper()
	b, err := os.ReadFile(x.log)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), s)
}

// TestInstallOnce: station-02, set to netboot once, boots the installer;
// the installer's callback (the URL pxed put on its command line) switches
// it to local: its next boot gets an iPXE script that exits to the next boot
// device and fetches no kernel. Then an operator's `pxed hosts set` (run inside the
// lab's namespace, against the running pxed) gives it another profile,
// which its next boot gets, without a restart.
func TestInstallOnce(t *testing.T) {
	requireTools(t, "curl")
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: installOnceConfig})
	const cfgFile = "file=ipxe/00-18-e7-42-85-21.ipxe"
	const kernel = "file=debian-installer/amd64/linux"

	// 1. The installer, with its callback URL.
	g := bootGuest(t, ns, taps[0], station02, biosIPXE)
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	took, err := g.waitKernel(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot 1 (netboot once, not installed): power-on to %q in %v", kernelStarted, took)
	cmdline := commandLine(t, g)
	g.powerOff()
	m := regexp.MustCompile(`pxed\.callback=(http://192\.168\.1\.21:8080/api/v1/hosts/station-02/installed\?token=[0-9a-f]{32}) `).FindStringSubmatch(cmdline)
	if m == nil {
		t.Fatalf("installer command line has no callback URL: %q", cmdline)
	}
	callback := m[1]

	// 2. The installed system calls back, from the lab network.
	cctx, ccancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer ccancel()
	if out, err := ns.command(cctx, "curl", "-fsS", "-X", "POST", "--data", "", callback).CombinedOutput(); err != nil {
		t.Fatalf("callback %s: %v: %s", callback, err, out)
	}
	wrong := callback[:len(callback)-4] + "0000"
	if wrong == callback {
		wrong = callback[:len(callback)-4] + "1111"
	}
	if out, err := ns.command(cctx, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data", "", wrong).Output(); err != nil || string(out) != "403" {
		t.Errorf("callback with a wrong token: %q %v, want 403", out, err)
	}

	// 3. The next boot gets local: a script that leaves iPXE, no kernel.
	configs, kernels := px.count(t, cfgFile), px.count(t, kernel)
	if configs == 0 || kernels == 0 {
		t.Fatalf("pxed's log shows %d transfers of %s and %d of the kernel for boot 1, want some of each", configs, cfgFile, kernels)
	}
	g = bootGuest(t, ns, taps[0], station02, biosIPXE)
	start := time.Now()
	ctx, cancel = context.WithTimeout(t.Context(), kernelDeadline)
	err = waitFor(ctx, 250*time.Millisecond, func() (bool, error) { return px.count(t, cfgFile) > configs, nil })
	cancel()
	if err != nil {
		t.Fatalf("boot 2: iPXE did not fetch %s: %v", cfgFile, err)
	}
	t.Logf("boot 2 (installed): config fetched %v after power-on", time.Since(start).Round(100*time.Millisecond))
	time.Sleep(15 * time.Second) // as long as boot 1 took from config to kernel, and more
	if n := px.count(t, kernel); n != kernels {
		t.Errorf("boot 2 fetched the kernel (%d transfers, %d before): the host still netboots", n, kernels)
	}
	if data, _ := os.ReadFile(g.serial); strings.Contains(string(data), kernelStarted) {
		t.Error("boot 2 started a kernel")
	}
	g.powerOff()
	fetched := filepath.Join(t.TempDir(), "01.cfg")
	if out, err := ns.command(cctx, "curl", "-fsS", "-o", fetched, "http://192.168.1.21:8080/ipxe/00-18-e7-42-85-21.ipxe").CombinedOutput(); err != nil {
		t.Fatalf("fetching the config: %v: %s", err, out)
	}
	if b, _ := os.ReadFile(fetched); !strings.Contains(string(b), "profile local\n") || !strings.Contains(string(b), "\nexit\n") {
		t.Errorf("station-02's config after the callback:\n%s", b)
	}

	// 4. The operator gives station-02 another profile through the CLI.
	out, err := ns.command(cctx, px.bin, "hosts", "set", "station-02", "--profile", "rescue", "--netboot", "always",
		"--api", "http://127.0.0.1:9069", "--token-file", filepath.Join(px.dataDir, "api-token")).CombinedOutput()
	if err != nil {
		t.Fatalf("pxed hosts set: %v: %s", err, out)
	}
	t.Logf("pxed hosts set: %s", strings.TrimSpace(string(out)))
	g = bootGuest(t, ns, taps[0], station02, biosIPXE)
	ctx, cancel = context.WithTimeout(t.Context(), kernelDeadline)
	took, err = g.waitKernel(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot 3 (profile rescue set through the CLI): power-on to %q in %v", kernelStarted, took)
	if cl := commandLine(t, g); !strings.Contains(cl, "pxed.profile=rescue host=station-02") {
		t.Errorf("boot 3 command line %q is not the rescue profile's", cl)
	}
	g.powerOff()
}

// TestGRUBProfileUEFI boots station-03 with OVMF's UEFI PXE client and
// Debian's grubx64.efi, which asks for its grub.cfg by path alone: pxed
// answers it with the GRUB config of station-03's profile (known by the
// address pxed acknowledged), not the root's grub.cfg. The profile's
// marker on the kernel command line shows which config GRUB read.
func TestGRUBProfileUEFI(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: func(y string) string {
		y = installOnceConfig(y)
		return replaceOnce(y, "    mac: 00:18:E7:42:7A:3E\n    ip: 192.168.1.103\n",
			"    mac: 00:18:E7:42:7A:3E\n    ip: 192.168.1.103\n    boot: {profile: rescue}\n")
	}})
	g := bootGuest(t, ns, taps[0], station03, uefiPXE)
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	took, err := g.waitKernel(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("station-03 (OVMF UEFI PXE → GRUB, generated grub.cfg): power-on to %q in %v", kernelStarted, took)
	if cl := commandLine(t, g); !strings.Contains(cl, "pxed.profile=rescue host=station-03") {
		t.Errorf("command line %q is not the rescue profile's", cl)
	}
	g.powerOff()
	expectLogged(t, px, `ip=192.168.1.103 file=/debian-installer/amd64/grub/grub.cfg`)
}
