//go:build e2e

package e2e

import (
	"context"
	"fmt"
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
// clients with boot information and no address: station-01's iPXE ROM gets
// the URL of its script (http.ipxe_script in the seed) from pxed's proxy
// offer, and fetches script, kernel and initrd over HTTP.
func TestBootProxyDHCP(t *testing.T) {
	px := bootProxy(t, station01, biosIPXE, proxyMode, nil)
	expectTransfer(t, px, `http`, `ipxe/00-18-e7-42-84-3a\.ipxe`)
	expectTransfer(t, px, `http`, `debian-installer/amd64/initrd\.gz bytes=40810276`)
}

// TestBootProxyDHCPUEFI boots station-03 with OVMF's own UEFI PXE client
// beside dnsmasq. OVMF takes pxed's ProxyDHCP offer and loads its boot file
// over TFTP. Debian 12's GRUB 2.06 would then take its server from the
// address server's DHCPACK only, find no config and stop at its prompt (seen
// by hand in this lab), so UEFI machines get iPXE's snponly.efi instead: iPXE asks DHCP
// again, takes the address from dnsmasq and, from pxed's proxy offer, the
// URL of its script (http.ipxe_script), then fetches kernel and initrd over
// HTTP.
func TestBootProxyDHCPUEFI(t *testing.T) {
	px := bootProxy(t, station03, uefiPXE, func(y string) string {
		return strings.Replace(proxyMode(y), "efi-x64: debian-installer/amd64/bootnetx64.efi", "efi-x64: snponly.efi", 1)
	}, addSNPOnly)
	expectTransfer(t, px, `tftp`, `snponly\.efi bytes=173792`)
	expectTransfer(t, px, `http`, `ipxe/00-18-e7-42-7a-3e\.ipxe`)
	expectTransfer(t, px, `http`, `debian-installer/amd64/initrd\.gz bytes=40810276`)
	if b, _ := os.ReadFile(px.log); strings.Contains(string(b), "grubx64.efi") {
		t.Error("GRUB was loaded although the UEFI boot file is snponly.efi")
	}
}

// TestBootProxyDHCPUEFIHTTP boots station-03 by UEFI HTTP Boot beside
// dnsmasq: EDK2 takes the address from dnsmasq's offer and the URL from
// pxed's ProxyDHCP offer (option 60 HTTPClient, no address), fetches
// snponly.efi over HTTP, and iPXE goes on as in TestBootProxyDHCPUEFI.
func TestBootProxyDHCPUEFIHTTP(t *testing.T) {
	px := bootProxy(t, station03, uefiHTTP, func(y string) string { return httpBootMode(proxyMode(y)) }, addSNPOnly)
	expectLogged(t, px, `file=http://192.168.1.21:8080/snponly.efi`)
	expectTransfer(t, px, `http`, `snponly\.efi bytes=173792`)
	expectTransfer(t, px, `http`, `ipxe/00-18-e7-42-7a-3e\.ipxe`)
	expectTransfer(t, px, `http`, `debian-installer/amd64/initrd\.gz bytes=40810276`)
	if b, _ := os.ReadFile(px.log); strings.Contains(string(b), `msg="tftp transfer"`) {
		t.Error("a file went over TFTP although the machine boots over HTTP only")
	}
}

// expectTransfer fails unless pxed's log shows a transfer over proto to a
// machine of the lab network (whose address dnsmasq chose) of a file
// matching the regular expression file.
func expectTransfer(t *testing.T, px *Pxed, proto, file string) {
	t.Helper()
	b, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`msg="` + proto + ` transfer" ip=192\.168\.1\.\d+ file=` + file).Match(b) {
		t.Errorf("pxed's log shows no %s transfer of %s", proto, file)
	}
}

// bootProxy boots st with firmware fw beside dnsmasq, pxed serving the
// reference network as edited by edit; prep, if set, adds files to the root.
func bootProxy(t *testing.T, st Station, fw Firmware, edit func(string) string, prep func(*testing.T, string)) *Pxed {
	requireTools(t, "dnsmasq")
	ns, taps := newBridgeLab(t, 1)
	dir := lanDHCPServer(t, ns)
	leases := filepath.Join(dir, "dnsmasq.leases")

	root := prepareTFTPRoot(t)
	if prep != nil {
		prep(t, root)
	}
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: edit})

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
	// What pxed answered, for the boot flow in docs/firmware.md.
	if b, err := os.ReadFile(px.log); err == nil {
		var answered []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "msg=dhcp ") {
				answered = append(answered, l)
			}
		}
		t.Logf("pxed's DHCP answers:\n%s", strings.Join(answered, "\n"))
	}
	return px
}

// lanDHCPServer starts the lab LAN's own DHCP server: dnsmasq on another
// machine of the LAN (a namespace of its own linked to br0), at
// 192.168.1.1, leasing 192.168.1.50-99. It returns the directory of its
// lease file (dnsmasq.leases) and log (dnsmasq.log).
func lanDHCPServer(t *testing.T, ns *Namespace) string {
	t.Helper()
	other := newNamespace(t, "dhcp")
	ns.ip(t, "link", "add", "to-dhcp", "type", "veth", "peer", "name", "lan0", "netns", other.Name)
	ns.ip(t, "link", "set", "to-dhcp", "master", "br0")
	ns.ip(t, "link", "set", "to-dhcp", "up")
	other.ip(t, "addr", "add", "192.168.1.1/24", "dev", "lan0")
	other.ip(t, "link", "set", "lan0", "up")
	dir := t.TempDir()
	cmd := other.command(context.Background(), "dnsmasq", "--no-daemon", "--port=0", "--interface=lan0", "--bind-interfaces",
		"--dhcp-range=192.168.1.50,192.168.1.99,1h", "--dhcp-leasefile="+filepath.Join(dir, "dnsmasq.leases"), "--user=root", "--log-dhcp",
		"--log-facility="+filepath.Join(dir, "dnsmasq.log"))
	p, err := start("dnsmasq", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(syscall.SIGTERM, 5*time.Second) })
	// Serving once its socket on port 67 is bound.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("dnsmasq exited: %s", tail(filepath.Join(dir, "dnsmasq.log"), 20))
		}
		out, err := other.command(ctx, "ss", "-Hlun").Output()
		return err == nil && listensUDP(string(out), "67"), nil
	}); err != nil {
		t.Fatalf("dnsmasq not serving: %v", err)
	}
	return dir
}

// proxyMode turns the reference network into a ProxyDHCP one: no pool, no
// fixed addresses, proxy: true.
func proxyMode(y string) string {
	y = replaceOnce(y, "      pools:\n        - 192.168.1.150-192.168.1.199\n", "      proxy: true\n")
	return regexp.MustCompile(`(?m)^    ip: 192\.168\.1\.10[123]\n`).ReplaceAllString(y, "")
}
