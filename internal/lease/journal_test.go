package lease

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func mac(i int) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, byte(i >> 8), byte(i)} }

func addr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }

func bound(i int) Lease {
	return Lease{IP: addr(i), MAC: mac(i), Hostname: fmt.Sprintf("h%d", i), State: Bound, Expires: t0.Add(time.Hour)}
}

// addr6 is address i of the DHCPv6 pool 2001:db8:1::1000–2001:db8:1::1fff.
func addr6(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 14: 0x10 | byte(i>>8), 15: byte(i)})
}

// bound6 is a DHCPv6 client's lease: keyed by DUID and IAID, MAC known.
func bound6(i int) Lease {
	return Lease{IP: addr6(i), MAC: mac(i), ClientID: duid(i), Hostname: fmt.Sprintf("h%d", i), State: Bound, Expires: t0.Add(time.Hour)}
}

// duid is a client key as the DHCPv6 server makes it: "v6:", a DUID-LL
// (type 3, hardware type 1, the MAC) and an IAID.
func duid(i int) []byte {
	return append(append([]byte("v6:\x00\x03\x00\x01"), mac(i)...), 0, 0, 0, 1)
}

func openT(t *testing.T, dir string) *Journal {
	t.Helper()
	j, err := OpenJournal(dir, fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJournalSurvivesReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := openT(t, dir)
	ctx := context.Background()
	var want []Lease
	for i := 1; i <= 50; i++ {
		l := bound(i)
		l.ClientID = []byte{1, 2, byte(i)}
		if err := j.Commit(ctx, l); err != nil {
			t.Fatal(err)
		}
		want = append(want, l)
	}
	// A BOOTP client's lease never expires, and stays so.
	forever := bound(60)
	forever.Expires = Forever
	if err := j.Commit(ctx, forever); err != nil {
		t.Fatal(err)
	}
	want = append(want, forever)
	for i := 1; i <= 10; i++ {
		if err := j.Commit(ctx, bound6(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, bound6(i))
	}
	// A later record for the same address replaces the earlier one.
	rel := want[4]
	rel.State, rel.Expires = Released, t0
	if err := j.Commit(ctx, rel); err != nil {
		t.Fatal(err)
	}
	want[4] = rel
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openT(t, dir)
	defer j.Close()
	got, _ := j.All(ctx)
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
}

func TestJournalRefusesTakenAddress(t *testing.T) {
	t.Parallel()
	j := openT(t, t.TempDir())
	defer j.Close()
	ctx := context.Background()
	if err := j.Commit(ctx, bound(1)); err != nil {
		t.Fatal(err)
	}
	thief := bound(1)
	thief.MAC = mac(2)
	if err := j.Commit(ctx, thief); !errors.Is(err, ErrConflict) {
		t.Fatalf("commit of a held address: %v, want ErrConflict", err)
	}
	if l, _, _ := j.Get(ctx, addr(1)); l.MAC.String() != mac(1).String() {
		t.Errorf("holder changed to %s", l.MAC)
	}
	// Once the lease has expired, the address may go to another client.
	exp := bound(1)
	exp.Expires = t0.Add(-time.Second)
	if err := j.Commit(ctx, exp); err != nil {
		t.Fatal(err)
	}
	if err := j.Commit(ctx, thief); err != nil {
		t.Errorf("commit of an expired address: %v", err)
	}
}

func TestJournalConcurrentCommitsShareSyncs(t *testing.T) {
	t.Parallel()
	j := openT(t, t.TempDir())
	defer j.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2000)
	for i := range 2000 {
		wg.Go(func() {
			l := bound(i % 1000) // two clients race for each address
			l.MAC = mac(i)
			if err := j.Commit(ctx, l); err != nil && !errors.Is(err, ErrConflict) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, _ := j.All(ctx)
	if len(all) != 1000 {
		t.Errorf("%d leases, want 1000 (one winner per address)", len(all))
	}
	if j.records != 1000 {
		t.Errorf("%d records written, want 1000: a losing commit was written", j.records)
	}
}

func TestJournalCutsDamagedTail(t *testing.T) {
	t.Parallel()
	for _, fam := range []struct {
		name  string
		bound func(int) Lease
	}{{"IPv4", bound}, {"IPv6", bound6}} {
		for _, tc := range []struct {
			name   string
			damage func(path string, size int64)
		}{
			{"torn record", func(p string, size int64) { os.Truncate(p, size-3) }},
			{"garbage appended", func(p string, size int64) { appendFile(p, []byte("\x10\x00\x00\x00garbage")) }},
			{"flipped byte", func(p string, size int64) { flipByte(p, size-2) }},
		} {
			testJournalCutsDamagedTail(t, fam.name+"/"+tc.name, fam.bound, tc.damage)
		}
	}
}

func testJournalCutsDamagedTail(t *testing.T, name string, bound func(int) Lease, damage func(path string, size int64)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		j := openT(t, dir)
		for i := 1; i <= 3; i++ {
			if err := j.Commit(context.Background(), bound(i)); err != nil {
				t.Fatal(err)
			}
		}
		j.Close()
		path := filepath.Join(dir, journalName)
		st, _ := os.Stat(path)
		damage(path, st.Size())
		j = openT(t, dir)
		all, _ := j.All(context.Background())
		// The third record may be the damaged one; the first two are whole.
		if len(all) < 2 || all[0].IP != bound(1).IP || all[1].IP != bound(2).IP {
			t.Fatalf("after damage: %v", all)
		}
		// And the journal takes new records after the cut.
		if err := j.Commit(context.Background(), bound(9)); err != nil {
			t.Fatal(err)
		}
		j.Close()
		j = openT(t, dir)
		defer j.Close()
		if _, ok, _ := j.Get(context.Background(), bound(9).IP); !ok {
			t.Error("record written after the repair is lost")
		}
	})
}

func appendFile(p string, b []byte) {
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(b)
	f.Close()
}

func flipByte(p string, off int64) {
	f, _ := os.OpenFile(p, os.O_RDWR, 0)
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0xff
	f.WriteAt(b, off)
	f.Close()
}

func TestJournalRefusesForeignFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, journalName), []byte("this is not a journal"), 0o600)
	if _, err := OpenJournal(dir, fixedNow, nil); err == nil || !strings.Contains(err.Error(), "not a pxed lease journal") {
		t.Fatalf("open of a foreign file: %v", err)
	}
}

func TestJournalLockedAgainstSecondServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := openT(t, dir)
	defer j.Close()
	if _, err := OpenJournal(dir, fixedNow, nil); err == nil || !strings.Contains(err.Error(), "in use by another pxed") {
		t.Fatalf("second open: %v", err)
	}
	// Reading without the lock works while the server runs.
	j.Commit(context.Background(), bound(1))
	if all, err := ReadJournalDir(dir); err != nil || len(all) != 1 {
		t.Fatalf("ReadJournalDir while open: %v, %v", all, err)
	}
}

func TestJournalCompacts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := openT(t, dir)
	ctx := context.Background()
	// Each round renews the 100 leases at once (their commits share syncs):
	// 50 of DHCPv4 clients, 50 of DHCPv6 ones.
	for round := range 50 {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				l := bound(i)
				if i%2 == 1 {
					l = bound6(i)
				}
				l.Expires = t0.Add(time.Duration(round+1) * time.Hour)
				if err := j.Commit(ctx, l); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// 5000 records were written; compaction keeps the journal near 100
	// live ones (the file is longer: zeros written ahead, see preallocChunk).
	if j.records > 4096 || j.size > 4096*60 {
		t.Errorf("journal not compacted: %d records, %d bytes", j.records, j.size)
	}
	j.Close()
	j = openT(t, dir)
	defer j.Close()
	all, _ := j.All(ctx)
	if len(all) != 100 || !all[7].Expires.Equal(t0.Add(50*time.Hour)) || !all[77].Expires.Equal(t0.Add(50*time.Hour)) {
		t.Fatalf("after compaction and reopen: %d leases, leases 7 and 77 expire %v, %v", len(all), all[7].Expires, all[77].Expires)
	}
	if l, _, _ := j.Get(ctx, addr6(99)); !cmp.Equal(l.ClientID, duid(99)) {
		t.Errorf("IPv6 lease after compaction and reopen: %+v", l)
	}
	if h := header(t, dir); h != magic6 {
		t.Errorf("compacted journal with IPv6 leases has header %q, want %q", h, magic6)
	}
}

