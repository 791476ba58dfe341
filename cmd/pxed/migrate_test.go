package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/postgres"
	"github.com/pxed/pxed/internal/postgres/pgtest"
	"github.com/pxed/pxed/internal/web"
)

// journalWith writes an embedded store in a new directory and closes it.
func journalWith(t *testing.T, leases ...lease.Lease) string {
	t.Helper()
	dir := t.TempDir()
	j, err := lease.OpenJournal(dir, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases {
		if err := j.Commit(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMigrateFromDataDir(t *testing.T) {
	srv := pgtest.Start(t)
	cfg := filepath.Join(t.TempDir(), "pxed.yaml")
	dsn := srv.NewDatabase(t)
	os.WriteFile(cfg, []byte(fmt.Sprintf("store:\n  postgres:\n    dsn: %q\ndhcp: {enabled: false}\ntftp: {enabled: false}\n", dsn)), 0o644)
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	l1 := lease.Lease{IP: netip.MustParseAddr("192.168.1.150"), MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Hostname: "one", State: lease.Bound, Expires: exp}
	l2 := lease.Lease{IP: netip.MustParseAddr("192.168.1.151"), MAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, State: lease.Released, Expires: exp}
	dir := journalWith(t, l1, l2)
	// The catalog of the same data directory: a profile made through the
	// API and an install-once record.
	cf, err := catalog.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	installed := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	if err := errors.Join(cf.PutProfile(ctx, config.Profile{Name: "rescue", Kernel: "rescue/vmlinuz"}),
		cf.SetInstalled(ctx, "station-02", installed)); err != nil {
		t.Fatal(err)
	}

	for i := range 2 { // a second run changes nothing
		code, stdout, stderr := runCLI("migrate", "--config", cfg, "--from-data-dir", dir)
		if code != 0 || !strings.Contains(stdout, "moved 2 lease(s), 0 host(s), 1 profile(s), 1 install record(s) and 0 discovered machine(s)") {
			t.Fatalf("migrate run %d: exit %d, stdout %q, stderr %q", i+1, code, stdout, stderr)
		}
	}
	pg, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pg.Load(ctx)
	pg.Close()
	if err != nil || len(st.Profiles) != 1 || st.Profiles[0].Kernel != "rescue/vmlinuz" || !st.Installed["station-02"].Equal(installed) {
		t.Errorf("catalog in PostgreSQL after migrate: %+v, %v", st, err)
	}
	code, stdout, stderr := runCLI("leases", "--config", cfg, "--json")
	var got []web.LeaseJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("leases: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	want := []web.LeaseJSON{
		{MAC: "02:00:00:00:00:01", IP: "192.168.1.150", Family: "ipv4", Hostname: "one", State: "bound", Expires: exp, Active: true},
		{MAC: "02:00:00:00:00:02", IP: "192.168.1.151", Family: "ipv4", State: "released", Expires: exp},
	}
	if len(got) != 2 || !got[0].Expires.Equal(exp) || !got[1].Expires.Equal(exp) {
		t.Fatalf("leases after migrate = %+v, want %+v", got, want)
	}
	for i := range got {
		got[i].Expires = exp
		if got[i] != want[i] {
			t.Errorf("lease %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Another store that gives 192.168.1.150 to someone else: nothing of
	// it moves.
	clash := journalWith(t,
		lease.Lease{IP: netip.MustParseAddr("192.168.1.152"), MAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, State: lease.Bound, Expires: exp},
		lease.Lease{IP: netip.MustParseAddr("192.168.1.150"), MAC: net.HardwareAddr{2, 0, 0, 0, 0, 9}, State: lease.Bound, Expires: exp})
	code, _, stderr = runCLI("migrate", "--config", cfg, "--from-data-dir", clash)
	if code != 1 || !strings.Contains(stderr, "nothing moved") || !strings.Contains(stderr, "192.168.1.150") {
		t.Errorf("migrate over a held address: exit %d, stderr %q", code, stderr)
	}
	if _, stdout, _ := runCLI("leases", "--config", cfg); strings.Contains(stdout, "192.168.1.152") {
		t.Errorf("a refused migration moved 192.168.1.152:\n%s", stdout)
	}

	// A store that a pxed still serves from is locked: refused.
	j, err := lease.OpenJournal(dir, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if code, _, stderr := runCLI("migrate", "--config", cfg, "--from-data-dir", dir); code != 1 || !strings.Contains(stderr, "in use by another pxed") {
		t.Errorf("migrate of a store in use: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI("migrate", "--config", cfg); code != 2 || !strings.Contains(stderr, "--from-data-dir") {
		t.Errorf("migrate without --from-data-dir: exit %d, stderr %q", code, stderr)
	}
}
