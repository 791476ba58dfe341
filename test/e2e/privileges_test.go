//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPrivilegeDrop runs pxed serve --user nobody as root in a namespace:
// once started it runs as nobody with no capabilities and no way back
// (read from /proc/PID/status), and it still serves: a reserved station
// gets its address by a reply sent to its MAC address (the packet socket
// opened before the switch), a stranger gets a pool lease written to the
// journal, and a file comes over TFTP.
func TestPrivilegeDrop(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "busybox")
	nobody, err := exec.Command("id", "-u", "nobody").Output()
	if err != nil {
		t.Fatalf("id -u nobody: %v", err)
	}
	uid := strings.TrimSpace(string(nobody))
	// The test's temporary directories live under one made 0700 for root:
	// open it so that nobody can reach its data directory there.
	if err := os.Chmod(filepath.Dir(t.TempDir()), 0o755); err != nil {
		t.Fatal(err)
	}
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Args: []string{"--user", "nobody"}})

	status, err := os.ReadFile("/proc/" + strconv.Itoa(px.p.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `:\s*(.*)$`).FindSubmatch(status)
		if m == nil {
			t.Fatalf("/proc/PID/status has no %s line:\n%s", name, status)
		}
		return strings.Join(strings.Fields(string(m[1])), " ")
	}
	// Real, effective, saved and filesystem IDs all changed.
	if got, want := field("Uid"), strings.Repeat(uid+" ", 3)+uid; got != want {
		t.Errorf("pxed's Uid: %s, want %s", got, want)
	}
	if got := field("Gid"); strings.HasPrefix(got, "0 ") || strings.Contains(got, " 0") {
		t.Errorf("pxed's Gid: %s, want no root group", got)
	}
	if got := field("Groups"); regexp.MustCompile(`(^|\s)0(\s|$)`).MatchString(got) {
		t.Errorf("pxed's supplementary groups %q include root's", got)
	}
	for _, c := range []string{"CapPrm", "CapEff", "CapAmb"} {
		if got := field(c); got != "0000000000000000" {
			t.Errorf("pxed's %s: %s, want none", c, got)
		}
	}
	if got := field("NoNewPrivs"); got != "1" {
		t.Errorf("pxed's NoNewPrivs: %s, want 1", got)
	}
	expectLogged(t, px, `msg="privileges dropped" user=nobody uid=`+uid)

	// DHCP still answers, and to the station's MAC address: the reply to a
	// client without an address goes out through the packet socket.
	setMAC(t, client, "cli0", station02.MAC)
	got, err := udhcpc(t, client, "cli0")
	if err != nil {
		t.Fatalf("station-02 got no lease from pxed running as nobody: %v", err)
	}
	if got != station02.IP {
		t.Errorf("station-02 got %s, want %s", got, station02.IP)
	}
	expectLogged(t, px, "to="+station02.IP.String()+":68")

	// A new lease goes to the journal, written by nobody.
	stranger := randomMAC()
	setMAC(t, client, "cli0", stranger)
	ip, err := udhcpc(t, client, "cli0")
	if err != nil {
		t.Fatalf("a stranger got no lease: %v", err)
	}
	if !inPool(ip) {
		t.Errorf("stranger got %s, want a pool address", ip)
	}
	entries, err := os.ReadDir(px.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := os.Lstat(filepath.Join(px.dataDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if owner := fi.Sys().(*syscall.Stat_t).Uid; strconv.Itoa(int(owner)) != uid {
			t.Errorf("%s in the data directory belongs to uid %d, want nobody (%s)", e.Name(), owner, uid)
		}
	}

	// TFTP serves from the root, now read as nobody.
	client.ip(t, "addr", "add", ip.String()+"/24", "dev", "cli0")
	dst := filepath.Join(t.TempDir(), "pxelinux.0")
	out, err := client.command(t.Context(), "busybox", "tftp", "-g", "-r", "pxelinux.0", "-l", dst, "192.168.1.21").CombinedOutput()
	if err != nil {
		t.Fatalf("tftp from pxed running as nobody: %v %s", err, out)
	}
	if b, err := os.ReadFile(dst); err != nil || !bytes.Equal(b, []byte("not a boot program\n")) {
		t.Errorf("tftp fetched %q (%v)", b, err)
	}

	leases := px.leases(t)
	expectLease(t, leases, stranger, ip)
}
