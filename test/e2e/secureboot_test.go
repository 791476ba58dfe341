//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// secureBootEnabled is what the Debian kernel prints when the firmware
// booted it with Secure Boot enforced (arch/x86/kernel/setup.c, via
// efi_secureboot).
const secureBootEnabled = "secureboot: Secure boot enabled"

// refusedVerdict is what pxed's timeline says of a loader the firmware
// would not start (internal/events, VerdictLoaderRefused).
const refusedVerdict = "the firmware may have refused the loader (unsigned under Secure Boot?)"

// secureNetwork declares the reference network's machines Secure Boot
// machines (boot.secure_boot), which pxed's start-up check then holds its
// UEFI loader (Debian's signed shim) to.
func secureNetwork(y string) string {
	return replaceOnce(y, "\nboot:\n", "\nboot:\n  secure_boot: true\n")
}

// withStation03Boot gives station-03 the extra host lines extra.
func withStation03Boot(y, extra string) string {
	return replaceOnce(y, "    mac: 00:18:E7:42:7A:3E\n    ip: 192.168.1.103\n",
		"    mac: 00:18:E7:42:7A:3E\n    ip: 192.168.1.103\n"+extra)
}

// TestBootSecureBootShim boots station-03 under OVMF with Secure Boot
// enforced and Microsoft's keys enrolled, over TFTP, through the signed
// chain only: Debian's shim (the reference network's efi-x64 loader), the
// signed GRUB beside it, and the signed kernel. GRUB runs under lockdown
// and reads the config pxed generates for the host's profile (install
// once, pending); the kernel must say that Secure Boot is on, and pxed's
// timeline must show shim's probes for files the tree lacks as expected
// misses, not failures.
func TestBootSecureBootShim(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: func(y string) string {
		y = withStation03Boot(secureNetwork(y), "    netboot: once\n    boot: {profile: secure}\n")
		return replaceOnce(y, "\nprofiles:\n", "\nprofiles:\n  - name: secure\n    kernel: debian-installer/amd64/linux\n"+
			"    initrd: [debian-installer/amd64/initrd.gz]\n"+
			"    cmdline: console=ttyS0,115200 pxed.profile=secure host={{.Hostname}} pxed.callback={{.CallbackURL}} ---\n")
	}})
	waitWeb(t, ns, px)
	g := bootGuest(t, ns, taps[0], station03, uefiSecureBoot)
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	took, err := g.waitKernel(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("station-03 (OVMF Secure Boot → shim → GRUB → kernel over TFTP): power-on to %q in %v", kernelStarted, took)
	if cl := commandLine(t, g); !strings.Contains(cl, "pxed.profile=secure host=station-03") {
		t.Errorf("command line %q is not the one pxed generated for station-03's profile", cl)
	}
	g.waitSerial(t, secureBootEnabled, time.Minute)
	g.powerOff()
	if data, err := os.ReadFile(g.serial); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, "ecure") || strings.Contains(line, "Fetching") || strings.Contains(line, "BdsDxe") {
				t.Logf("serial: %s", strings.TrimSpace(line))
			}
		}
	}
	expectLease(t, px.leases(t), station03.MAC, station03.IP)
	expectLogged(t, px, `ip=192.168.1.103 file=debian-installer/amd64/bootnetx64.efi bytes=1048504`)
	expectLogged(t, px, `ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=3843520`)

	tl := px.timeline(t, ns, station03.MAC)
	if len(tl.Boots) == 0 {
		t.Fatal("no boot in station-03's timeline")
	}
	boot := tl.Boots[0]
	if boot.Failure != "" {
		t.Errorf("the boot's failure is %q, want none", boot.Failure)
	}
	probes := map[string]string{}
	for _, s := range boot.Steps {
		t.Logf("  %-11s %-60s %s %s", s.Kind, s.File, s.Status, s.Reason)
		for _, p := range []string{"revocations_sku.efi", "revocations_sbat.efi", "shim_certificate_0.efi"} {
			if strings.HasSuffix(s.File, "/"+p) {
				probes[p] = s.Status
			}
		}
	}
	for _, p := range []string{"revocations_sku.efi", "revocations_sbat.efi", "shim_certificate_0.efi"} {
		if probes[p] != "miss" {
			t.Errorf("shim's probe for %s shows as %q, want \"miss\"", p, probes[p])
		}
	}
}

