package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/catalog/storetest"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/postgres/pgtest"
)

// One server for the whole package (initdb and its start cost seconds);
// each test gets a database of its own, so they all run in parallel.
func TestPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	db := func(test func(*testing.T, string)) func(*testing.T) {
		return func(t *testing.T) {
			t.Parallel()
			test(t, srv.NewDatabase(t))
		}
	}
	t.Run("Store", func(t *testing.T) {
		t.Parallel()
		t.Run("RoundTrip", db(testRoundTrip))
		t.Run("ConflictsBetweenStores", db(testConflicts))
		t.Run("ConcurrentCommits", db(testConcurrent))
		t.Run("Migrations", db(testMigrations))
		t.Run("Follow", db(testFollow))
		t.Run("Import", db(testImport))
		t.Run("Timeline", db(testTimeline))
	})
	t.Run("Catalog", func(t *testing.T) {
		t.Parallel()
		testCatalogContract(t, srv)
		t.Run("ChangesFromAnotherInstance", db(testCatalogChanges))
		t.Run("SharedBetweenInstances", db(testCatalogShared))
		t.Run("UniqueHosts", db(testCatalogUniqueHosts))
	})
}

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mac(i int) net.HardwareAddr { return net.HardwareAddr{0x52, 0x54, 0, 0, byte(i >> 8), byte(i)} }

func addr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }

// addr6 is address i of the DHCPv6 pool 2001:db8:1::1000–2001:db8:1::1fff.
func addr6(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 14: 0x10 | byte(i>>8), 15: byte(i)})
}

// bound6 is a DHCPv6 client's lease, keyed by "v6:", a DUID and an IAID;
// with m nil, the server learnt no MAC (a DUID-EN, no relay option 79).
func bound6(i int, m net.HardwareAddr, d time.Duration) lease.Lease {
	id := fmt.Appendf(nil, "v6:\x00\x02\x00\x00\x00\x09station-%d\x00\x00\x00\x01", i)
	return lease.Lease{IP: addr6(i), MAC: m, ClientID: id, State: lease.Bound, Expires: time.Now().Add(d).Truncate(time.Microsecond)}
}

func bound(ip netip.Addr, m net.HardwareAddr, d time.Duration) lease.Lease {
	return lease.Lease{IP: ip, MAC: m, State: lease.Bound, Expires: time.Now().Add(d).Truncate(time.Microsecond)}
}

// timestamptz keeps microseconds; compare instants, not monotonic readings or zones.
var cmpLease = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

func testRoundTrip(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn)
	want := []lease.Lease{
		{IP: addr(1), MAC: mac(1), Hostname: "station01", State: lease.Bound, Expires: time.Now().Add(time.Hour).Truncate(time.Microsecond)},
		{IP: addr(2), MAC: mac(2), ClientID: []byte{1, 0x52, 0x54, 0, 0, 0, 2}, State: lease.Released, Expires: time.Now().Truncate(time.Microsecond)},
		{IP: addr(300), MAC: mac(3), State: lease.Declined, Expires: time.Now().Add(time.Minute).Truncate(time.Microsecond)},
		// A BOOTP client's lease, which never expires: kept to the microsecond.
		{IP: addr(301), MAC: mac(4), Hostname: "bootp", State: lease.Bound, Expires: lease.Forever},
		// IPv6 leases follow the IPv4 ones (inet orders by family first,
		// as netip does).
		bound6(1, mac(1), time.Hour),
		bound6(2, nil, time.Hour),
	}
	for _, l := range want {
		if err := s.Commit(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpLease); d != "" {
		t.Errorf("All (-want +got):\n%s", d)
	}
	if l, ok, err := s.Get(ctx, addr(301)); err != nil || !ok || !l.Infinite() {
		t.Errorf("the BOOTP lease read back: %+v %v %v, want one that never expires", l, ok, err)
	}
	l, ok, err := s.Get(ctx, addr(2))
	if err != nil || !ok {
		t.Fatalf("Get: %v %v", ok, err)
	}
	if d := cmp.Diff(want[1], l, cmpLease); d != "" {
		t.Errorf("Get (-want +got):\n%s", d)
	}
	if _, ok, err := s.Get(ctx, addr(9)); ok || err != nil {
		t.Errorf("Get of an address never leased: %v %v", ok, err)
	}
	l, ok, err = s.Get(ctx, addr6(2))
	if err != nil || !ok {
		t.Fatalf("Get of an IPv6 lease: %v %v", ok, err)
	}
	if d := cmp.Diff(want[5], l, cmpLease); d != "" {
		t.Errorf("Get of an IPv6 lease (-want +got):\n%s", d)
	}
}

