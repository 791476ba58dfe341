//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/config"
)

// TestInit runs pxed init on the lab bridge, once beside the LAN's own
// DHCP server (dnsmasq) and once alone, and serves what it wrote: beside
// dnsmasq it writes a ProxyDHCP config and says why, alone a config in
// which pxed gives the addresses; both pass pxed check and boot
// station-01 (SeaBIOS + iPXE → PXELINUX from the Debian tree, whose
// pxelinux.cfg/default starts the installer) to its kernel. pxed init's
// DISCOVER leaves only from br0 of the lab's namespace. It waits the
// default 5 s: dnsmasq pings an address for 3 s before it offers it.
func TestInit(t *testing.T) {
	requireTools(t, "dnsmasq")
	t.Run("beside a DHCP server", func(t *testing.T) {
		t.Parallel()
		ns, taps := newBridgeLab(t, 1)
		dir := lanDHCPServer(t, ns)
		root := prepareTFTPRoot(t)
		file, stderr := pxedInit(t, ns, root)
		if want := regexp.MustCompile(`a DHCP server at 192\.168\.1\.1 answered \(offered 192\.168\.1\.\d+\): writing a ProxyDHCP config; pxed will add boot information only`); !want.MatchString(stderr) {
			t.Errorf("pxed init does not say why it wrote a ProxyDHCP config: %q", stderr)
		}
		cfg := initConfig(t, file)
		if s := cfg.DHCP.Subnets; len(s) != 1 || !s[0].Proxy || len(s[0].Pools) != 0 || s[0].Network.String() != "192.168.1.0/24" {
			t.Errorf("subnets %+v, want 192.168.1.0/24 in proxy mode without a pool", s)
		}
		px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Config: file})
		reachKernel(t, bootGuest(t, ns, taps[0], station01, biosIPXE), "addresses from dnsmasq, boot from the config pxed init wrote", func() {
			t.Logf("dnsmasq log:\n%s", tail(filepath.Join(dir, "dnsmasq.log"), 30))
		})
		if b, err := os.ReadFile(filepath.Join(dir, "dnsmasq.leases")); err != nil || !strings.Contains(string(b), station01.MAC) {
			t.Errorf("dnsmasq leased nothing to %s: %q, %v", station01.MAC, b, err)
		}
		if ls := px.leases(t); len(ls) != 0 {
			t.Errorf("pxed in proxy mode recorded leases: %v", formatLeases(ls))
		}
		expectLogged(t, px, `result="proxy offer"`)
	})
	t.Run("alone", func(t *testing.T) {
		t.Parallel()
		ns, taps := newBridgeLab(t, 1)
		root := prepareTFTPRoot(t)
		file, stderr := pxedInit(t, ns, root)
		if !strings.Contains(stderr, "no DHCP server answered on br0: writing a config in which pxed gives the addresses") {
			t.Errorf("pxed init does not say why it wrote a full config: %q", stderr)
		}
		cfg := initConfig(t, file)
		s := cfg.DHCP.Subnets
		if len(s) != 1 || s[0].Proxy || len(s[0].Pools) != 1 || !cfg.DHCP.Authoritative {
			t.Fatalf("subnets %+v (authoritative %v), want one with a pool", s, cfg.DHCP.Authoritative)
		}
		pool := s[0].Pools[0]
		if pool.Contains(netip.MustParseAddr("192.168.1.21")) {
			t.Errorf("pool %s holds the server's own address", pool)
		}
		px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Config: file})
		reachKernel(t, bootGuest(t, ns, taps[0], station01, biosIPXE), "the config pxed init wrote, pxed alone", nil)
		var leased bool
		for _, l := range px.leases(t) {
			if l.MAC == station01.MAC && pool.Contains(l.IP) {
				leased = true
			}
		}
		if !leased {
			t.Errorf("pxed leased %s no address of pool %s: %v", station01.MAC, pool, formatLeases(px.leases(t)))
		}
	})
}

// pxedInit runs pxed init for br0 inside ns over root, expecting success;
// it returns the file written and what pxed init said on stderr.
func pxedInit(t *testing.T, ns *Namespace, root string) (file, stderr string) {
	t.Helper()
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "pxed.yaml")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	cmd := ns.command(ctx, bin, "init", "--interface", "br0", "--tftp-root", root, "--out", file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pxed init: %v\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	}
	t.Logf("pxed init took %v; it said:\n%s", time.Since(start).Round(time.Millisecond), errb.String())
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s:\n%s", file, b)

	// The file passes pxed check, the command, as written.
	chk := exec.Command(bin, "check", "--config", file)
	if o, err := chk.CombinedOutput(); err != nil || !strings.Contains(string(o), ": ok: 1 subnet(s)") {
		t.Fatalf("pxed check on what pxed init wrote: %v\n%s", err, o)
	}
	// A second run does not replace it.
	again := ns.command(ctx, bin, "init", "--interface", "br0", "--tftp-root", root, "--out", file)
	if o, err := again.CombinedOutput(); err == nil || !strings.Contains(string(o), "without --force") {
		t.Errorf("pxed init over its own file: %v\n%s", err, o)
	}
	return file, errb.String()
}

// initConfig reads the file pxed init wrote and checks what it says of
// the boot: PXELINUX at the root, the Debian tree's UEFI loaders.
func initConfig(t *testing.T, file string) *config.Config {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(file, b)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interfaces[0] != "br0" || cfg.Boot.File != "pxelinux.0" ||
		cfg.Boot.Files["efi-x64"] != "debian-installer/amd64/bootnetx64.efi" ||
		cfg.Boot.Files["efi-arm64"] != "debian-installer/arm64/bootnetaa64.efi" {
		t.Errorf("interfaces %v, boot %+v: want br0, pxelinux.0 and the Debian tree's UEFI loaders", cfg.Interfaces, cfg.Boot)
	}
	return cfg
}
