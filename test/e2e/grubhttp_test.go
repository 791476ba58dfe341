//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// grubNetModules are the modules built into the GRUBs the test makes: what
// a netboot GRUB needs (the network, its TFTP for its own files, the
// config's commands, the Linux loader), as in Debian's netboot image.
var grubNetModules = []string{"normal", "configfile", "linux", "gzio", "echo", "test",
	"net", "efinet", "tftp", "part_gpt", "fat", "serial", "terminal", "efi_gop"}

// grubPcapEnv, when set, keeps a capture of each boot's TFTP and HTTP
// traffic (headers only) in the test's artifacts directory, for reading
// GRUB's TCP behaviour with tcpdump or tshark.
const grubPcapEnv = "PXED_E2E_GRUB_PCAP"

// captureBoot runs tcpdump on ifname in ns until the test ends, writing the
// first 128 bytes of each TFTP and HTTP packet to name in the artifacts
// directory.
func captureBoot(t *testing.T, ns *Namespace, ifname, name string) {
	t.Helper()
	requireTools(t, "tcpdump")
	pcap := filepath.Join(artifactsDir(t), name)
	// -Z root: tcpdump would open the file as user tcpdump.
	cmd := ns.command(context.Background(), "tcpdump", "-Z", "root", "-i", ifname, "-n", "-U", "-B", "16384", "-s", "128", "-w", pcap, "tcp port 8080 or udp")
	p, err := start("tcpdump", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGINT, 5*time.Second)
		t.Logf("kept %s", pcap)
	})
	// tcpdump creates the file once it listens.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(pcap); err == nil {
			return
		}
		if time.Now().After(deadline) || p.exited() {
			t.Fatalf("tcpdump did not start: %v", p.err)
		}
	}
}

// TestBootUEFIGRUBHTTP boots station-03 with OVMF's UEFI PXE client and a
// GRUB 2.06 built here with grub-mkimage from Debian's grub-efi-amd64-bin
// (prefix /grubhttp). pxed reads the module list from the image: with
// http built in (which Debian 12's images lack, docs/firmware.md), the
// grub.cfg it renders names the kernel and initrd as
// (http,192.168.1.21:8080)/… and GRUB fetches them from pxed's HTTP
// server, which (root here, so with CAP_NET_ADMIN) sends GRUB 1460-byte
// segments though its SYN announces no MSS; without, by TFTP path. Both
// boots log their transfer times.
func TestBootUEFIGRUBHTTP(t *testing.T) {
	mkimage, err := exec.LookPath("grub-mkimage")
	if err != nil {
		t.Fatal("grub-mkimage missing: run scripts/deps to install grub-common and grub-efi-amd64-bin")
	}
	if _, err := os.Stat("/usr/lib/grub/x86_64-efi/http.mod"); err != nil {
		t.Fatalf("GRUB's x86_64-efi modules missing (%v): run scripts/deps to install grub-efi-amd64-bin", err)
	}
	for _, c := range []struct {
		name    string
		modules []string
		proto   string
	}{
		{"http", append(slices.Clone(grubNetModules), "http"), "http"},
		{"tftp", grubNetModules, "tftp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ns, taps := newBridgeLab(t, 1)
			root := prepareTFTPRoot(t)
			if err := os.MkdirAll(filepath.Join(root, "grubhttp"), 0o755); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"-d", "/usr/lib/grub/x86_64-efi", "-O", "x86_64-efi", "-p", "/grubhttp",
				"-o", filepath.Join(root, "grubhttp", "grubx64.efi")}, c.modules...)
			if out, err := exec.Command(mkimage, args...).CombinedOutput(); err != nil {
				t.Fatalf("grub-mkimage: %v: %s", err, out)
			}
			if os.Getenv(grubPcapEnv) != "" {
				captureBoot(t, ns, "br0", "grub-"+c.name+".pcap")
			}
			px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: func(y string) string {
				return replaceOnce(y, "    efi-x64: debian-installer/amd64/bootnetx64.efi\n", "    efi-x64: grubhttp/grubx64.efi\n")
			}})
			reachKernel(t, bootGuest(t, ns, taps[0], station03, uefiPXE), "OVMF UEFI PXE → GRUB, kernel and initrd over "+c.proto, nil)
			expectLease(t, px.leases(t), station03.MAC, station03.IP)
			expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.103 file=grubhttp/grubx64.efi`)
			b, err := os.ReadFile(px.log)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\n") {
				if strings.Contains(line, "transfer\" ip=192.168.1.103 file=") && (strings.Contains(line, "amd64/linux") || strings.Contains(line, "initrd.gz")) {
					t.Logf("pxed: %s", line[strings.Index(line, "msg="):])
				}
			}
			announced := strings.Contains(string(b), `msg="GRUB has http built in`)
			if announced != (c.proto == "http") {
				t.Errorf("pxed's log says GRUB has http built in: %v, want %v", announced, c.proto == "http")
			}
			if c.proto == "http" {
				// GRUB's SYN has no MSS option; pxed (root here) sends it
				// the link's 1460-byte segments, not TCP's default 536.
				// Debian's GRUB names its package version too.
				raised := regexp.MustCompile(`msg="http segment size raised" ip=192\.168\.1\.103 agent="GRUB 2\.06[^"]*" from=536 to=1460`)
				if !raised.Match(b) {
					t.Errorf("pxed's log has no line matching %s", raised)
				}
			}
			for _, f := range []string{"debian-installer/amd64/linux bytes=8222656", "debian-installer/amd64/initrd.gz bytes=40810276"} {
				expectLogged(t, px, `msg="`+c.proto+` transfer" ip=192.168.1.103 file=`+map[string]string{"http": "", "tftp": "/"}[c.proto]+f)
			}
		})
	}
}
