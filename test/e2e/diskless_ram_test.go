//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// loginDeadline bounds power-on to the login prompt for three guests
// booting at once under TCG on two cores.
const loginDeadline = 3 * time.Minute

// TestDisklessRAM boots station-01..03 at once, with no disk, into the
// Debian root that pxed alone serves in RAM: SeaBIOS and the iPXE ROM get
// pxed's iPXE script, which loads the kernel, the packed image
// (images/diskless-ram/root.cpio.zst) and the machine's overlay over HTTP;
// each station reaches its login prompt under its own host name, with its
// own machine ID. Then the image changes (a new /etc/issue appended to a
// copy of the archive) and station-01's next boot shows it. It logs each
// station's time to its login prompt and pxed's peak memory while it
// served the image to the three.
func TestDisklessRAM(t *testing.T) {
	dl := disklessRoot(t)
	stations := []Station{station01, station02, station03}
	ns, taps := newBridgeLab(t, len(stations))
	root := prepareTFTPRoot(t)
	if err := os.MkdirAll(filepath.Join(root, "diskless"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The kernel, and the NFS initramfs the example's other profile names.
	for _, f := range []string{"vmlinuz", "initrd.img"} {
		run(t, "cp", filepath.Join(dl, f), filepath.Join(root, "diskless", f))
		run(t, "chmod", "a+r", filepath.Join(root, "diskless", f))
	}
	work := t.TempDir()
	image := filepath.Join(work, "image.tar")
	if err := os.Symlink(filepath.Join(dl, "ram.tar"), image); err != nil {
		t.Fatal(err)
	}
	// examples/diskless.yaml with every machine on its RAM profile, and
	// the image where this test keeps it.
	px := startPxed(t, ns, pxedOptions{Interface: "br0", TFTPRoot: root, Config: "examples/diskless.yaml", Edit: func(y string) string {
		y = replaceOnce(y, "  profile: diskless-nfs\n", "  profile: diskless-ram\n")
		return replaceOnce(y, "image: /srv/diskless/ram.tar", "image: "+image)
	}})
	pid := px.p.cmd.Process.Pid

	// pxed packs the image as it starts, before any machine asks.
	built := waitLogged(t, px, `msg="root image built"`, 60*time.Second)
	t.Logf("pxed packed the image: %s", built)
	packPeak := procStatus(t, pid, "VmHWM")
	// From here the peak is what serving takes (Linux 4.0: writing 5 to
	// clear_refs resets VmHWM to the current resident set).
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Logf("resetting pxed's peak memory: %v (the figure includes the packing)", err)
	}
	rssBefore := procStatus(t, pid, "VmRSS")

	// The image's size over HTTP (Content-Length), the overlay over TFTP.
	imageURL := "http://192.168.1.21:8080/images/diskless-ram/root.cpio.zst"
	head := run(t, "ip", "netns", "exec", ns.Name, "curl", "-sSfI", imageURL)
	if !regexp.MustCompile(`(?i)content-length: [1-9][0-9]{6,}`).MatchString(head) {
		t.Errorf("HEAD %s: no Content-Length of the image:\n%s", imageURL, head)
	}
	overlay := filepath.Join(work, "overlay.cpio")
	run(t, "ip", "netns", "exec", ns.Name, "curl", "-sSf", "-o", overlay, "tftp://192.168.1.21/images/diskless-ram/00-18-e7-42-84-3a.cpio")
	if b, _ := os.ReadFile(overlay); !bytes.Contains(b, []byte("etc/hostname\x00")) || !bytes.Contains(b, []byte("station-01\n")) {
		t.Errorf("station-01's overlay over TFTP has no etc/hostname with station-01:\n%q", b)
	}

	guests := make([]*Guest, len(stations))
	for i, st := range stations {
		guests[i] = bootGuestWith(t, ns, taps[i], st, biosIPXE, []string{"-m", "1536"})
	}

	// All three have loaded the image: pxed's peak while serving it.
	imageDone := `file=images/diskless-ram/root.cpio.zst bytes=` + sizeOf(t, head)
	served := make(chan struct{})
	go func() {
		defer close(served)
		ctx, cancel := context.WithTimeout(t.Context(), loginDeadline)
		defer cancel()
		waitFor(ctx, 250*time.Millisecond, func() (bool, error) {
			b, err := os.ReadFile(px.log)
			return err == nil && bytes.Count(b, []byte(imageDone)) >= len(stations), nil
		})
	}()

	var wg sync.WaitGroup
	errs := make([]error, len(guests))
	for i, g := range guests {
		wg.Go(func() {
			took, err := g.waitConsole(t.Context(), g.Name+" login:", loginDeadline)
			if err != nil {
				errs[i] = err
				return
			}
			t.Logf("%s: power-on to %q in %v", g.Name, g.Name+" login:", took)
			if want := fmt.Sprintf("pxed overlay: %s %s machine-id ", g.Name, g.MAC); !bytes.Contains(g.console(), []byte(want)) {
				errs[i] = fmt.Errorf("%s: the console shows no %q before its login prompt", g.Name, want)
			}
		})
	}
	<-served
	peak := procStatus(t, pid, "VmHWM")
	t.Logf("pxed resident set: %d KiB at its peak while packing, %d KiB before the boots, %d KiB at its peak while serving the %s-byte image to %d stations",
		packPeak>>10, rssBefore>>10, peak>>10, sizeOf(t, head), len(stations))
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		return
	}
	for _, g := range guests {
		g.powerOff() // free the CPU for station-01's next boot
	}

	// Change the image: a copy of the archive with a new /etc/issue
	// appended (tar -r), which replaces the first; the profile's path now
	// names it.
	v2 := filepath.Join(work, "image-v2.tar")
	run(t, "cp", filepath.Join(dl, "ram.tar"), v2)
	issue := filepath.Join(work, "issue", "etc")
	if err := os.MkdirAll(issue, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(issue, "issue"), []byte("pxed image v2 \\n \\l\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "tar", "-C", filepath.Dir(issue), "-rf", v2, "./etc/issue")
	if err := os.Symlink(v2, image+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(image+".new", image); err != nil {
		t.Fatal(err)
	}
	// station-01's next boot (a new power-on: the guests run with
	// -no-reboot, which makes a reset end QEMU).
	g := bootGuestWith(t, ns, taps[0], station01, biosIPXE, []string{"-m", "1536"})
	took, err := g.waitConsole(t.Context(), g.Name+" login:", 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s alone, next boot: power-on to %q in %v", g.Name, g.Name+" login:", took)
	if !bytes.Contains(g.console(), []byte("pxed image v2 "+g.Name)) {
		t.Errorf("%s's next boot does not show the changed image's /etc/issue (%q)", g.Name, "pxed image v2 "+g.Name)
	}
	b, _ := os.ReadFile(px.log)
	if builds := regexp.MustCompile(`.*msg="root image built".*`).FindAll(b, -1); len(builds) != 2 {
		t.Errorf("pxed packed the image %d times, want twice (at start, after the change)", len(builds))
	} else {
		t.Logf("pxed packed the changed image: %s", builds[1])
	}
	for _, st := range stations {
		expectLease(t, px.leases(t), st.MAC, st.IP)
	}
}

// waitLogged waits up to d for a line of pxed's log containing want and
// returns it.
func waitLogged(t *testing.T, px *Pxed, want string, d time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var line string
	err := waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		b, err := os.ReadFile(px.log)
		if err != nil {
			return false, err
		}
		for l := range strings.SplitSeq(string(b), "\n") {
			if strings.Contains(l, want) {
				line = l
				return true, nil
			}
		}
		return px.p.exited(), nil
	})
	if err != nil || line == "" {
		t.Fatalf("pxed's log has no line with %q after %v: %v", want, d, err)
	}
	return line
}

// sizeOf reads the Content-Length of an HTTP response's headers.
func sizeOf(t *testing.T, head string) string {
	t.Helper()
	m := regexp.MustCompile(`(?i)content-length: ([0-9]+)`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("no Content-Length in\n%s", head)
	}
	return m[1]
}

// console is what g's serial console showed so far.
func (g *Guest) console() []byte {
	b, _ := os.ReadFile(g.serial)
	return b
}

// waitConsole waits up to d until g's serial console shows want, and
// returns the time since power-on.
func (g *Guest) waitConsole(ctx context.Context, want string, d time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	took, err := g.waitSerialCount(ctx, want, 1)
	if err == nil {
		g.reached = true
	}
	return took, err
}
