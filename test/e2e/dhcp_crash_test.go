//go:build e2e

package e2e

import (
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDHCPCrash kills pxed with SIGKILL at random moments, 24 times, while
// perfdhcp keeps asking for leases, and restarts it over the same data
// directory each time. Afterwards every lease that perfdhcp was sent a
// DHCPACK for (read from a capture on the client side, as perfdhcp cannot
// tell) is in `pxed leases --json` with the MAC it was acknowledged to, and
// no address was given to two MACs: RFC 2131 §4.3.2, the binding is recorded
// before the ACK leaves.
func TestDHCPCrash(t *testing.T) {
	server, client := loadLab(t)
	dir := t.TempDir()
	data, log := filepath.Join(dir, "data"), filepath.Join(dir, "pxed.log")
	stopCapture := captureDHCP(t, client, "cli0")
	_, stopLoad := runPerfdhcp(t, client, 3000, 800, 0)

	const kills = 24
	for i := range kills {
		p := serveLoad(t, server, data, log)
		time.Sleep(time.Duration(150+rand.IntN(900)) * time.Millisecond)
		if p.exited() {
			t.Fatalf("pxed exited by itself in round %d; log:\n%s", i, tail(log, 30))
		}
		p.stop(syscall.SIGKILL, 5*time.Second)
	}
	// One more start over what the kills left, to check it loads and serves.
	p := serveLoad(t, server, data, log)
	time.Sleep(time.Second)
	run := stopLoad()
	p.stop(syscall.SIGKILL, 5*time.Second)
	acks, err := readACKs(stopCapture())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("perfdhcp: %d DISCOVER, %d OFFER, %d REQUEST, %d ACK; %d ACKs captured over %d kills",
		run.Discovers, run.Offers, run.Requests, run.Acks, len(acks), kills)
	if len(acks) < 1000 {
		t.Fatalf("only %d ACKs captured: too few to tell; perfdhcp:\n%s\npxed log:\n%s", len(acks), run.Output, tail(log, 30))
	}
	checkAcked(t, acks, readLeasesDir(t, data))
	if t.Failed() {
		keepArtifact(t, log, "pxed.log")
	}
}