func testConflicts(t *testing.T, dsn string) {
	ctx := context.Background()
	a, b := open(t, dsn), open(t, dsn)
	ip := addr(10)
	steps := []struct {
		name  string
		store *Store
		l     lease.Lease
		want  error
	}{
		{"A binds to mac1", a, bound(ip, mac(1), time.Hour), nil},
		{"B binds to mac2 while mac1 holds it", b, bound(ip, mac(2), time.Hour), lease.ErrConflict},
		{"B renews for mac1", b, bound(ip, mac(1), 2*time.Hour), nil},
		{"mac1 declines it", a, lease.Lease{IP: ip, MAC: mac(1), State: lease.Declined, Expires: time.Now().Add(time.Hour)}, nil},
		{"quarantined: B to mac2", b, bound(ip, mac(2), time.Hour), lease.ErrConflict},
		{"quarantine over (expired)", a, lease.Lease{IP: ip, MAC: mac(1), State: lease.Declined, Expires: time.Now().Add(-time.Second)}, nil},
		{"B to mac2 after the quarantine", b, bound(ip, mac(2), time.Hour), nil},
		{"mac2 releases", b, lease.Lease{IP: ip, MAC: mac(2), State: lease.Released, Expires: time.Now()}, nil},
		{"A to mac3 after the release", a, bound(ip, mac(3), time.Hour), nil},
		// Client identifiers (RFC 2131 §4.2): when both sides have one it
		// decides, whatever the hardware address says.
		{"A to client id X on a new address", a, lease.Lease{IP: addr(11), MAC: mac(4), ClientID: []byte("X1"), State: lease.Bound, Expires: time.Now().Add(time.Hour)}, nil},
		{"same id, other NIC", b, lease.Lease{IP: addr(11), MAC: mac(5), ClientID: []byte("X1"), State: lease.Bound, Expires: time.Now().Add(time.Hour)}, nil},
		{"same NIC, other id", b, lease.Lease{IP: addr(11), MAC: mac(5), ClientID: []byte("Y1"), State: lease.Bound, Expires: time.Now().Add(time.Hour)}, lease.ErrConflict},
		{"same NIC, no id: by MAC", a, bound(addr(11), mac(5), time.Hour), nil},
		// DHCPv6 clients: by DUID and IAID, with or without a MAC.
		{"A binds an IPv6 address to DUID 1", a, bound6(1, nil, time.Hour), nil},
		{"B to DUID 2 while DUID 1 holds it", b, func() lease.Lease { l := bound6(2, nil, time.Hour); l.IP = addr6(1); return l }(), lease.ErrConflict},
		{"B renews for DUID 1, MAC learnt", b, bound6(1, mac(1), 2*time.Hour), nil},
	}
	for _, st := range steps {
		err := st.store.Commit(ctx, st.l)
		if !errors.Is(err, st.want) || (st.want == nil && err != nil) {
			t.Fatalf("%s: Commit = %v, want %v", st.name, err, st.want)
		}
	}
	l, _, err := b.Get(ctx, ip)
	if err != nil || !bytes.Equal(l.MAC, mac(3)) || l.State != lease.Bound {
		t.Errorf("final lease of %s = %+v, %v; want bound to %s", ip, l, err, mac(3))
	}
}