// header returns the first 8 bytes of the journal in dir.
func header(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:min(len(b), headerLen)])
}

// testdata/journal-v1.bin was written by pxed before IPv6 leases (commit
// 572c84f): five commits, cut to its records (pxed wrote zeros after them,
// see preallocChunk). Such a journal loads as it did; it keeps its header
// while it holds IPv4 leases alone, so that pxed can still be downgraded,
// and takes the IPv6 header with its first IPv6 lease.
func TestJournalReadsFormat1(t *testing.T) {
	t.Parallel()
	old, err := os.ReadFile("testdata/journal-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, journalName), old, 0o640); err != nil {
		t.Fatal(err)
	}
	j := openT(t, dir)
	defer func() { j.Close() }()
	ctx := context.Background()
	m := func(s string) net.HardwareAddr { v, _ := net.ParseMAC(s); return v }
	want := []Lease{
		{IP: netip.MustParseAddr("192.168.1.101"), MAC: m("00:18:e7:42:84:3a"), Hostname: "station-01", State: Bound, Expires: t0.Add(2 * time.Hour)},
		{IP: netip.MustParseAddr("192.168.1.150"), MAC: m("52:54:00:00:00:01"), ClientID: []byte{1, 0x52, 0x54, 0, 0, 0, 1}, State: Released, Expires: t0.Add(30 * time.Second)},
		{IP: netip.MustParseAddr("192.168.1.151"), MAC: m("52:54:00:00:00:02"), State: Declined, Expires: t0.Add(10 * time.Minute)},
	}
	cmpAddr := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	got, _ := j.All(ctx)
	if d := cmp.Diff(want, got, cmpAddr); d != "" {
		t.Fatalf("leases of the old journal (-want +got):\n%s", d)
	}
	if err := j.Commit(ctx, bound(7)); err != nil {
		t.Fatal(err)
	}
	if h := header(t, dir); h != magic4 {
		t.Errorf("header after an IPv4 commit: %q, want %q", h, magic4)
	}
	if err := j.Commit(ctx, bound6(7)); err != nil {
		t.Fatal(err)
	}
	if h := header(t, dir); h != magic6 {
		t.Errorf("header after an IPv6 commit: %q, want %q", h, magic6)
	}
	j.Close()
	j = openT(t, dir)
	want = append([]Lease{bound(7)}, append(want, bound6(7))...)
	got, _ = j.All(ctx)
	if d := cmp.Diff(want, got, cmpAddr); d != "" {
		t.Errorf("after IPv4 and IPv6 commits and a reopen (-want +got):\n%s", d)
	}
}

// A compaction whose copy of the leases holds IPv4 ones alone, while an
// IPv6 lease was committed meanwhile, installs a journal with the IPv6
// header.
func TestJournalCompactionMarksIPv6Meanwhile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeJournal(t, dir, 16, 1)
	f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	j := &Journal{dir: dir, f: f, log: slog.New(slog.DiscardHandler), leases: map[netip.Addr]stored{}}
	var v4 []Lease
	for i := range 16 {
		v4 = append(v4, lease65k(i, t0.Add(time.Hour)))
	}
	sf, size, v6, err := writeSnapshot(filepath.Join(dir, journalName+".tmp"), v4)
	if err != nil || v6 {
		t.Fatalf("snapshot of IPv4 leases: v6 %v, %v", v6, err)
	}
	j.since, j.sinceRecords, j.sinceV6 = appendRecord(nil, bound6(1)), 1, true
	j.finishCompaction(compaction{f: sf, size: size, records: 16})
	defer j.f.Close()
	if !j.v6 || j.records != 17 {
		t.Errorf("after the compaction: v6 %v, %d records; want true, 17", j.v6, j.records)
	}
	if h := header(t, dir); h != magic6 {
		t.Errorf("header %q, want %q", h, magic6)
	}
	all, err := ReadJournalDir(dir)
	if err != nil || len(all) != 17 || all[16].IP != addr6(1) {
		t.Errorf("compacted journal: %d leases (%v), the last %v", len(all), err, all[len(all)-1].IP)
	}
}

