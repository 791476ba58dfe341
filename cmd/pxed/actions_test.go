package main

import (
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/web"
)

// byLog keeps who did each action the API recorded.
type byLog struct {
	mu  sync.Mutex
	evs []events.Event
}

func (l *byLog) Record(e events.Event) { l.mu.Lock(); l.evs = append(l.evs, e); l.mu.Unlock() }

type sentWakes struct{}

func (sentWakes) Wake(context.Context, net.HardwareAddr, netip.Addr) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("192.168.1.255")}, nil
}

// The action commands against a real API server: adopt a discovered
// machine, change its profile, reinstall and wake it; each is recorded as
// done by the CLI's user.
func TestHostActionsCLI(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp:
  enabled: false
web:
  address: ":9069"
profiles:
  - name: debian-installer
    kernel: d-i/linux
  - name: rescue
    kernel: rescue/linux
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const tok = "0123456789abcdef0123"
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{CallbackKey: []byte(tok)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go cat.Run(ctx, nil)
	cat.Record(events.Event{Kind: events.DHCPDiscover, MAC: net.HardwareAddr{0x52, 0x54, 0, 1, 2, 3}, Client: pxe.Client{PXE: true}})
	for deadline := time.Now().Add(5 * time.Second); len(cat.Snapshot().Machines()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the machine was not discovered")
		}
	}
	rec := &byLog{}
	s := &web.Server{Token: []byte(tok)}
	web.CatalogRoutes(s, cat, rec)
	(&web.Actions{Catalog: cat, Events: rec, Waker: sentWakes{}}).Register(s)
	ts := httptest.NewServer(s)
	defer ts.Close()
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte(tok+"\n"), 0o600)
	api := []string{"--api", ts.URL, "--token-file", tokFile}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(append(args, api...)...)
	}

	code, out, errs := cli("hosts", "adopt", "52:54:00:01:02:03", "--name", "node-1", "--profile", "debian-installer", "--netboot", "once")
	if code != 0 || !strings.Contains(out, "name:     node-1") || !strings.Contains(out, "profile:  debian-installer") {
		t.Fatalf("hosts adopt: %d %q %q", code, out, errs)
	}
	if h, ok := cat.Snapshot().Host("node-1"); !ok || h.MAC.String() != "52:54:00:01:02:03" || h.Netboot != config.NetbootOnce {
		t.Errorf("after adopt: %+v", h)
	}
	code, out, errs = cli("hosts", "profile", "node-1", "rescue")
	if code != 0 || !strings.Contains(out, "profile:  rescue") {
		t.Errorf("hosts profile: %d %q %q", code, out, errs)
	}
	code, out, errs = cli("hosts", "reinstall", "node-1")
	if code != 0 || out != "node-1 boots its profile once more (netboot once, install record cleared)\nwoken: magic packet for 52:54:00:01:02:03 sent to 192.168.1.255\n" {
		t.Errorf("hosts reinstall: %d %q %q", code, out, errs)
	}
	code, out, errs = cli("hosts", "wake", "node-1")
	if code != 0 || out != "magic packet for 52:54:00:01:02:03 sent to 192.168.1.255\n" {
		t.Errorf("hosts wake: %d %q %q", code, out, errs)
	}
	rec.mu.Lock()
	var kinds []string
	for _, e := range rec.evs {
		kinds = append(kinds, e.Kind.String())
		if !strings.HasPrefix(e.By, "cli") || !strings.HasSuffix(e.By, " 127.0.0.1") {
			t.Errorf("%s recorded as done by %q, want the CLI's user at 127.0.0.1", e.Kind, e.By)
		}
	}
	rec.mu.Unlock()
	if got := strings.Join(kinds, " "); got != "adopted action action action action" {
		t.Errorf("recorded %q, want adopt, profile, reinstall and its wake, wake", got)
	}

	// Refusals reach the operator.
	if code, _, errs := cli("hosts", "adopt", "52:54:00:01:02:03", "--name", "again"); code != 1 || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("adopting a machine no longer discovered: %d %q", code, errs)
	}
	if code, _, errs := cli("hosts", "adopt", "52:54:00:09:09:09"); code != 2 || !strings.Contains(errs, "--name") {
		t.Errorf("adopt without --name: %d %q", code, errs)
	}
	if code, _, errs := cli("hosts", "profile", "node-1"); code != 2 || !strings.Contains(errs, "NAME PROFILE") {
		t.Errorf("profile without a profile: %d %q", code, errs)
	}
	if code, _, _ := runCLI("hosts", "wake", "node-1", "--api", ts.URL); code != 1 {
		t.Errorf("wake without a token: exit %d, want 1", code)
	}
}