// Many goroutines over two stores (two pxed instances) race for a few
// addresses. Every commit that succeeds is an ACK; no address may be
// acknowledged to two MACs, and the database must end with each address's
// one winner.
func testConcurrent(t *testing.T, dsn string) {
	ctx := context.Background()
	stores := []*Store{open(t, dsn), open(t, dsn)}
	const workers, addrs, tries = 32, 24, 40
	var mu sync.Mutex
	winner := map[netip.Addr]string{}
	var dup []string
	conflicts := 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			m := mac(100 + w)
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range tries {
				ip := addr(1000 + rng.IntN(addrs))
				err := s.Commit(ctx, bound(ip, m, time.Hour))
				mu.Lock()
				switch {
				case errors.Is(err, lease.ErrConflict):
					conflicts++
				case err != nil:
					dup = append(dup, err.Error())
				case winner[ip] == "":
					winner[ip] = m.String()
				case winner[ip] != m.String():
					dup = append(dup, fmt.Sprintf("%s acknowledged to %s and %s", ip, winner[ip], m))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(dup) > 0 {
		t.Fatalf("%d violations:\n%s", len(dup), strings.Join(dup, "\n"))
	}
	if conflicts == 0 {
		t.Fatalf("no commit conflicted: the test raced nothing")
	}
	all, err := stores[1].All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(winner) {
		t.Errorf("database has %d leases, %d addresses were won", len(all), len(winner))
	}
	for _, l := range all {
		if l.MAC.String() != winner[l.IP] {
			t.Errorf("%s is recorded for %s but was acknowledged to %s", l.IP, l.MAC, winner[l.IP])
		}
	}
	t.Logf("%d commits, %d refused as conflicts, %d addresses won", workers*tries, conflicts, len(winner))
}

func testMigrations(t *testing.T, dsn string) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	// Several instances starting at once: each migration is applied once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn, nil)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	s := open(t, dsn)
	applied, err := migrate(ctx, s.pool)
	if err != nil || len(applied) != 0 {
		t.Fatalf("migrating an up-to-date schema applied %v (%v), want nothing", applied, err)
	}
	var rows, top int
	if err := s.pool.QueryRow(ctx, "SELECT count(*), max(version) FROM schema_version").Scan(&rows, &top); err != nil {
		t.Fatal(err)
	}
	if rows != len(ms) || top != len(ms) {
		t.Errorf("schema_version has %d rows up to %d, want %d", rows, top, len(ms))
	}
	// A database that a newer pxed migrated is refused, not used.
	if _, err := s.pool.Exec(ctx, "INSERT INTO schema_version (version, name) VALUES ($1, 'future')", len(ms)+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dsn, nil); err == nil || !strings.Contains(err.Error(), "newer than this pxed") {
		t.Errorf("Open of a newer schema: %v, want a refusal", err)
	}
}

func testFollow(t *testing.T, dsn string) {
	ctx, cancel := context.WithCancel(context.Background())
	a, b := open(t, dsn), open(t, dsn)
	before := bound(addr(1), mac(1), time.Hour)
	if err := a.Commit(ctx, before); err != nil {
		t.Fatal(err)
	}
	seen := make(chan lease.Lease, 64)
	done := make(chan error, 1)
	go func() {
		done <- b.Follow(ctx, func(l lease.Lease) {
			select {
			case seen <- l:
			default:
			}
		})
	}()
	// Closing the store ends the follower (and waits for it).
	t.Cleanup(func() {
		defer cancel()
		b.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Follow: %v", err)
			}
		default:
			t.Errorf("Follow still running after Close")
		}
	})
	// Announcements are hints and may repeat what a reload showed: wait
	// for the lease wanted, passing over others.
	expect := func(what string, want lease.Lease) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l := <-seen:
				if cmp.Diff(want, l, cmpLease) == "" {
					return
				}
			case <-timeout:
				t.Fatalf("%s: %s of %s not followed within 10 s", what, want.IP, want.MAC)
			}
		}
	}
	// First what was there before following began…
	expect("initial lease", before)
	// …then what another instance records, as it records it.
	after := lease.Lease{IP: addr(2), MAC: mac(2), ClientID: []byte{1, 2, 3}, Hostname: "h", State: lease.Bound, Expires: time.Now().Add(time.Hour).Truncate(time.Microsecond)}
	if err := a.Commit(ctx, after); err != nil {
		t.Fatal(err)
	}
	expect("committed by another instance", after)
	after6 := bound6(4, nil, time.Hour)
	if err := a.Commit(ctx, after6); err != nil {
		t.Fatal(err)
	}
	expect("an IPv6 lease committed by another instance", after6)
	// A refused commit changes nothing and announces nothing.
	if err := a.Commit(ctx, bound(addr(2), mac(9), time.Hour)); !errors.Is(err, lease.ErrConflict) {
		t.Fatalf("conflicting commit: %v", err)
	}
	// And the instance's own commits are not fed back to it.
	own := bound(addr(3), mac(3), time.Hour)
	if err := b.Commit(ctx, own); err != nil {
		t.Fatal(err)
	}
	quiet := time.After(time.Second)
	for done := false; !done; {
		select {
		case l := <-seen:
			if bytes.Equal(l.MAC, mac(9)) || l.IP == own.IP {
				t.Errorf("followed %s of %s: a refused commit, or the follower's own", l.IP, l.MAC)
			}
		case <-quiet:
			done = true
		}
	}
}

func testImport(t *testing.T, dsn string) {
	ctx := context.Background()
	s := open(t, dsn)
	in := []lease.Lease{bound(addr(1), mac(1), time.Hour), bound(addr(2), mac(2), time.Hour), bound6(1, nil, time.Hour)}
	for range 2 { // a second run changes nothing
		if err := s.Import(ctx, in, catalog.State{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, got, cmpLease); d != "" {
		t.Errorf("after import (-want +got):\n%s", d)
	}
	// One address held by another client: nothing of the batch is recorded.
	clash := []lease.Lease{bound(addr(3), mac(3), time.Hour), bound(addr(2), mac(9), time.Hour)}
	if err := s.Import(ctx, clash, catalog.State{Profiles: []config.Profile{{Name: "rescue", Kernel: "k"}}}); !errors.Is(err, lease.ErrConflict) || !strings.Contains(err.Error(), "10.0.0.2") {
		t.Fatalf("import over a held address: %v, want a conflict naming 10.0.0.2", err)
	}
	if _, ok, _ := s.Get(ctx, addr(3)); ok {
		t.Errorf("a failed import recorded part of its leases")
	}
	if st, _ := s.Load(ctx); len(st.Profiles) != 0 {
		t.Errorf("a failed import recorded its catalog: %+v", st)
	}
}

// The catalog half of the Store keeps the contract every catalog store
// keeps (catalog/storetest).
func testCatalogContract(t *testing.T, srv *pgtest.Server) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dsn := srv.NewDatabase(t)
		return func(t *testing.T) catalog.Store { return open(t, dsn) }
	})
}

