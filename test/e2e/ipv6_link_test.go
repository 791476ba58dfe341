//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIPv6Link checks what pxed gives an IPv6 link, as hosts see it, on a
// veth pair with IPv4 and IPv6 on the server side:
//   - its unsolicited router advertisements (the client's kernel sends no
//     solicitation) give the client's kernel the on-link prefix route;
//   - rdisc6 (ndisc6) solicits and reads the M and O flags, the prefix with
//     L set and A clear, and router lifetime 0;
//   - TFTP (tftp.address ":69") and HTTP (":8080") answer on both
//     families, and a TFTP block size over IPv6 is clamped to MTU − 52.
func TestIPv6Link(t *testing.T) {
	requireTools(t, "rdisc6", "atftp", "tftp", "curl")
	server, client := newVethLab(t)
	server.ip(t, "addr", "add", "2001:db8:1::21/64", "dev", "srv0", "nodad")
	// The client hears advertisements but sends no solicitation of its own:
	// a prefix route it gets comes from an unsolicited advertisement.
	for _, kv := range []string{"accept_ra=1", "router_solicitations=0", "accept_dad=0"} {
		run(t, "ip", "netns", "exec", client.Name, "sysctl", "-qw", "net.ipv6.conf.cli0."+kv)
	}
	client.ip(t, "link", "set", "cli0", "down")
	client.ip(t, "link", "set", "cli0", "up")
	client.ip(t, "addr", "add", "192.168.1.101/24", "dev", "cli0")

	root := t.TempDir()
	os.Chmod(root, 0o755)
	data := bytes.Repeat([]byte("pxed over IPv6\n"), 20000) // 300 kB
	for _, f := range []string{"pxelinux.0", "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz", "debian-installer/amd64/bootnetx64.efi",
		"debian-installer/arm64/linux", "debian-installer/arm64/initrd.gz", "debian-installer/arm64/grubaa64.efi", "six"} {
		p := filepath.Join(root, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	x := startPxed(t, server, pxedOptions{Interface: "srv0", TFTPRoot: root, Edit: func(y string) string {
		return strings.Replace(y, "  router_advertisement: [br0]\n", `  advertise:
    - interface: srv0
      managed: true
      other: true
      prefixes: [2001:db8:1::/64]
`, 1) + dhcp6Section // managed: true needs a DHCPv6 server for the link
	}})

	// The first unsolicited advertisements go at once and 16 s later. The
	// kernel's route from a Prefix Information option expires with its
	// valid lifetime (30 days); the client has no address of the prefix
	// yet, which would give a route of its own, without expiry.
	raRoute := func(routes string) bool {
		for _, l := range strings.Split(routes, "\n") {
			if strings.HasPrefix(l, "2001:db8:1::/64 ") && strings.Contains(l, " expires ") {
				return true
			}
		}
		return false
	}
	var routes string
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		routes = run(t, "ip", "-n", client.Name, "-6", "route", "show", "dev", "cli0")
		if raRoute(routes) {
			break
		}
	}
	if !raRoute(routes) {
		t.Errorf("no on-link route from an unsolicited advertisement; client routes:\n%s", routes)
	}
	if strings.Contains(routes, "default") {
		t.Errorf("a default route from pxed, which is no router:\n%s", routes)
	}

	out := run(t, "ip", "netns", "exec", client.Name, "rdisc6", "-1", "-w", "3000", "cli0")
	t.Logf("rdisc6:\n%s", out)
	for _, want := range []string{
		"Stateful address conf.    :          Yes",
		"Stateful other conf.      :          Yes",
		"Router lifetime           :            0 (0x00000000) seconds",
		"Prefix                   : 2001:db8:1::/64",
		"On-link                 :          Yes",
		"Autonomous address conf.:           No",
		"Valid time              :      2592000 (0x00278d00) seconds",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rdisc6 output lacks %q", want)
		}
	}

	// Both families on one TFTP port and one HTTP port.
	client.ip(t, "addr", "add", "2001:db8:1::101/64", "dev", "cli0", "nodad")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"atftp-ipv6", []string{"atftp", "--option", "blksize 1468", "-g", "-r", "six", "-l", filepath.Join(dir, "atftp-ipv6"), "2001:db8:1::21"}},
		{"tftp-hpa-ipv6", []string{"tftp", "-6", "2001:db8:1::21", "-m", "binary", "-c", "get", "six", filepath.Join(dir, "tftp-hpa-ipv6")}},
		{"tftp-hpa-ipv4", []string{"tftp", "-4", "192.168.1.21", "-m", "binary", "-c", "get", "six", filepath.Join(dir, "tftp-hpa-ipv4")}},
		{"curl-ipv6", []string{"curl", "-sS", "-g", "--max-time", "20", "-o", filepath.Join(dir, "curl-ipv6"), "http://[2001:db8:1::21]:8080/six"}},
		{"curl-ipv4", []string{"curl", "-sS", "--max-time", "20", "-o", filepath.Join(dir, "curl-ipv4"), "http://192.168.1.21:8080/six"}},
	} {
		if b, err := client.command(ctx, c.args[0], c.args[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", c.name, err, b)
			continue
		}
		if got, _ := os.ReadFile(filepath.Join(dir, c.name)); !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, want %d", c.name, len(got), len(data))
		}
	}
	// veth MTU 1500: 1500 − 40 − 8 − 4.
	log, _ := os.ReadFile(x.log)
	if !strings.Contains(string(log), "ip=2001:db8:1::101 file=six bytes=300000") || !strings.Contains(string(log), "blksize=1448") {
		t.Errorf("pxed's log shows no IPv6 transfer at blksize 1448:\n%s", tail(x.log, 30))
	}
}
