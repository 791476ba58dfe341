//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/postgres/pgtest"
)

// The two servers of the reference network, each in a namespace of its own
// on the lab's LAN: serveur-01 serves the boot files, serveur-02 answers
// DHCP and names serveur-01 as next-server.
const (
	filesAddr = "192.168.1.21/24"
	dhcpAddr  = "192.168.1.22/24"
)

// TestSplitDHCPAndFiles: station-01 (SeaBIOS + iPXE ROM) boots to the
// installer's kernel with DHCP from one pxed and its files (PXELINUX, its
// config, kernel, initrd) from another, as the reference network lays them
// out, both pxed sharing one PostgreSQL. The file server sees only the
// station's address; it names the station by the lease the DHCP server
// recorded in the shared database, so that its events of the boot's files
// are station-01's. Each shares its boot events through the database: both
// servers' timelines of station-01 show the whole boot. The DHCP server
// serves no file.
func TestSplitDHCPAndFiles(t *testing.T) {
	requireTools(t, "curl", "ss")
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	lab, taps := newBridgeLab(t, 1)
	// The bridge is the switch alone: the servers have addresses of their own.
	lab.ip(t, "addr", "flush", "dev", "br0")
	root := prepareTFTPRoot(t)

	filesNS := attachToLab(t, lab, "files", "eth0", filesAddr)
	files := startPxed(t, filesNS, pxedOptions{Interface: "eth0", TFTPRoot: root, Postgres: dsn, Ready: []string{"69"},
		Edit: func(y string) string {
			y = replaceOnce(y, "dhcp:\n", "dhcp:\n  enabled: false\n")
			return replaceOnce(y, "router_advertisement: [br0]", "router_advertisement: []")
		}})
	dhcpNS := attachToLab(t, lab, "dhcp", "eth0", dhcpAddr)
	dhcp := startPxed(t, dhcpNS, pxedOptions{Interface: "eth0", Postgres: dsn, Ready: []string{"67"},
		Edit: func(y string) string {
			// next_server stays the seed's 192.168.1.21: the file server.
			y = replaceOnce(y, "http:\n  enabled: true", "http:\n  enabled: false")
			y = replaceOnce(y, "tftp:\n  # Serve the boot files. The root directory must hold pxelinux.0.\n  enabled: true", "tftp:\n  enabled: false")
			// The DHCP server's host is the one that releases iPXE from
			// waiting for an IPv6 router.
			return replaceOnce(y, "router_advertisement: [br0]", "router_advertisement: [eth0]")
		}})
	filesToken, dhcpToken := waitWeb(t, filesNS, files), waitWeb(t, dhcpNS, dhcp)

	reachKernel(t, bootStation(t, lab, taps[0], station01), "DHCP from 192.168.1.22, files from 192.168.1.21", nil)
	expectLease(t, dhcp.leases(t), station01.MAC, station01.IP)

	// The DHCP server serves no files: no TFTP or HTTP socket, no transfer.
	out, err := dhcpNS.command(t.Context(), "ss", "-Hlnut").Output()
	if err != nil {
		t.Fatal(err)
	}
	if listensUDP(string(out), "69") || strings.Contains(string(out), ":8080") {
		t.Errorf("the DHCP server listens for files:\n%s", out)
	}
	if b, _ := os.ReadFile(dhcp.log); strings.Contains(string(b), "transfer\"") {
		t.Error("the DHCP server's log shows a file transfer")
	}

	// Each server's timeline of station-01, as its API shows it: both
	// halves of the boot, each half shared through PostgreSQL by the
	// server that saw it, the files under station-01's MAC although the
	// file server saw only its address.
	for _, srv := range []struct {
		name  string
		ns    *Namespace
		token string
	}{{"DHCP server", dhcpNS, dhcpToken}, {"file server", filesNS, filesToken}} {
		dk, files := timelineOf(t, srv.ns, srv.token, station01)
		t.Logf("%s's timeline of station-01: dhcp %v, files %q", srv.name, dk, files)
		if !slices.Contains(dk, "ACK") {
			t.Errorf("%s's timeline of station-01 lacks the DHCP ACK: %v", srv.name, dk)
		}
		for _, want := range []string{"pxelinux.0", "ldlinux.c32", "pxelinux.cfg/01-00-18-e7-42-84-3a",
			"debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz"} {
			if !slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, " file "+want) }) {
				t.Errorf("%s's timeline of station-01 lacks %s: %q", srv.name, want, files)
			}
		}
	}
	// Each dashboard says what its pxed serves and that its timelines are
	// whole, shared through PostgreSQL.
	for _, srv := range []struct {
		ns     *Namespace
		token  string
		serves []string
	}{{dhcpNS, dhcpToken, []string{"dhcp"}}, {filesNS, filesToken, []string{"tftp", "http"}}} {
		var scope struct {
			Serves   []string `json:"serves"`
			Timeline string   `json:"timeline"`
		}
		out, err := srv.ns.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+srv.token, dashboardURL+"api/v1/scope").Output()
		if err != nil || json.Unmarshal(out, &scope) != nil || !slices.Equal(scope.Serves, srv.serves) || scope.Timeline != "shared" {
			t.Errorf("GET api/v1/scope: %v %s; want serves %v, timeline shared", err, out, srv.serves)
		}
	}
	// Every file went to station-01 by name: none is filed under its address.
	var rows []struct {
		MAC string `json:"mac"`
	}
	out, err = filesNS.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+filesToken, dashboardURL+"api/v1/machines").Output()
	if err != nil || json.Unmarshal(out, &rows) != nil {
		t.Fatalf("GET api/v1/machines: %v\n%s", err, out)
	}
	for _, r := range rows {
		if r.MAC != station01.MAC {
			t.Errorf("the file server knows a machine %q besides station-01", r.MAC)
		}
	}
	expectLogged(t, files, `msg="boot timeline" mac=`+station01.MAC)
}

// timelineOf reads machine st's timeline from the API of the pxed in ns:
// the kinds of its DHCP steps, and its file steps as "PROTO KIND FILE".
func timelineOf(t *testing.T, ns *Namespace, token string, st Station) (dhcpKinds, fileSteps []string) {
	t.Helper()
	var m struct {
		Boots []struct {
			Steps []struct {
				Kind  string `json:"kind"`
				Proto string `json:"proto"`
				File  string `json:"file"`
			} `json:"steps"`
		} `json:"boots"`
	}
	out, err := ns.command(t.Context(), "curl", "-sSf", "-H", "Authorization: Bearer "+token, dashboardURL+"api/v1/machines/"+st.MAC).Output()
	if err != nil {
		t.Fatalf("GET api/v1/machines/%s: %v", st.MAC, err)
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("GET api/v1/machines/%s: %v\n%s", st.MAC, err, out)
	}
	for _, b := range m.Boots {
		for _, s := range b.Steps {
			if s.Proto == "dhcp" {
				dhcpKinds = append(dhcpKinds, s.Kind)
			} else {
				fileSteps = append(fileSteps, fmt.Sprintf("%s %s %s", s.Proto, s.Kind, s.File))
			}
		}
	}
	return dhcpKinds, fileSteps
}