// A lease address must be one the journal can write back: a zone (an
// interface of this machine) is not part of a lease.
func TestJournalRefusesZonedAddress(t *testing.T) {
	t.Parallel()
	j := openT(t, t.TempDir())
	defer j.Close()
	for _, ip := range []netip.Addr{{}, netip.MustParseAddr("fe80::1%br0")} {
		l := bound(1)
		l.IP = ip
		if err := j.Commit(context.Background(), l); err == nil {
			t.Errorf("commit of a lease on %q accepted", ip)
		}
	}
}

// A compaction that fails (here: a directory stands where the new journal
// goes) is logged, the old journal stays in use with every lease, and the
// next compaction, once the obstacle is gone, succeeds.
func TestJournalCompactionFailureIsLogged(t *testing.T) {
	t.Parallel()
	const n = 16
	dir := t.TempDir()
	writeJournal(t, dir, n, 4096/n) // the first commit starts a compaction
	tmp := filepath.Join(dir, journalName+".tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	j, err := OpenJournal(dir, fixedNow, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { j.Close() }()
	ctx := context.Background()
	// commitUntil renews the n leases from n goroutines (their commits
	// share syncs) until done.
	commitUntil := func(what string, done func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var wg sync.WaitGroup
		for g := range n {
			wg.Go(func() {
				for i := 0; !done() && time.Now().Before(deadline); i++ {
					if err := j.Commit(ctx, lease65k(g, t0.Add(time.Duration(i+1)*time.Minute))); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if !done() {
			t.Fatalf("%s not seen within 20 s; log:\n%s", what, logs.String())
		}
	}
	commitUntil("a failed compaction logged", func() bool { return strings.Contains(logs.String(), "compaction failed") })
	if got := logs.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, journalName+".tmp") {
		t.Errorf("log of the failure: %q, want an ERROR naming %s.tmp", got, journalName)
	}
	if err := os.Remove(tmp); err != nil {
		t.Fatal(err)
	}
	commitUntil("a compaction after the failure", func() bool { return j.LastCompaction().Leases == n })
	want, _ := j.All(ctx)
	j.Close()
	j = openT(t, dir)
	if got, _ := j.All(ctx); !cmp.Equal(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })) {
		t.Errorf("after the failed and the good compaction and a reopen: %v, want %v", got, want)
	}
}

// A failed append whose cut back fails too says both.
func TestJournalFailedAppendReportsCutBack(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), journalName))
	if err != nil {
		t.Fatal(err)
	}
	f.Close() // every write and truncate fails
	j := &Journal{f: f, log: slog.New(slog.DiscardHandler), size: 8, alloc: 8, noPrealloc: 1 << 40}
	err = j.appendDurably(appendRecord(nil, bound(1)))
	if err == nil || !strings.Contains(err.Error(), "writing lease journal") || !strings.Contains(err.Error(), "cutting the partial batch off failed too") {
		t.Fatalf("append to a closed file: %v, want the write and the cut back failures", err)
	}
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("error %v does not wrap os.ErrClosed", err)
	}
}

// A read that fails is not the end of the journal: loading stops with the
// error rather than cutting acknowledged leases off.
func TestReadJournalReadErrorIsNotTheEnd(t *testing.T) {
	t.Parallel()
	b := []byte(magic4)
	for i := range 3 {
		b = appendRecord(b, bound(i))
	}
	eio := errors.New("input/output error")
	for _, at := range []int64{0, int64(len(magic4)) + 10} {
		_, err := readJournal(failingReaderAt{b, at, eio})
		if !errors.Is(err, eio) {
			t.Errorf("read failing at offset %d: %v, want the read error", at, err)
		}
	}
}

