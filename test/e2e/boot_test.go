//go:build e2e

package e2e

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// kernelDeadline bounds power-on to the kernel's first line for one guest
// under TCG (no KVM); with dnsmasq it takes about 30 s.
const kernelDeadline = 4 * time.Minute

// bootOne serves the reference network (edited by edit, if set) from pxed on
// a one-tap lab, boots st with firmware fw, waits for the installer's
// kernel and checks that pxed leased st its address. It returns pxed, for
// the caller's checks of its log.
func bootOne(t *testing.T, st Station, fw Firmware, how string, edit func(string) string) *Pxed {
	t.Helper()
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Edit: edit})

	reachKernel(t, bootGuest(t, ns, taps[0], st, fw), how, nil)
	expectLease(t, px.leases(t), st.MAC, st.IP)
	return px
}

// reachKernel waits until guest g shows the installer's kernel starting,
// logs how long that took and powers it off. On failure it runs onFail (if
// set, to show more) and fails the test.
func reachKernel(t *testing.T, g *Guest, how string, onFail func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	defer cancel()
	took, err := g.waitKernel(ctx)
	if err != nil {
		if onFail != nil {
			onFail()
		}
		t.Fatal(err)
	}
	t.Logf("%s (%s): power-on to %q in %v", g.Name, how, kernelStarted, took)
	g.powerOff()
}

// TestBootStation01 is the reference network's first promise: station-01
// powers on, gets 192.168.1.101 from pxed and, since its ROM is iPXE, the
// URL of the iPXE script pxed renders from its profile (http.ipxe_script in
// examples/seed.yaml), and the Debian installer's kernel starts. Script,
// kernel and initrd come over HTTP, with no PXELINUX at all.
func TestBootStation01(t *testing.T) {
	px := bootOne(t, station01, biosIPXE, "SeaBIOS + iPXE → iPXE script, kernel and initrd over HTTP", nil)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.101 file=ipxe/00-18-e7-42-84-3a.ipxe`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.101 file=debian-installer/amd64/initrd.gz bytes=40810276`)
	b, err := os.ReadFile(px.log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "file=pxelinux.0") {
		t.Error("PXELINUX was loaded although the iPXE script was given")
	}
}

// withoutIPXEScript turns http.ipxe_script off in examples/seed.yaml: iPXE
// clients then get boot.file (pxelinux.0) like any PXE ROM.
func withoutIPXEScript(y string) string {
	return replaceOnce(y, "  ipxe_script: true\n", "  ipxe_script: false\n")
}

// expectLogged fails unless pxed's log has a line containing want.
func expectLogged(t *testing.T, px *Pxed, want string) {
	t.Helper()
	// pxed's log sink gathers lines for up to 20 ms before one write.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(px.log)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("pxed's log has no line with %q", want)
			return
		}
	}
}

// TestBootStation01TFTP boots station-01 with pxed's HTTP server off: the
// generated PXELINUX config then names the kernel and initrd by TFTP path,
// and the whole boot is plain PXE/TFTP.
func TestBootStation01TFTP(t *testing.T) {
	px := bootOne(t, station01, biosIPXE, "TFTP only", func(y string) string {
		return replaceOnce(y, "http:\n  enabled: true", "http:\n  enabled: false")
	})
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.101 file=debian-installer/amd64/initrd.gz`)
}

// TestBootThreeStations boots the three stations at once on one bridge: each
// reaches the kernel and holds its own reserved address.
func TestBootThreeStations(t *testing.T) {
	stations := []Station{station01, station02, station03}
	ns, taps := newBridgeLab(t, len(stations))
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})

	var guests []*Guest
	for i, st := range stations {
		guests = append(guests, bootStation(t, ns, taps[i], st))
	}
	// Three guests share two cores under TCG: allow more than one guest's time.
	if !waitKernels(t, guests, nil, kernelDeadline+2*time.Minute) {
		return
	}

	leases := px.leases(t)
	for _, st := range stations {
		expectLease(t, leases, st.MAC, st.IP)
	}
}

// waitKernels waits, up to deadline in all, until every guest's kernel has
// started, logging each one's time (with how[i] when given) and powering it
// off at once to free the CPU for the others. It reports whether all did.
func waitKernels(t *testing.T, guests []*Guest, how []string, deadline time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(guests))
	for i, g := range guests {
		wg.Go(func() {
			took, err := g.waitKernel(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			name := g.Name
			if i < len(how) {
				name += " (" + how[i] + ")"
			}
			t.Logf("%s: power-on to %q in %v", name, kernelStarted, took)
			g.powerOff() // free the CPU for the others
		})
	}
	wg.Wait()
	ok := true
	for _, err := range errs {
		if err != nil {
			t.Error(err)
			ok = false
		}
	}
	return ok
}

// TestBootPXELINUXOverIPXE boots station-01 with http.ipxe_script off: its
// iPXE ROM gets pxelinux.0 over TFTP, PXELINUX asks for its config, and
// pxed's generated config, seeing an iPXE client, names the kernel and
// initrd by http:// URL, which PXELINUX fetches through iPXE.
func TestBootPXELINUXOverIPXE(t *testing.T) {
	px := bootOne(t, station01, biosIPXE, "SeaBIOS + iPXE → PXELINUX, kernel and initrd over HTTP", withoutIPXEScript)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.101 file=pxelinux.0`)
	expectLogged(t, px, `msg="tftp transfer" ip=192.168.1.101 file=pxelinux.cfg/01-00-18-e7-42-84-3a`)
	expectLogged(t, px, `msg="http transfer" ip=192.168.1.101 file=debian-installer/amd64/initrd.gz bytes=`)
}