// TestBootSecureBootSkipsIPXE boots station-03 under OVMF with Secure Boot
// enforced on the reference network as it is, where pxed serves iPXE for
// machines said to have Secure Boot off (http.ipxe_efi's default, Debian's
// snponly.efi) but station-03 says nothing (DHCP does not tell): pxed gives
// it the signed chain, never iPXE, and Debian's GRUB, locked down, loads
// the signed kernel and the initrd over TFTP.
func TestBootSecureBootSkipsIPXE(t *testing.T) {
	if _, err := os.Stat(snponly); err != nil {
		t.Fatalf("iPXE for UEFI missing (%v): run scripts/deps to install ipxe", err)
	}
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})
	g := bootGuest(t, ns, taps[0], station03, uefiSecureBoot)
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	took, err := g.waitKernel(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("station-03 (OVMF Secure Boot → shim → GRUB locked down → kernel over TFTP): power-on to %q in %v", kernelStarted, took)
	g.waitSerial(t, secureBootEnabled, time.Minute)
	g.powerOff()
	expectLogged(t, px, `serving iPXE to x64 UEFI machines with secure_boot: false`)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=3843520`)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=/debian-installer/amd64/grub/grub.cfg`)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=/debian-installer/amd64/initrd.gz bytes=40810276`)
	if b, err := os.ReadFile(px.log); err != nil {
		t.Fatal(err)
	} else if strings.Contains(string(b), "file=ipxe/x64.efi") {
		t.Error("a machine that did not say Secure Boot was off was given iPXE")
	}
}

// TestSecureBootRefusesUnsigned gives station-03, under OVMF with Secure
// Boot enforced, iPXE's unsigned snponly.efi as its loader, as a
// configuration that does not say secure_boot would: the firmware fetches
// it whole and refuses to start it, no kernel ever starts, and pxed's
// timeline says that the firmware may have refused the loader. With
// secure_boot said, `pxed check` refuses the same configuration.
func TestSecureBootRefusesUnsigned(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	addSNPOnly(t, root)
	unsignedLoader := func(y string) string {
		return withStation03Boot(y, "    boot: {files: {efi-x64: snponly.efi}}\n")
	}
	expectCheckRefuses(t, root, func(y string) string { return unsignedLoader(secureNetwork(y)) },
		`UEFI loader "snponly.efi" for efi-x64 is not signed`)

	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: unsignedLoader})
	waitWeb(t, ns, px)
	g := bootGuest(t, ns, taps[0], station03, uefiSecureBoot)
	tl := waitVerdict(t, px, ns, g, refusedVerdict)
	t.Logf("station-03 (OVMF Secure Boot, unsigned snponly.efi): power-on to the timeline's verdict in %v", time.Since(g.started).Round(100*time.Millisecond))
	t.Logf("machine: %s: %s", tl.State, tl.Failure)
	g.reached = true // the expected end: keep no screendump
	g.powerOff()
	expectLogged(t, px, `ip=192.168.1.103 file=snponly.efi bytes=173792`)
	expectLease(t, px.leases(t), station03.MAC, station03.IP)
	logSerial(t, g)
}

// TestSecureBootShimRefusesUnsignedGRUB puts an unsigned program (iPXE's
// snponly.efi) in the place of grubx64.efi beside Debian's signed shim,
// under OVMF with Secure Boot enforced: the firmware starts shim, shim
// fetches the program whole and refuses it, no kernel starts, and pxed's
// timeline says that shim may have refused GRUB.
func TestSecureBootShimRefusesUnsignedGRUB(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	run(t, "cp", snponly, filepath.Join(root, "debian-installer", "amd64", "grubx64.efi"))
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})
	waitWeb(t, ns, px)
	g := bootGuest(t, ns, taps[0], station03, uefiSecureBoot)
	tl := waitVerdict(t, px, ns, g, grubVerdict)
	t.Logf("station-03 (OVMF Secure Boot, shim, unsigned grubx64.efi): power-on to the timeline's verdict in %v", time.Since(g.started).Round(100*time.Millisecond))
	t.Logf("machine: %s: %s", tl.State, tl.Failure)
	g.reached = true
	g.powerOff()
	expectLogged(t, px, `ip=192.168.1.103 file=debian-installer/amd64/grubx64.efi bytes=173792`)
	logSerial(t, g)
}

// grubVerdict is what pxed's timeline says when shim fetched GRUB and
// nothing more came (internal/events, VerdictGRUBQuiet).
const grubVerdict = "shim may have refused GRUB (not signed by a key shim trusts, or revoked by SBAT?): nothing was asked after it"

// waitVerdict waits until one of the machine's boots in pxed's timeline
// fails with verdict, and fails the test if a kernel starts first.
func waitVerdict(t *testing.T, px *Pxed, ns *Namespace, g *Guest, verdict string) timelineJSON {
	t.Helper()
	var tl timelineJSON
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	defer cancel()
	err := waitFor(ctx, time.Second, func() (bool, error) {
		if data, _ := os.ReadFile(g.serial); bytes.Contains(data, []byte(kernelStarted)) {
			t.Fatalf("a kernel started under Secure Boot through an unsigned program")
		}
		tl = px.timeline(t, ns, g.MAC)
		for _, b := range tl.Boots {
			if b.Failure == verdict {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("pxed's timeline never said %q: %v; machine state %q, failure %q", verdict, err, tl.State, tl.Failure)
	}
	return tl
}

// ansi matches the terminal escapes of the firmware's console output.
var ansi = regexp.MustCompile("\x1b\\[[0-9;=?]*[A-Za-z]")

// logSerial logs the tail of g's serial console, terminal escapes and the
// frames of shim's message boxes removed.
func logSerial(t *testing.T, g *Guest) {
	if data, err := os.ReadFile(g.serial); err == nil {
		lines := strings.Split(ansi.ReplaceAllString(string(data), "\n"), "\n")
		var keep []string
		for _, l := range lines {
			l = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
				if r < ' ' || r > '~' {
					return ' '
				}
				return r
			}, l)), " ")
			if strings.ContainsAny(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				keep = append(keep, l)
			}
		}
		t.Logf("serial console:\n%s", strings.Join(keep[max(0, len(keep)-20):], "\n"))
	}
}

// expectCheckRefuses runs `pxed check` on examples/seed.yaml edited by
// edit, with root as its TFTP root, and fails unless it refuses the
// configuration with a problem containing want.
func expectCheckRefuses(t *testing.T, root string, edit func(string) string, want string) {
	t.Helper()
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(seedConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pxed.yaml")
	if err := os.WriteFile(file, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "check", "--config", file, "--tftp-root", root).CombinedOutput()
	if err == nil {
		t.Fatalf("pxed check accepted a configuration it must refuse:\n%s", out)
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("pxed check refused, but without %q:\n%s", want, out)
	}
	t.Logf("pxed check: %s", strings.TrimSpace(string(out)))
}

// timelineJSON is what `pxed status --json MAC` prints of a machine: its
// state and its last boots, newest first.
type timelineJSON struct {
	State   string `json:"state"`
	Failure string `json:"failure"`
	Boots   []struct {
		Failure string `json:"failure"`
		Steps   []struct {
			Kind   string `json:"kind"`
			File   string `json:"file"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"steps"`
	} `json:"boots"`
}

// timeline reads a machine's timeline the way an operator would, with
// `pxed status --json MAC` against pxed's management API in ns.
func (x *Pxed) timeline(t *testing.T, ns *Namespace, mac string) timelineJSON {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cmd := ns.command(ctx, x.bin, "status", "--api", dashboardURL, "--token-file", filepath.Join(x.dataDir, "api-token"), "--json", mac)
	out, err := cmd.Output()
	var tl timelineJSON
	if err != nil {
		// No event of the machine yet: an empty timeline.
		return tl
	}
	if err := json.Unmarshal(out, &tl); err != nil {
		t.Fatalf("pxed status --json: %v\n%s", err, out)
	}
	return tl
}

// waitSerial waits until g's serial console shows want.
func (g *Guest) waitSerial(t *testing.T, want string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	if err := waitFor(ctx, 250*time.Millisecond, func() (bool, error) {
		data, err := os.ReadFile(g.serial)
		return err == nil && bytes.Contains(data, []byte(want)), nil
	}); err != nil {
		t.Errorf("%s: %q never reached the serial console: %v", g.Name, want, err)
	}
}
