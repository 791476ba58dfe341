//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A DHCP client is a real client program run in a namespace; it returns the
// address the server gave it, as the client itself reports it.
type dhcpClient func(t *testing.T, ns *Namespace, ifname string) (netip.Addr, error)

// setMAC gives the client's interface a new hardware address, so that one
// interface can play several machines in turn.
func setMAC(t *testing.T, ns *Namespace, ifname, mac string) {
	t.Helper()
	ns.ip(t, "link", "set", ifname, "down")
	ns.ip(t, "addr", "flush", "dev", ifname)
	ns.ip(t, "link", "set", ifname, "address", mac)
	ns.ip(t, "link", "set", ifname, "up")
}

// randomMAC returns a locally administered unicast address, a machine the
// configuration does not know.
func randomMAC() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	b[0] = b[0]&^0x01 | 0x02
	return net.HardwareAddr(b).String()
}

// udhcpc runs busybox's DHCP client once and returns the address it got.
func udhcpc(t *testing.T, ns *Namespace, ifname string) (netip.Addr, error) {
	t.Helper()
	l, err := udhcpcLease(t, ns, ifname)
	if err == nil && l.ServerID != "192.168.1.21" {
		return netip.Addr{}, fmt.Errorf("udhcpc got its lease from server %q, want 192.168.1.21", l.ServerID)
	}
	return l.IP, err
}

// udhcpcResult is what udhcpc reports of a lease: the address, and the
// BOOTP fields a network-boot client reads (siaddr, file).
type udhcpcResult struct {
	IP       netip.Addr
	ServerID string // option 54 of the ACK: the server that gave the lease
	SIAddr   string
	BootFile string
	// Options holds the options udhcpc exports to its script by name
	// (router, dns, domain, hostname, rootpath, subnet, broadcast, lease),
	// as it printed them; absent when the server sent none.
	Options map[string]string
}

// udhcpcLease runs busybox's DHCP client once (-q: quit once bound, -n: fail
// when no lease) with a script of our own that records the lease: Debian's
// busybox may ship no default script, and we want the client's own view.
// extra arguments go to udhcpc (-V VENDOR to play a PXE client).
func udhcpcLease(t *testing.T, ns *Namespace, ifname string, extra ...string) (udhcpcResult, error) {
	t.Helper()
	dir := t.TempDir()
	record := filepath.Join(dir, "lease.env")
	script := filepath.Join(dir, "udhcpc.script")
	// udhcpc calls the script with $1 = deconfig, bound, renew, nak or
	// leasefail, and the lease in environment variables ($ip, $serverid,
	// $siaddr, $boot_file, ...).
	vars := filepath.Join(dir, "lease.vars")
	body := "#!/bin/sh\ncase \"$1\" in bound|renew) echo \"ip=$ip serverid=$serverid siaddr=$siaddr boot_file=$boot_file subnet=$subnet\" >>" + record + "; env >" + vars + ";; esac\nexit 0\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	args := append([]string{"udhcpc", "-f", "-q", "-n", "-i", ifname,
		"-s", script, "-t", "5", "-T", "2", "-A", "1"}, extra...)
	out, err := ns.command(ctx, "busybox", args...).CombinedOutput()
	if err != nil {
		return udhcpcResult{}, fmt.Errorf("udhcpc: %v\n%s", err, out)
	}
	data, err := os.ReadFile(record)
	if err != nil {
		return udhcpcResult{}, fmt.Errorf("udhcpc reported no lease (%v)\n%s", err, out)
	}
	m := regexp.MustCompile(`ip=(\S+) serverid=(\S*) siaddr=(\S*) boot_file=(\S*)`).FindAllStringSubmatch(string(data), -1)
	if m == nil {
		return udhcpcResult{}, fmt.Errorf("udhcpc script recorded %q", data)
	}
	last := m[len(m)-1]
	ip, err := netip.ParseAddr(last[1])
	res := udhcpcResult{IP: ip, ServerID: last[2], SIAddr: last[3], BootFile: last[4], Options: map[string]string{}}
	keep := []string{"router", "dns", "domain", "hostname", "rootpath", "subnet", "broadcast", "lease"}
	env, _ := os.ReadFile(vars)
	for _, line := range strings.Split(string(env), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if slices.Contains(keep, k) {
			res.Options[k] = strings.TrimSpace(v)
		}
	}
	return res, err
}

