//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/tlscert"
)

// httpsBootMode is httpBootMode over HTTPS: pxed serves TLS on :8443 with a
// certificate it makes, and UEFI HTTP Boot clients get https:// URLs.
func httpsBootMode(y string) string {
	y = httpBootMode(y)
	y = replaceOnce(y, "http:\n  enabled: true", "http:\n  enabled: true\n  tls:\n    address: \":8443\"")
	return replaceOnce(y, "\nboot:\n", "\nboot:\n  https: true\n")
}

// cacerts is the QEMU argument that enrolls the EFI signature list esl as
// the firmware's trusted CAs for HTTPS Boot (OvmfPkg's TlsAuthConfigLib
// reads fw_cfg etc/edk2/https/cacerts into TlsCaCertificate).
func cacerts(esl string) []string {
	return []string{"-fw_cfg", "name=etc/edk2/https/cacerts,file=" + esl}
}

// TestBootUEFIHTTPS boots station-03 by UEFI HTTPS Boot: OVMF, trusting the
// CA pxed made at its first start (data_dir/tls/ca.esl enrolled through
// fw_cfg), fetches iPXE's snponly.efi from https://192.168.1.21:8443/,
// verifying pxed's certificate; iPXE then gets its script and the kernel
// over plain HTTP (Debian's iPXE has no HTTPS).
func TestBootUEFIHTTPS(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	addSNPOnly(t, root)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: httpsBootMode})
	// startPxed returns once DHCP and TFTP listen; the HTTPS server comes
	// up after pxed has made its CA and certificate.
	serving := `msg="https serving" addr=:8443 ca=` + filepath.Join(px.dataDir, "tls", tlscert.CAFile)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		b, err := os.ReadFile(px.log)
		return strings.Contains(string(b), serving), err
	}); err != nil {
		t.Fatalf("pxed's log has no line with %q: %v", serving, err)
	}
	esl := filepath.Join(px.dataDir, "tls", tlscert.ESLFile)
	if _, err := os.Stat(esl); err != nil {
		t.Fatalf("pxed made no CA for firmware: %v", err)
	}

	reachKernel(t, bootGuestWith(t, ns, taps[0], station03, uefiHTTP, cacerts(esl)), "OVMF UEFI HTTPS Boot → iPXE snponly.efi → iPXE script over HTTP", nil)
	expectLease(t, px.leases(t), station03.MAC, station03.IP)
	expectLogged(t, px, `file=https://192.168.1.21:8443/snponly.efi`)
	expectLogged(t, px, `msg="https transfer" ip=192.168.1.103 file=snponly.efi bytes=173792`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.103 file=debian-installer/amd64/initrd.gz bytes=40810276`)
}

// TestBootUEFIHTTPSUntrusted boots the same station with another CA
// enrolled: the firmware refuses pxed's certificate, loads nothing, and
// pxed's timeline for the machine says the TLS handshake failed.
func TestBootUEFIHTTPSUntrusted(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	addSNPOnly(t, root)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: httpsBootMode})
	other, err := tlscert.Ensure(t.TempDir(), []string{"192.168.1.21"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g := bootGuestWith(t, ns, taps[0], station03, uefiHTTP, cacerts(filepath.Join(other.Dir, tlscert.ESLFile)))

	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	defer cancel()
	var row string
	err = waitFor(ctx, time.Second, func() (bool, error) {
		out, err := ns.command(ctx, px.bin, "status", "--api", dashboardURL,
			"--token-file", filepath.Join(px.dataDir, "api-token")).CombinedOutput()
		if err != nil {
			return false, nil // not up yet, or the machine not seen yet
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(strings.ToLower(l), strings.ToLower(station03.MAC)) {
				row = l
			}
		}
		return strings.Contains(row, "TLS handshake failed"), nil
	})
	t.Logf("pxed status for %s: %q (%v after power-on)", station03.MAC, row, time.Since(g.started).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("the timeline never said the TLS handshake failed: %v", err)
	}
	expectLogged(t, px, `msg="https handshake failed" ip=192.168.1.103`)
	if b, _ := os.ReadFile(px.log); strings.Contains(string(b), `msg="https transfer" ip=192.168.1.103 file=snponly.efi bytes=173792`) {
		t.Error("the firmware loaded snponly.efi from a server it does not trust")
	}
	if b, _ := os.ReadFile(g.serial); strings.Contains(string(b), kernelStarted) {
		t.Error("a kernel started")
	}
}
