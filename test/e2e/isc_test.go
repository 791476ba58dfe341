//go:build e2e

package e2e

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestISCDhcpdConf serves examples/dhcpd.conf, the reference network written
// as an ISC dhcpd.conf, with no YAML at all: udhcpc, playing a BIOS PXE
// client as station-01 and an x64 UEFI one as station-02, must get its fixed
// address, next-server and the boot file of its class, as the client itself
// reports them; the lease store must hold both leases.
func TestISCDhcpdConf(t *testing.T) {
	server, client := newVethLab(t)
	requireTools(t, "busybox")
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Config: "examples/dhcpd.conf"})

	for _, c := range []struct {
		station Station
		vendor  string // option 60, as PXE 2.1 ROMs send it
		file    string
	}{
		{station01, "PXEClient:Arch:00000:UNDI:002001", "pxelinux.0"},
		{station02, "PXEClient:Arch:00007:UNDI:003001", "debian-installer/amd64/bootnetx64.efi"},
	} {
		t.Run(c.station.Name, func(t *testing.T) {
			setMAC(t, client, "cli0", c.station.MAC)
			got, err := udhcpcLease(t, client, "cli0", "-V", c.vendor)
			if err != nil {
				t.Fatal(err)
			}
			if got.IP != c.station.IP || got.ServerID != "192.168.1.21" || got.SIAddr != "192.168.1.21" || got.BootFile != c.file {
				t.Errorf("%s (%s) got ip %s from server %q, siaddr %q, boot file %q; want %s from 192.168.1.21, 192.168.1.21, %q",
					c.station.Name, c.vendor, got.IP, got.ServerID, got.SIAddr, got.BootFile, c.station.IP, c.file)
			}
		})
	}
	if t.Failed() {
		return
	}
	leases := px.leases(t)
	expectLease(t, leases, station01.MAC, station01.IP)
	expectLease(t, leases, station02.MAC, station02.IP)
}

// TestISCSameAnswersAsDhcpd serves dhcpd.conf files first with ISC dhcpd
// itself, then with pxed, in the same namespace, and asks both the same
// questions with udhcpc: a known station and an unknown machine, as BIOS and
// as x64 UEFI PXE clients, requesting the root path too. Each answer (fixed
// address or not, next-server, boot file, router, DNS, domain, host name,
// root path, netmask, lease time) must be the same from both servers: the
// import means what dhcpd means.
func TestISCSameAnswersAsDhcpd(t *testing.T) {
	requireTools(t, "busybox", "dhcpd")
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	questions := []struct {
		name, mac, vendor string
		host              string // the host declared for mac in the test's files, "" for none
	}{
		{"station-01 BIOS", station01.MAC, "PXEClient:Arch:00000:UNDI:002001", station01.Name},
		{"station-02 UEFI", station02.MAC, "PXEClient:Arch:00007:UNDI:003001", station02.Name},
		{"station-03 UEFI", station03.MAC, "PXEClient:Arch:00007:UNDI:003001", station03.Name},
		{"unknown BIOS", "02:00:00:00:00:01", "PXEClient:Arch:00000:UNDI:002001", ""},
	}
	ask := func(t *testing.T, client *Namespace) []udhcpcResult {
		var out []udhcpcResult
		for _, q := range questions {
			setMAC(t, client, "cli0", q.mac)
			got, err := udhcpcLease(t, client, "cli0", "-V", q.vendor, "-O", "rootpath")
			if err != nil {
				t.Fatalf("%s: %v", q.name, err)
			}
			if q.host == "" && !inPool(got.IP) {
				t.Errorf("%s got %s, want a pool address", q.name, got.IP)
			}
			if inPool(got.IP) {
				got.IP = netip.Addr{} // which pool address is the server's choice
			}
			out = append(out, got)
		}
		return out
	}
	// Each file with one answer spelt out, so that agreeing cannot mean
	// both servers sent nothing: question index, what, value from both.
	type spot struct {
		q          int
		what, want string
	}
	for _, c := range []struct {
		conf string
		spot spot
	}{
		{"examples/dhcpd.conf", spot{1, "boot file", "debian-installer/amd64/bootnetx64.efi"}},
		{"internal/dhcpdconf/testdata/groups.conf", spot{1, "siaddr", "192.168.1.22"}},
		{"internal/dhcpdconf/testdata/pxe-classes.conf", spot{0, "boot file", "lpxelinux.0"}},
		{"internal/dhcpdconf/testdata/diskless.conf", spot{2, "rootpath", "192.168.1.21:/srv/nfsroot/station-03"}},
		{"internal/dhcpdconf/testdata/full-subnet.conf", spot{3, "dns", "192.168.1.1 9.9.9.9"}},
	} {
		conf := c.conf
		t.Run(filepath.Base(conf), func(t *testing.T) {
			file := filepath.Join(root, conf)
			server, client := newVethLab(t)

			dhcpd := startDhcpd(t, server, file)
			fromDhcpd := ask(t, client)
			if _, err := dhcpd.stop(syscall.SIGTERM, 10*time.Second); err != nil && !dhcpd.exited() {
				t.Fatalf("stopping dhcpd: %v", err)
			}

			px := startPxed(t, server, pxedOptions{Interface: "srv0", Config: conf, TFTPRoot: bootFilesOf(t, file)})
			fromPxed := ask(t, client)
			px.stop(t)

			for i, q := range questions {
				// The one difference docs/dhcpd-conf.md states: pxed sends
				// a host's declared name (option 12), which dhcpd does only
				// with use-host-decl-names on.
				if _, sent := fromDhcpd[i].Options["hostname"]; !sent && q.host != "" && fromPxed[i].Options["hostname"] == q.host {
					t.Logf("%s: pxed sends host name %q, dhcpd none (use-host-decl-names is off)", q.name, q.host)
					delete(fromPxed[i].Options, "hostname")
				}
				if diff := cmp.Diff(fromDhcpd[i], fromPxed[i], cmpopts.EquateComparable(netip.Addr{})); diff != "" {
					t.Errorf("%s: pxed answers differently from dhcpd (-dhcpd +pxed):\n%s", q.name, diff)
				}
			}
			got := map[string]string{"boot file": fromDhcpd[c.spot.q].BootFile, "siaddr": fromDhcpd[c.spot.q].SIAddr}
			for k, v := range fromDhcpd[c.spot.q].Options {
				got[k] = v
			}
			if got[c.spot.what] != c.spot.want {
				t.Errorf("%s: dhcpd's %s is %q, want %q", questions[c.spot.q].name, c.spot.what, got[c.spot.what], c.spot.want)
			}
		})
	}
}

