package hook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
)

// quick retries, so that an outage of a receiver costs the test
// milliseconds.
var quick = Retry{Attempts: 1000, Base: 2 * time.Millisecond, Max: 20 * time.Millisecond}

// receiver is a hook's receiving end on loopback that can be taken down
// (503, or its port closed) and brought back on the same port.
type receiver struct {
	t      *testing.T
	secret []byte
	addr   string

	mu     sync.Mutex
	srv    *http.Server
	status int        // what it answers; 200 when up
	got    []Document // taken (2xx), in order of arrival
	ids    map[string]int
	tries  int // requests seen, answered or not
	bad    []string
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{t: t, secret: []byte(secret), status: http.StatusOK, ids: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.down)
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/hook" }

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

// down closes the port: connections are refused.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// up listens again on the same port.
func (r *receiver) up() {
	var ln net.Listener
	var err error
	for range 100 { // the port may linger a moment after Close
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(ln)
}

func (r *receiver) answer(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if r.status != http.StatusOK {
		w.WriteHeader(r.status)
		return
	}
	var d Document
	switch {
	case err != nil:
		r.bad = append(r.bad, err.Error())
	case req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json":
		r.bad = append(r.bad, req.Method+" "+req.Header.Get("Content-Type"))
	default:
		if err := Verify(r.secret, req.Header, body, time.Now(), DefaultTolerance); err != nil {
			r.bad = append(r.bad, "signature: "+err.Error())
		}
		if err := json.Unmarshal(body, &d); err != nil {
			r.bad = append(r.bad, "body: "+err.Error())
		}
		if req.Header.Get(HeaderDelivery) != d.ID || req.Header.Get(HeaderEvent) != d.Event {
			r.bad = append(r.bad, "headers disagree with the body: "+req.Header.Get(HeaderDelivery))
		}
	}
	r.ids[d.ID]++
	r.got = append(r.got, d)
	w.WriteHeader(http.StatusNoContent)
}

// waitFor polls cond until it holds, or fails the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (r *receiver) count() (got, tries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got), r.tries
}

func counts(n *Notifier) []Counts {
	var cs []Counts
	n.Each(func(_ string, _ Via, c Counts) { cs = append(cs, c) })
	return cs
}

func mac(i int) net.HardwareAddr { return net.HardwareAddr{0x52, 0x54, 0, 0, 0, byte(i)} }

func ack(i int) events.Event {
	return events.Event{Time: time.Date(2026, 12, 6, 14, 0, i, 0, time.UTC), MAC: mac(i),
		IP: netip.AddrFrom4([4]byte{192, 168, 1, byte(100 + i)}), Kind: events.DHCPAck, Proto: "dhcp"}
}

// TestPostEveryEventOnce: every event reaches the receiver once, signed,
// in order, through a time it answers 503 and a time its port is closed.
func TestPostEveryEventOnce(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, "s3cret")
	n := New([]config.Hook{{Name: "cmdb", URL: r.url(), Secret: "s3cret", Timeout: config.Duration(2 * time.Second)}},
		Options{Retry: quick})
	defer n.Close()

	for i := range 5 {
		n.Record(ack(i))
	}
	waitFor(t, "the first 5 events", func() bool { got, _ := r.count(); return got == 5 })

	r.answer(http.StatusServiceUnavailable)
	_, before := r.count()
	for i := 5; i < 10; i++ {
		n.Record(ack(i))
	}
	waitFor(t, "tries against 503", func() bool { _, tries := r.count(); return tries > before+5 })

	r.down()
	r.answer(http.StatusOK)
	for i := 10; i < 15; i++ {
		n.Record(ack(i))
	}
	waitFor(t, "retries against the closed port", func() bool { return counts(n)[0].Retries > 10 })
	if got, _ := r.count(); got != 5 {
		t.Fatalf("receiver took %d events while down, want the first 5 only", got)
	}
	r.up()
	waitFor(t, "all 15 events", func() bool { got, _ := r.count(); return got == 15 })
	waitFor(t, "15 counted delivered", func() bool { return counts(n)[0].Results[Delivered] == 15 })

	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Errorf("bad requests: %q", r.bad)
	}
	var macs []string
	for _, d := range r.got {
		macs = append(macs, d.MAC)
		if r.ids[d.ID] != 1 {
			t.Errorf("delivery %s taken %d times", d.ID, r.ids[d.ID])
		}
	}
	var want []string
	for i := range 15 {
		want = append(want, mac(i).String())
	}
	if d := cmp.Diff(want, macs); d != "" {
		t.Errorf("events taken, by MAC (-want +got):\n%s", d)
	}
	wantDoc := Document{Version: 1, Event: "lease", Time: ack(7).Time, MAC: "52:54:00:00:00:07",
		IP: netip.MustParseAddr("192.168.1.107"), Outcome: "ok", Proto: "dhcp"}
	if d := cmp.Diff(wantDoc, r.got[7], cmpopts.IgnoreFields(Document{}, "ID"), cmpopts.EquateComparable(netip.Addr{})); d != "" {
		t.Errorf("document (-want +got):\n%s", d)
	}
	c := counts(n)[0]
	if c.Results != [nResults]uint64{Delivered: 15} {
		t.Errorf("results %v, want 15 delivered and nothing else", c.Results)
	}
}

