//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDHCPDiskFull serves leases from a 256 KiB tmpfs and fills it. While
// the store cannot write, pxed sends no ACK (it cannot record the binding,
// RFC 2131 §4.3.2) but says so in its log and goes on offering; once space
// returns it acknowledges again by itself, and every lease it acknowledged
// is in the journal afterwards.
func TestDHCPDiskFull(t *testing.T) {
	server, client := loadLab(t)
	requireTools(t, "mount", "umount", "dd")
	dir := t.TempDir()
	data, log := filepath.Join(dir, "data"), filepath.Join(dir, "pxed.log")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "mount", "-t", "tmpfs", "-o", "size=256k,mode=755", "pxed-e2e-full", data)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", data).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", data, err, out)
		}
	})
	stopCapture := captureDHCP(t, client, "cli0")
	p := serveLoad(t, server, data, log)

	// Some leases while there is room.
	wait, _ := runPerfdhcp(t, client, 200, 50, 2*time.Second)
	before := wait()
	if before.Acks == 0 {
		t.Fatalf("no ACK with room on the disk; perfdhcp:\n%s", before.Output)
	}

	// Fill the file system. dd stops at ENOSPC, which is the point.
	filler := filepath.Join(data, "filler")
	exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=4k").Run()
	// The journal's last page may still have room for a few records: use it up.
	wait, _ = runPerfdhcp(t, client, 2000, 200, 3*time.Second)
	wait()
	wait, _ = runPerfdhcp(t, client, 2000, 200, 3*time.Second)
	full := wait()
	t.Logf("disk full: %d DISCOVER, %d OFFER, %d REQUEST, %d ACK", full.Discovers, full.Offers, full.Requests, full.Acks)
	if full.Offers < full.Discovers/2 {
		t.Errorf("disk full: %d OFFERs to %d DISCOVERs; offers must go on", full.Offers, full.Discovers)
	}
	if full.Acks != 0 {
		t.Errorf("disk full: %d ACKs for leases that could not be recorded", full.Acks)
	}
	logData, _ := os.ReadFile(log)
	if !strings.Contains(string(logData), "no space left on device") {
		t.Errorf("pxed did not log the full disk; log:\n%s", tail(log, 20))
	}
	if p.exited() {
		t.Fatalf("pxed exited on a full disk; log:\n%s", tail(log, 20))
	}

	// Space returns: ACKs again, without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	wait, _ = runPerfdhcp(t, client, 200, 50, 3*time.Second)
	after := wait()
	t.Logf("space back: %d DISCOVER, %d OFFER, %d REQUEST, %d ACK", after.Discovers, after.Offers, after.Requests, after.Acks)
	if after.Acks < after.Requests*9/10 || after.Acks == 0 {
		t.Errorf("after space returned: %d ACKs to %d REQUESTs", after.Acks, after.Requests)
	}
	p.stop(syscall.SIGTERM, 10*time.Second)
	acks, err := readACKs(stopCapture())
	if err != nil {
		t.Fatal(err)
	}
	// The journal loads (pxed leases reads it as pxed would) and holds every
	// acknowledged lease.
	checkAcked(t, acks, readLeasesDir(t, data))
	if t.Failed() {
		keepArtifact(t, log, "pxed.log")
	}
}