// startDhcpd runs ISC dhcpd in the foreground inside ns on srv0, with a
// lease file of its own; the test's cleanup stops it.
func startDhcpd(t *testing.T, ns *Namespace, conf string) *proc {
	t.Helper()
	dir := t.TempDir()
	leases := filepath.Join(dir, "dhcpd.leases")
	if err := os.WriteFile(leases, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "dhcpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := ns.command(context.Background(), "dhcpd", "-f", "-d", "-4", "-cf", conf, "-lf", leases, "-pf", filepath.Join(dir, "dhcpd.pid"), "srv0")
	cmd.Stdout, cmd.Stderr = log, log
	p, err := start("dhcpd", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM, 10*time.Second)
		if t.Failed() {
			t.Logf("dhcpd log:\n%s", tail(log.Name(), 40))
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return false, errExited
		}
		out, err := ns.command(ctx, "ss", "-Hlun").Output()
		return err == nil && listensUDP(string(out), "67"), nil
	})
	if err != nil {
		t.Fatalf("dhcpd did not start (%v); log:\n%s", err, tail(log.Name(), 40))
	}
	return p
}

// bootFilesOf makes a TFTP root holding a stand-in for every file the
// dhcpd.conf names, so that pxed's check of the boot files passes.
func bootFilesOf(t *testing.T, conf string) string {
	t.Helper()
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, m := range regexp.MustCompile(`filename "([^"]+)"`).FindAllStringSubmatch(string(data), -1) {
		p := filepath.Join(root, m[1])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not a boot program\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestISCAuthoritativePerSubnet: a client back from another network asks
// for its old address (INIT-REBOOT). dhcpd NAKs it where the subnet is
// authoritative, by its own statement over the top level's, and stays
// silent where it is not; pxed, serving the same dhcpd.conf, must do the
// same. The client is bound in the end either way (after a DISCOVER), so
// both servers are known to answer.
func TestISCAuthoritativePerSubnet(t *testing.T) {
	requireTools(t, "dhclient", "dhcpd")
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		conf string
		nak  bool
	}{
		{"internal/dhcpdconf/testdata/authoritative-subnet.conf", true},
		{"internal/dhcpdconf/testdata/not-authoritative-subnet.conf", false},
	} {
		t.Run(filepath.Base(c.conf), func(t *testing.T) {
			file := filepath.Join(root, c.conf)
			server, client := newVethLab(t)
			setMAC(t, client, "cli0", "02:00:00:00:00:02")

			dhcpd := startDhcpd(t, server, file)
			nak, bound, err := dhclientReboot(t, client, "cli0", "10.99.0.5")
			if err != nil {
				t.Fatalf("with dhcpd: %v", err)
			}
			if nak != c.nak || !inPool(bound) {
				t.Errorf("dhcpd: NAK %v, bound to %s; want NAK %v and a pool address", nak, bound, c.nak)
			}
			if _, err := dhcpd.stop(syscall.SIGTERM, 10*time.Second); err != nil && !dhcpd.exited() {
				t.Fatalf("stopping dhcpd: %v", err)
			}

			px := startPxed(t, server, pxedOptions{Interface: "srv0", Config: c.conf, TFTPRoot: t.TempDir()})
			nak, bound, err = dhclientReboot(t, client, "cli0", "10.99.0.5")
			px.stop(t)
			if err != nil {
				t.Fatalf("with pxed: %v", err)
			}
			if nak != c.nak || !inPool(bound) {
				t.Errorf("pxed: NAK %v, bound to %s; want NAK %v, as dhcpd, and a pool address", nak, bound, c.nak)
			}
		})
	}
}
