//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the pxed binary built for this run of the test binary.
// TestMain creates it before any test runs and removes it after the last.
var binDir string

// pxedBinary builds ./cmd/pxed once per run of the test binary, so every test
// exercises the tree under test rather than an installed pxed.
var pxedBinary = sync.OnceValues(func() (string, error) {
	if binDir == "" {
		return "", errors.New("no directory for the pxed binary: TestMain did not run")
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(binDir, "pxed")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/pxed")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building pxed: %v\n%s", err, out)
	}
	return bin, nil
})

// repoRoot finds the module root (the directory holding go.mod) above the
// test's working directory, which go test sets to the package directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// seedConfig is the reference network every test serves.
func seedConfig(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "examples", "seed.yaml")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("reference configuration: %v", err)
	}
	return file
}

// Pxed is a `pxed serve` the test started inside a namespace.
type Pxed struct {
	bin     string
	dataDir string
	config  string // the file served
	pg      bool   // leases are in the PostgreSQL database config names
	log     string
	p       *proc
}

type pxedOptions struct {
	Interface string // --interface
	TFTPRoot  string // --tftp-root; a directory with stand-in boot files when ""
	// Edit, if set, changes the text of examples/seed.yaml before pxed reads it.
	Edit func(yaml string) string
	// Config, if set, is served instead of examples/seed.yaml (a path
	// relative to the repository root, or an absolute one).
	Config string
	// Postgres, if set, is the DSN of a PostgreSQL database that keeps the
	// leases (store.postgres.dsn); `pxed leases` then reads it.
	Postgres string
	// Args are more arguments of pxed serve.
	Args []string
	// Ready, if set, are the UDP ports pxed is ready once it listens on;
	// default DHCP (67, or 547 alone) and TFTP (69). A pxed serving one of
	// them only (DHCP and files on two servers) names its own.
	Ready []string
	// DataDir, if set, is the data directory (leases, tokens) instead of
	// a new one: a pxed started again over it finds what the last one
	// recorded.
	DataDir string
}