// The catalog half tells of changes another instance makes.
func testCatalogChanges(t *testing.T, dsn string) {
	a, b := open(t, dsn), open(t, dsn)
	changes := b.Changes()
	next := func(what string) {
		t.Helper()
		select {
		case <-changes:
		case <-time.After(10 * time.Second):
			t.Fatalf("no change signalled within 10 s %s", what)
		}
	}
	next("on connecting") // a first reload, for what happened before
	if err := a.PutProfile(context.Background(), config.Profile{Name: "rescue", Kernel: "k"}); err != nil {
		t.Fatal(err)
	}
	next("after another instance stored a profile")
	st, err := b.Load(context.Background())
	if err != nil || len(st.Profiles) != 1 || st.Profiles[0].Name != "rescue" {
		t.Errorf("b loads %+v, %v; want the profile a stored", st, err)
	}
}

// sharedBase is the config file both instances of testCatalogShared serve:
// one subnet, nothing else; the host comes through the API.
const sharedBase = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
`

// Two instances' catalogs over one database: a host put through one
// instance's catalog (as its API does) is served by the other's within a
// bounded time, and so is its removal.
func testCatalogShared(t *testing.T, dsn string) {
	base, err := config.Parse("pxed.yaml", []byte(sharedBase))
	if err != nil {
		t.Fatal(err)
	}
	if ps := base.Validate(); len(ps) > 0 {
		t.Fatal(config.JoinProblems(ps))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var cats []*catalog.Catalog
	var wg sync.WaitGroup
	for range 2 {
		c, err := catalog.Open(ctx, base, open(t, dsn), catalog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(ctx, nil) }()
		cats = append(cats, c)
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	a, b := cats[0], cats[1]
	mac, _ := net.ParseMAC("52:54:00:aa:bb:01")
	host := config.Host{Name: "added-by-api", MAC: config.MAC{HardwareAddr: mac}, Boot: &config.Boot{Profile: "local"}}
	if err := a.PutHost(ctx, host); err != nil {
		t.Fatal(err)
	}
	within := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("instance b: %s not seen within 10 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	start := time.Now()
	within("the host instance a added", func() bool { _, ok := b.Snapshot().Match(mac, nil); return ok })
	t.Logf("host added through instance a served by instance b after %v", time.Since(start))
	if err := a.DeleteHost(ctx, "added-by-api"); err != nil {
		t.Fatal(err)
	}
	within("the removal", func() bool { _, ok := b.Snapshot().Match(mac, nil); return !ok })
}

// Two instances accepting hosts at once each check only the catalog they
// loaded: the database refuses a second host with the same MAC or address.
func testCatalogUniqueHosts(t *testing.T, dsn string) {
	a, b := open(t, dsn), open(t, dsn)
	ctx := context.Background()
	m1, _ := net.ParseMAC("52:54:00:aa:bb:01")
	m2, _ := net.ParseMAC("52:54:00:aa:bb:02")
	ip := config.Addr{Addr: netip.MustParseAddr("192.168.1.120")}
	if err := a.PutHost(ctx, config.Host{Name: "one", MAC: config.MAC{HardwareAddr: m1}, IP: ip}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutHost(ctx, config.Host{Name: "two", MAC: config.MAC{HardwareAddr: m1}}); err == nil {
		t.Error("a second host with the same MAC was stored")
	}
	if err := b.PutHost(ctx, config.Host{Name: "three", MAC: config.MAC{HardwareAddr: m2}, IP: ip}); err == nil {
		t.Error("a second host with the same address was stored")
	}
	// Replacing a host by its own name (another instance, another case) is no clash.
	if err := b.PutHost(ctx, config.Host{Name: "ONE", MAC: config.MAC{HardwareAddr: m1}, IP: ip}); err != nil {
		t.Errorf("replacing host one: %v", err)
	}
	st, err := a.Load(ctx)
	if err != nil || len(st.Hosts) != 1 || st.Hosts[0].Name != "ONE" {
		t.Errorf("hosts stored: %+v, %v; want ONE alone", st.Hosts, err)
	}
}
