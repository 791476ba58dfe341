//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBootProxyDHCP boots station-01 on a network whose addresses come from
// another DHCP server (dnsmasq, in its own namespace on the same bridge, with
// no boot options at all) while pxed, in proxy mode, answers only PXE
// clients with boot information and no address.
func TestBootProxyDHCP(t *testing.T) { bootProxy(t, station01, biosIPXE) }

// OVMF's own UEFI PXE client takes pxed's ProxyDHCP offer too and loads
// GRUB (seen here), but Debian 12's GRUB 2.06 takes its server from the
// address server's DHCPACK only, finds no config and stops at its prompt;
// so there is no UEFI case here (see docs/firmware.md).

func bootProxy(t *testing.T, st Station, fw Firmware) {
	requireTools(t, "dnsmasq")
	ns, taps := newBridgeLab(t, 1)

	// The address server: another machine on the LAN, 192.168.1.1.
	other := newNamespace(t, "dhcp")
	ns.ip(t, "link", "add", "to-dhcp", "type", "veth", "peer", "name", "lan0", "netns", other.Name)
	ns.ip(t, "link", "set", "to-dhcp", "master", "br0")
	ns.ip(t, "link", "set", "to-dhcp", "up")
	other.ip(t, "addr", "add", "192.168.1.1/24", "dev", "lan0")
	other.ip(t, "link", "set", "lan0", "up")
	dir := t.TempDir()
	leases := filepath.Join(dir, "dnsmasq.leases")
	cmd := other.command(context.Background(), "dnsmasq", "--no-daemon", "--port=0", "--interface=lan0", "--bind-interfaces",
		"--dhcp-range=192.168.1.50,192.168.1.99,1h", "--dhcp-leasefile="+leases, "--user=root", "--log-dhcp",
		"--log-facility="+filepath.Join(dir, "dnsmasq.log"))
	p, err := start("dnsmasq", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGTERM, 5*time.Second) })

	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: proxyMode})

	reachKernel(t, bootGuest(t, ns, taps[0], st, fw), "addresses from dnsmasq, boot from pxed's ProxyDHCP", func() {
		t.Logf("dnsmasq log:\n%s", tail(filepath.Join(dir, "dnsmasq.log"), 30))
	})

	// dnsmasq gave the address; pxed gave none and recorded no lease.
	b, err := os.ReadFile(leases)
	if err != nil || !strings.Contains(string(b), st.MAC) {
		t.Errorf("dnsmasq leased nothing to %s: %q, %v", st.MAC, b, err)
	}
	if ls := px.leases(t); len(ls) != 0 {
		t.Errorf("pxed in proxy mode recorded leases: %v", formatLeases(ls))
	}
	expectLogged(t, px, `result="proxy offer"`)
	pxLog, _ := os.ReadFile(px.log)
	loader := `pxelinux\.0 bytes=42430`
	if !regexp.MustCompile(`msg="tftp transfer" ip=192\.168\.1\.\d+ file=` + loader).Match(pxLog) {
		t.Errorf("pxed's log shows no transfer of the boot program (%s)", loader)
	}
}

// proxyMode turns the reference network into a ProxyDHCP one: no pool, no
// fixed addresses, proxy: true.
func proxyMode(y string) string {
	y = strings.Replace(y, "      pools:\n        - 192.168.1.150-192.168.1.199\n", "      proxy: true\n", 1)
	return regexp.MustCompile(`(?m)^    ip: 192\.168\.1\.10[123]\n`).ReplaceAllString(y, "")
}