// startPxed runs `pxed serve` with examples/seed.yaml inside ns, logging at
// debug level to a file. The test's cleanup stops it with SIGTERM (expecting a
// clean exit) and, when the test failed, prints the log's tail and keeps it.
func startPxed(t *testing.T, ns *Namespace, opts pxedOptions) *Pxed {
	t.Helper()
	bin, err := pxedBinary()
	if err != nil {
		t.Fatal(err)
	}
	config := seedConfig(t)
	if filepath.IsAbs(opts.Config) {
		config = opts.Config
	} else if opts.Config != "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		config = filepath.Join(root, opts.Config)
	}
	dir := t.TempDir()
	if opts.Edit != nil || opts.Postgres != "" {
		b, err := os.ReadFile(config)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if opts.Edit != nil {
			text = editConfig(t, text, opts.Edit)
		}
		if opts.Postgres != "" {
			text += fmt.Sprintf("\nstore:\n  postgres:\n    dsn: %q\n", opts.Postgres)
		}
		config = filepath.Join(dir, "pxed.yaml")
		if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if opts.TFTPRoot == "" {
		// pxed refuses a root without the boot files the configuration
		// names; the DHCP clients that use this root never fetch them.
		opts.TFTPRoot = filepath.Join(dir, "tftp")
		for _, f := range []string{"pxelinux.0", "debian-installer/amd64/linux", "debian-installer/amd64/initrd.gz", "debian-installer/amd64/bootnetx64.efi",
			"debian-installer/arm64/linux", "debian-installer/arm64/initrd.gz", "debian-installer/arm64/grubaa64.efi"} {
			p := filepath.Join(opts.TFTPRoot, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("not a boot program\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	x := &Pxed{bin: bin, dataDir: filepath.Join(dir, "data"), config: config, pg: opts.Postgres != "", log: filepath.Join(dir, "pxed.log")}
	if opts.DataDir != "" {
		x.dataDir = opts.DataDir
	}
	if err := os.MkdirAll(x.dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(x.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	cmd := ns.command(context.Background(), bin, append([]string{"serve",
		"--config", config,
		"--interface", opts.Interface,
		"--tftp-root", opts.TFTPRoot,
		"--data-dir", x.dataDir,
		"--log-level", "debug"}, opts.Args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	x.p, err = start("pxed", cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		x.stop(t)
		if t.Failed() {
			t.Logf("pxed log (tail of %s):\n%s", x.log, tail(x.log, 60))
			keepArtifact(t, x.log, "pxed.log")
		}
	})

	// Ready when DHCP (67 or 547) and TFTP (69) sockets are bound in the namespace.
	// A DHCP loop on a packet socket would not show as UDP :67: then go on
	// after the deadline as long as pxed is running; clients retry anyway.
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	err = waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		if x.p.exited() {
			return false, errExited
		}
		out, err := ns.command(ctx, "ss", "-Hlun").Output()
		if err != nil {
			return false, fmt.Errorf("ss: %w", err)
		}
		if opts.Ready != nil {
			for _, port := range opts.Ready {
				if !listensUDP(string(out), port) {
					return false, nil
				}
			}
			return true, nil
		}
		// DHCPv4 (67), or DHCPv6 (547) alone on an IPv6-only network.
		return (listensUDP(string(out), "67") || listensUDP(string(out), "547")) && listensUDP(string(out), "69"), nil
	})
	switch {
	case errors.Is(err, errExited):
		t.Fatalf("pxed exited at start (%v); log:\n%s", x.p.err, tail(x.log, 40))
	case errors.Is(err, context.DeadlineExceeded):
		t.Logf("pxed has not bound its UDP ports after 15s; going on since it still runs")
	case err != nil:
		t.Fatal(err)
	}
	return x
}

// listensUDP reports whether `ss -Hlun` output shows a socket on port.
func listensUDP(ss, port string) bool {
	for _, line := range strings.Split(ss, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && strings.HasSuffix(f[3], ":"+port) {
			return true
		}
	}
	return false
}

// stop sends SIGTERM and expects pxed to exit cleanly (status 0) soon.
// It is safe to call more than once.
func (x *Pxed) stop(t *testing.T) {
	t.Helper()
	if x.p.exited() {
		return
	}
	inTime, err := x.p.stop(syscall.SIGTERM, 15*time.Second)
	if !inTime {
		t.Errorf("pxed did not exit within 15s of SIGTERM; killed")
	} else if err != nil {
		t.Errorf("pxed exited with %v after SIGTERM, want a clean exit", err)
	}
}

// Lease is one row of `pxed leases --json`.
type Lease struct {
	MAC      string     `json:"mac"`
	IP       netip.Addr `json:"ip"`
	Family   string     `json:"family"`
	DUID     string     `json:"duid"` // DHCPv6 leases
	Hostname string     `json:"hostname"`
	Expires  time.Time  `json:"expires"`
	Infinite bool       `json:"infinite"` // a BOOTP client's: never expires
	State    string     `json:"state"`
}

// leases reads the lease store the way an operator would, with
// `pxed leases --json`. It tries while pxed runs (the store opens read-only
// with a timeout); if that fails, it stops pxed and reads again.
func (x *Pxed) leases(t *testing.T) []Lease {
	t.Helper()
	ls, err := x.readLeases(t)
	if err == nil {
		return ls
	}
	if x.p.exited() {
		t.Fatal(err)
	}
	t.Logf("reading leases while pxed runs failed (%v); stopping pxed and reading again", err)
	x.stop(t)
	ls, err = x.readLeases(t)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func (x *Pxed) readLeases(t *testing.T) ([]Lease, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"leases", "--data-dir", x.dataDir, "--json"}
	if x.pg {
		args = []string{"leases", "--config", x.config, "--json"}
	}
	cmd := exec.CommandContext(ctx, x.bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pxed leases: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var ls []Lease
	if err := json.Unmarshal(stdout.Bytes(), &ls); err != nil {
		return nil, fmt.Errorf("pxed leases --json printed something that is not a JSON array of leases: %v\n%s", err, stdout.String())
	}
	return ls, nil
}

// expectLease fails the test unless leases hold ip for mac in state bound;
// leases of the other family are not looked at (a dual-stack machine holds
// one of each).
func expectLease(t *testing.T, leases []Lease, mac string, ip netip.Addr) {
	t.Helper()
	for _, l := range leases {
		if !strings.EqualFold(l.MAC, mac) || l.IP.Is4() != ip.Is4() {
			continue
		}
		if l.IP != ip || l.State != "bound" {
			t.Errorf("pxed leases: %s holds %s (state %q), want %s (state \"bound\")", mac, l.IP, l.State, ip)
		}
		return
	}
	t.Errorf("pxed leases: no lease for %s (want %s); leases:\n%s", mac, ip, formatLeases(leases))
}

func formatLeases(leases []Lease) string {
	var b strings.Builder
	for _, l := range leases {
		fmt.Fprintf(&b, "  %s %s %s %s %s\n", l.MAC, l.IP, l.Hostname, l.State, l.Expires.Format(time.RFC3339))
	}
	if b.Len() == 0 {
		return "  (none)"
	}
	return b.String()
}

// editConfig applies edit to the configuration text, failing the test
// when an edit's replaceOnce finds nothing to replace.
func editConfig(t *testing.T, text string, edit func(string) string) (out string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatal(r)
		}
	}()
	return edit(text)
}

// replaceOnce is strings.Replace of the first old in a configuration y,
// for pxedOptions.Edit functions. It panics when y has no old: an edit that
// silently does nothing (the example changed under it) would let a test
// run against a configuration it did not mean.
func replaceOnce(y, old, new string) string {
	if !strings.Contains(y, old) {
		panic(fmt.Sprintf("e2e configuration edit: %q is not in the configuration", old))
	}
	return strings.Replace(y, old, new, 1)
}