// dhclient runs ISC dhclient for one lease attempt (-1) with a configuration,
// lease file and PID file of its own, and a no-op script so it leaves the
// interface alone. It runs in the foreground (-d) so that, once it reports
// being bound, the test stops exactly the process it started.
func dhclient(t *testing.T, ns *Namespace, ifname string) (netip.Addr, error) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "dhclient.conf")
	leases := filepath.Join(dir, "dhclient.leases")
	output := filepath.Join(dir, "dhclient.out")
	// Our own configuration, not the host's /etc/dhcp/dhclient.conf.
	confText := "timeout 30;\nrequest subnet-mask, broadcast-address, routers, domain-name-servers;\n"
	if err := os.WriteFile(conf, []byte(confText), 0o644); err != nil {
		t.Fatal(err)
	}
	bound, err := runDhclient(t, ns, ifname, dir, conf, leases, output)
	if err != nil {
		return netip.Addr{}, err
	}
	data, err := os.ReadFile(leases)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("dhclient lease file: %v", err)
	}
	fixed := regexp.MustCompile(`fixed-address (\S+);`).FindAllSubmatch(data, -1)
	if fixed == nil {
		return netip.Addr{}, fmt.Errorf("dhclient lease file has no fixed-address:\n%s", data)
	}
	if got := string(fixed[len(fixed)-1][1]); got != bound {
		return netip.Addr{}, fmt.Errorf("dhclient said bound to %s but its lease file holds %s", bound, got)
	}
	return netip.ParseAddr(bound)
}

// runDhclient runs ISC dhclient in the foreground (-d) for one lease
// attempt (-1) with the configuration conf, the lease file leases and a PID
// file of its own in dir, a no-op script, and its output in output, until
// it reports being bound; it returns the address and stops the process it
// started.
func runDhclient(t *testing.T, ns *Namespace, ifname, dir, conf, leases, output string) (string, error) {
	t.Helper()
	out, err := os.Create(output)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := ns.command(context.Background(), "dhclient", "-d", "-1", "-v", "-sf", "/bin/true",
		"-cf", conf, "-lf", leases, "-pf", filepath.Join(dir, "dhclient.pid"), ifname)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := start("dhclient", cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop(syscall.SIGTERM, 5*time.Second)

	boundTo := regexp.MustCompile(`bound to (\S+)`)
	var bound [][]byte
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	err = waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		data, _ := os.ReadFile(output)
		if bound = boundTo.FindSubmatch(data); bound != nil {
			return true, nil
		}
		if p.exited() {
			return false, fmt.Errorf("%w: %v", errExited, p.err)
		}
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("dhclient did not report being bound: %v\n%s", err, tail(output, 30))
	}
	return string(bound[1]), nil
}

// dhclientReboot runs ISC dhclient as a client that comes back with a lease
// of another network, still valid, on its lease file: it asks for that
// address again in INIT-REBOOT (RFC 2131 §4.3.2) and waits for an answer
// (reboot 3 s), then starts over with a DISCOVER. It reports whether a
// DHCPNAK came, and the address the client is bound to in the end.
func dhclientReboot(t *testing.T, ns *Namespace, ifname, oldIP string) (nak bool, bound netip.Addr, err error) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "dhclient.conf")
	leases := filepath.Join(dir, "dhclient.leases")
	output := filepath.Join(dir, "dhclient.out")
	if err := os.WriteFile(conf, []byte("timeout 30;\nreboot 3;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`lease {
  interface "%s";
  fixed-address %s;
  option subnet-mask 255.255.255.0;
  option dhcp-lease-time 86400;
  option dhcp-server-identifier 10.99.0.1;
  renew 4 2037/01/01 00:00:01;
  rebind 4 2037/01/01 00:00:01;
  expire 4 2037/01/01 00:00:01;
}
`, ifname, oldIP)
	if err := os.WriteFile(leases, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, err := runDhclient(t, ns, ifname, dir, conf, leases, output)
	if err != nil {
		return false, netip.Addr{}, err
	}
	data, _ := os.ReadFile(output)
	if !strings.Contains(string(data), "DHCPREQUEST for "+oldIP) {
		return false, netip.Addr{}, fmt.Errorf("dhclient did not ask for %s again:\n%s", oldIP, tail(output, 30))
	}
	bound, err = netip.ParseAddr(addr)
	return strings.Contains(string(data), "DHCPNAK"), bound, err
}
