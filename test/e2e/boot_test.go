//go:build e2e

package e2e

import (
	"context"
	"sync"
	"testing"
	"time"
)

// kernelDeadline bounds power-on to the kernel's first line for one guest
// under TCG (no KVM); with dnsmasq it takes about 30 s.
const kernelDeadline = 4 * time.Minute

// TestBootStation01 is the reference network's first promise: station-01
// powers on, gets 192.168.1.101 and PXELINUX from pxed, and the Debian
// installer's kernel starts.
func TestBootStation01(t *testing.T) {
	ns, taps := newBridgeLab(t, 1)
	root := prepareTFTPRoot(t)
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root})

	g := bootStation(t, ns, taps[0], station01)
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline)
	defer cancel()
	took, err := g.waitKernel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: power-on to %q in %v", g.Name, kernelStarted, took)
	g.powerOff()

	expectLease(t, px.leases(t), station01.MAC, station01.IP)
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
	ctx, cancel := context.WithTimeout(t.Context(), kernelDeadline+2*time.Minute)
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
			t.Logf("%s: power-on to %q in %v", g.Name, kernelStarted, took)
			g.powerOff() // free the CPU for the others
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		return
	}

	leases := px.leases(t)
	for _, st := range stations {
		expectLease(t, leases, st.MAC, st.IP)
	}
}