// failingReaderAt reads data but fails for any read that reaches offset at.
type failingReaderAt struct {
	data []byte
	at   int64
	err  error
}

func (r failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > r.at {
		n := copy(p, r.data[off:min(r.at, int64(len(r.data)))])
		return n, r.err
	}
	return copy(p, r.data[off:]), nil
}

// syncBuffer is a bytes.Buffer safe for the journal's writer goroutine to
// log into while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestJournalCrash kills a process that commits leases with SIGKILL at a
// random moment, many times over, and checks that every lease it reported
// as committed is in the journal afterwards.
func TestJournalCrash(t *testing.T) {
	if os.Getenv("PXED_CRASH_CHILD") != "" {
		crashChild(os.Getenv("PXED_CRASH_CHILD"))
		return
	}
	if testing.Short() {
		t.Skip("crash test starts processes")
	}
	t.Parallel()
	dir := t.TempDir()
	acked := map[netip.Addr]string{}
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalCrash$")
		cmd.Env = append(os.Environ(), "PXED_CRASH_CHILD="+dir, fmt.Sprintf("PXED_CRASH_ROUND=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The kill comes at a random moment after the child's first
		// acknowledged commit, not after its start: on a loaded machine a
		// child may need longer than the whole window just to start.
		var killAt <-chan time.Time
		armed := false
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				ip, m, _ := strings.Cut(l, " ")
				acked[netip.MustParseAddr(ip)] = m
				if !armed {
					armed = true
					killAt = time.After(time.Duration(rand.IntN(200)) * time.Millisecond)
				}
			case <-killAt:
				cmd.Process.Kill()
				killAt = nil
			}
		}
		cmd.Wait()
	}
	if len(acked) == 0 {
		t.Fatal("the child committed nothing")
	}
	all, err := ReadJournalDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[netip.Addr]string{}
	for _, l := range all {
		got[l.IP] = l.MAC.String()
	}
	for ip, m := range acked {
		if got[ip] != m {
			t.Errorf("acknowledged lease %s → %s lost after SIGKILL (journal has %q)", ip, m, got[ip])
		}
	}
	t.Logf("%d acknowledged leases over 20 kills, all present", len(acked))
}

// crashChild commits leases from 16 goroutines and prints each one once
// Commit has returned, until it is killed.
func crashChild(dir string) {
	j, err := OpenJournal(dir, fixedNow, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	round := os.Getenv("PXED_CRASH_ROUND")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				n := (g*4000 + i) % 60000
				l := Lease{IP: addr(n), MAC: mac(n), Hostname: "r" + round, State: Bound, Expires: t0.Add(time.Hour)}
				if g%2 == 1 { // a DHCPv6 client's lease
					l.IP = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 12: byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
					l.ClientID = duid(n)
				}
				if err := j.Commit(context.Background(), l); err != nil {
					continue
				}
				mu.Lock()
				fmt.Printf("%s %s\n", l.IP, l.MAC)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// FuzzReadJournal: whatever bytes the file holds, loading never panics, and
// the valid prefix it reports is a prefix of the file.
func FuzzReadJournal(f *testing.F) {
	var b []byte
	b = append(b, magic4...)
	for i := range 3 {
		b = appendRecord(b, bound(i))
	}
	f.Add(b)
	b6 := []byte(magic6)
	for i := range 3 {
		b6 = appendRecord(appendRecord(b6, bound(i)), bound6(i))
	}
	f.Add(b6)
	f.Add([]byte(magic4))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readJournal(bytesReaderAt(data))
		if err != nil {
			return
		}
		if r.valid > int64(len(data)) {
			t.Fatalf("valid prefix %d beyond %d bytes", r.valid, len(data))
		}
		for ip, l := range r.leases {
			if ip != l.IP || !ip.IsValid() || ip.Zone() != "" {
				t.Fatalf("lease indexed under %v has address %v", ip, l.IP)
			}
		}
	})
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
