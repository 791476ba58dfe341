package app

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/metrics"
	"github.com/pxed/pxed/internal/web"
)

const reloadBase = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp: {enabled: false}
web: {enabled: false}
hosts:
  - name: station-01
    mac: "52:54:00:00:00:01"
    ip: 192.168.1.101
`

// reloadFixture is the part of a running pxed a reload touches: the
// catalog, the DHCP server's decisions, the metrics, the log; its config
// file is file, read again at each reload as serve reads it.
type reloadFixture struct {
	s    *services
	file string
	log  *bytes.Buffer
}

func newReloadFixture(t *testing.T) *reloadFixture {
	t.Helper()
	dir := t.TempDir()
	f := &reloadFixture{file: filepath.Join(dir, "pxed.yaml"), log: &bytes.Buffer{}}
	f.write(t, reloadBase)
	load := func() (*config.Config, error) {
		data, err := os.ReadFile(f.file)
		if err != nil {
			return nil, err
		}
		cfg, err := config.Parse(f.file, data)
		if err != nil {
			return nil, err
		}
		cfg.DataDir = dir
		if ps := cfg.Validate(); len(ps) > 0 {
			return nil, config.JoinProblems(ps)
		}
		return cfg, nil
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := catalog.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, cfg, st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	alloc, err := lease.NewAllocator(ctx, lease.NewMem(time.Now), time.Now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := dhcp.NewResponder(cfg, alloc, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	resp.Catalog = cat.Snapshot
	s := &services{cfg: cfg, opts: Options{Load: load}, log: slog.New(slog.NewTextHandler(f.log, nil)),
		cat: cat, met: metrics.New(), dhcp: &dhcpServing{resp: resp, srv: &dhcp.Server{Responder: resp, Alloc: alloc}}}
	s.live.Store(cfg)
	f.s = s
	return f
}

func (f *reloadFixture) write(t *testing.T, src string) {
	t.Helper()
	if err := os.WriteFile(f.file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReloadApplies: a new host and a wider pool apply at once; a changed
// listen address is said to need a restart, and the rest applies anyway.
func TestReloadApplies(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	next := strings.Replace(reloadBase, "192.168.1.150-192.168.1.199", "192.168.1.120-192.168.1.199", 1) +
		"  - name: station-09\n    mac: \"52:54:00:00:00:09\"\n    ip: 192.168.1.109\n"
	next = strings.Replace(next, "web: {enabled: false}", "web: {enabled: false, address: \"127.0.0.1:9070\"}", 1)
	f.write(t, next)
	res := f.s.Reload(context.Background())
	if !res.Applied {
		t.Fatalf("reload refused: %v", res.Problems)
	}
	t.Logf("reloaded in %s", res.Duration)
	if d := cmp.Diff([]string{"dhcp.subnets", "hosts"}, res.Changed); d != "" {
		t.Errorf("changed (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"web.address"}, res.NeedsRestart); d != "" {
		t.Errorf("needs a restart (-want +got):\n%s", d)
	}
	if h, ok := f.s.cat.Snapshot().Host("station-09"); !ok || h.IP.Addr != netip.MustParseAddr("192.168.1.109") {
		t.Errorf("station-09 after the reload: %+v, %v", h, ok)
	}
	if got := poolsOf(f.s.live.Load()); len(got) != 1 || got[0].Name != "192.168.1.120-192.168.1.199" {
		t.Errorf("pools served after the reload: %+v", got)
	}
	if !strings.Contains(f.log.String(), `needs_restart=[web.address]`) {
		t.Errorf("the log does not say what needs a restart:\n%s", f.log)
	}
	if got := f.s.Last(); !got.Applied || got.At != res.At {
		t.Errorf("Last = %+v, want the reload's", got)
	}
}

// TestReloadRefused: a file with problems is refused with the messages of
// pxed check (FILE:LINE), in the answer and the log; the config serving
// stays.
func TestReloadRefused(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	before := f.s.cat.Snapshot()
	// station-09's address is in the pool.
	f.write(t, reloadBase+"  - name: station-09\n    mac: \"52:54:00:00:00:09\"\n    ip: 192.168.1.160\n")
	res := f.s.Reload(context.Background())
	if res.Applied {
		t.Fatal("a file with an address in the pool was applied")
	}
	wantLine := f.file + ":13:" // station-09's ip line
	if len(res.Problems) == 0 || !strings.HasPrefix(res.Problems[0], wantLine) {
		t.Errorf("problems %q, want one at %s", res.Problems, wantLine)
	}
	if !strings.Contains(f.log.String(), "config reload refused") || !strings.Contains(f.log.String(), wantLine) {
		t.Errorf("the log does not show the refusal at %s:\n%s", wantLine, f.log)
	}
	if f.s.cat.Snapshot() != before || f.s.live.Load() != f.s.cfg {
		t.Error("a refused reload changed the catalog or the config serving")
	}
	if f.s.Last().Applied {
		t.Error("Last says the refused file applied")
	}
	if res.Changed != nil || res.NeedsRestart != nil {
		t.Errorf("a refused reload says %v changed, %v need a restart", res.Changed, res.NeedsRestart)
	}

	// A file that does not parse at all: refused as well.
	f.write(t, reloadBase+"bogus: [\n")
	if res := f.s.Reload(context.Background()); res.Applied || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], f.file) {
		t.Errorf("unparsable file: %+v", res)
	}
}

// TestHangupReloads: each SIGHUP that reaches Options.Hangup reloads.
func TestHangupReloads(t *testing.T) {
	t.Parallel()
	f := newReloadFixture(t)
	hup := make(chan os.Signal, 1)
	f.s.opts.Hangup = hup
	f.s.last.Store(&web.Reload{Applied: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.s.reloads(ctx) }()
	f.write(t, reloadBase+"  - name: station-09\n    mac: \"52:54:00:00:00:09\"\n    ip: 192.168.1.109\n")
	hup <- syscall.SIGHUP
	deadline := time.Now().Add(5 * time.Second)
	for f.s.Last().At.IsZero() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := f.s.cat.Snapshot().Host("station-09"); !ok {
		t.Errorf("after SIGHUP the new host is not served; last reload %+v", f.s.Last())
	}
}