// TestQueueFullDrops: Record never waits for a receiver that hangs; what
// finds the queue full is dropped and counted, and Close gives up on the
// rest at its bound.
func TestQueueFullDrops(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	inFlight := make(chan struct{}, 100)
	srv := newHanging(t, func(w http.ResponseWriter, req *http.Request) {
		inFlight <- struct{}{}
		select {
		case <-release:
		case <-req.Context().Done():
		}
	})
	defer close(release)
	n := New([]config.Hook{{Name: "slow", URL: srv, Timeout: config.Duration(time.Minute)}},
		Options{Retry: quick, Queue: 2, Drain: 50 * time.Millisecond})

	n.Record(ack(0))
	<-inFlight // the worker holds event 0; the queue is empty
	start := time.Now()
	for i := 1; i < 10; i++ {
		n.Record(ack(i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("9 Records took %s with the receiver hanging", d)
	}
	c := counts(n)[0]
	if c.Results[Dropped] != 7 || c.Queued != 2 {
		t.Errorf("dropped %d, queued %d; want 7 dropped (queue of 2 full) and 2 queued", c.Results[Dropped], c.Queued)
	}
	start = time.Now()
	n.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %s, bound 50ms", d)
	}
	c = counts(n)[0]
	if c.Results != [nResults]uint64{Dropped: 10} {
		t.Errorf("results after Close %v, want all 10 dropped (7 at Record, 3 at Close)", c.Results)
	}
	n.Record(ack(11)) // after Close: ignored, no panic
}

func newHanging(t *testing.T, h http.HandlerFunc) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// TestPostRefused: a 4xx other than 408 and 429 is the receiver's no,
// not tried again; a receiver that never comes back uses up the attempts.
func TestPostRefused(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tries := map[string]int{}
	srv := newHanging(t, func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		tries[req.URL.Path]++
		mu.Unlock()
		if req.URL.Path == "/gone" {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	n := New([]config.Hook{
		{Name: "gone", URL: srv + "gone", Timeout: config.Duration(time.Second)},
		{Name: "broken", URL: srv + "broken", Timeout: config.Duration(time.Second)},
	}, Options{Retry: Retry{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}})
	n.Record(ack(1))
	waitFor(t, "both hooks to give up", func() bool {
		cs := counts(n)
		return cs[0].Results[Failed] == 1 && cs[1].Results[Failed] == 1
	})
	n.Close()
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff(map[string]int{"/gone": 1, "/broken": 3}, tries); d != "" {
		t.Errorf("attempts per receiver (-want +got):\n%s", d)
	}
	if cs := counts(n); cs[1].Retries != 2 {
		t.Errorf("retries against 502: %d, want 2", cs[1].Retries)
	}
}

// TestCommandGetsDocument: the command reads the event as JSON on its
// standard input, with the inventory for an inventory event, and the
// facts in its environment; only the topics it subscribed to run it.
func TestCommandGetsDocument(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inv := &inventory.Inventory{MemoryBytes: 1536 << 20, DMI: inventory.DMI{Serial: "PXED-0001"}}
	facts := func(e events.Event) Facts {
		return Facts{Host: "node-pxed-0001", Profile: "debian-installer", Inventory: inv}
	}
	script := `cat > "$1/$PXED_EVENT.json"; printf '%s %s %s' "$PXED_EVENT" "$PXED_MAC" "$PXED_IP" > "$1/$PXED_EVENT.env"`
	n := New([]config.Hook{
		{Name: "script", Events: []string{"inventory", "boot_failed"}, Command: []string{"/bin/sh", "-c", script, "sh", dir}},
		{Name: "fails", Events: []string{"inventory"}, Command: []string{"/bin/sh", "-c", "cat >/dev/null; exit 3"}},
	}, Options{Facts: facts})
	at := time.Date(2026, 12, 6, 14, 5, 0, 0, time.UTC)
	n.Record(events.Event{Time: at, MAC: mac(1), Kind: events.DHCPDiscover, Client: pxe.Client{PXE: true}})
	n.Record(events.Event{Time: at, MAC: mac(1), IP: netip.MustParseAddr("192.168.1.50"), Kind: events.InventoryReceived,
		Proto: "http", Detail: "QEMU Standard PC, 1.5 GiB, 2 disks"})
	n.Record(events.Event{MAC: mac(1), IP: netip.MustParseAddr("192.168.1.50"), Kind: events.FileFailed,
		Proto: "tftp", File: "linux", Outcome: events.OutcomeTimeout, Detail: "TFTP timeout after block 812"})
	waitFor(t, "the commands", func() bool {
		cs := counts(n)
		return cs[0].Results[Delivered] == 2 && cs[1].Results[Failed] == 1
	})
	n.Close()

	var gotInv Document
	b, err := os.ReadFile(filepath.Join(dir, "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &gotInv); err != nil {
		t.Fatalf("command's input is no JSON document: %v\n%s", err, b)
	}
	want := Document{Version: 1, Event: "inventory", Time: at, MAC: "52:54:00:00:00:01", IP: netip.MustParseAddr("192.168.1.50"),
		Host: "node-pxed-0001", Profile: "debian-installer", Outcome: "ok", Proto: "http",
		Detail: "QEMU Standard PC, 1.5 GiB, 2 disks", Inventory: inv}
	if d := cmp.Diff(want, gotInv, cmpopts.IgnoreFields(Document{}, "ID"), cmpopts.EquateComparable(netip.Addr{})); d != "" {
		t.Errorf("inventory document (-want +got):\n%s", d)
	}
	if len(gotInv.ID) != 32 {
		t.Errorf("delivery id %q, want 32 hex digits", gotInv.ID)
	}
	var gotFail Document
	b, _ = os.ReadFile(filepath.Join(dir, "boot_failed.json"))
	if err := json.Unmarshal(b, &gotFail); err != nil {
		t.Fatalf("boot_failed input: %v\n%s", err, b)
	}
	if gotFail.Outcome != "timeout" || gotFail.File != "linux" || gotFail.Inventory != nil || gotFail.Time.IsZero() {
		t.Errorf("boot_failed document: outcome %q file %q inventory %v time %s; want timeout, linux, none, the time it was recorded",
			gotFail.Outcome, gotFail.File, gotFail.Inventory, gotFail.Time)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "inventory.env"))
	if got, want := string(env), "inventory 52:54:00:00:00:01 192.168.1.50"; got != want {
		t.Errorf("environment: %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "boot.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a boot event ran a hook subscribed to inventory and boot_failed only (%v)", err)
	}
}

// TestCommandKilledAtTimeout: a command that hangs, and what it started,
// are killed at the hook's timeout, and the run is counted as timed out;
// the next event runs.
func TestCommandKilledAtTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The shell starts a child that would outlive it, notes its PID, and
	// waits for it.
	script := `cat >/dev/null; sleep 60 & echo $! > "$1/child.$PXED_MAC"; wait`
	n := New([]config.Hook{{Name: "hangs", Command: []string{"/bin/sh", "-c", script, "sh", dir},
		Timeout: config.Duration(200 * time.Millisecond)}}, Options{})
	start := time.Now()
	n.Record(ack(1))
	n.Record(ack(2))
	waitFor(t, "both runs to time out", func() bool { return counts(n)[0].Results[TimedOut] == 2 })
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two runs with a timeout of 200ms took %s", d)
	}
	n.Close()
	for i := 1; i <= 2; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "child."+mac(i).String()))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, fmt.Sprintf("the command's child %d to be gone", pid), func() bool {
			return syscall.Kill(pid, 0) == syscall.ESRCH || zombie(pid)
		})
	}
	if c := counts(n)[0]; c.Results != [nResults]uint64{TimedOut: 2} {
		t.Errorf("results %v, want 2 timed out", c.Results)
	}
}

// zombie reports whether pid has died and waits for its parent to reap it.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) STATE …
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}

func TestRetryWait(t *testing.T) {
	t.Parallel()
	r := Retry{Base: time.Second, Max: 30 * time.Second}.Or(hookRetry)
	for _, tt := range []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{6, 15 * time.Second, 30 * time.Second}, // 32s capped at Max
		{70, 15 * time.Second, 30 * time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			w := r.Wait(tt.n)
			if w < tt.lo || w > tt.hi {
				t.Fatalf("wait(%d) = %s, want within [%s, %s]", tt.n, w, tt.lo, tt.hi)
			}
			seen[w] = true
		}
		if len(seen) < 10 {
			t.Errorf("wait(%d) took %d values in 200 draws: no jitter", tt.n, len(seen))
		}
	}
}
