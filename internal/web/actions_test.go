package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
)

const actionsBase = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp:
  enabled: false
web:
  address: ":9069"
boot:
  profile: debian-installer
profiles:
  - name: debian-installer
    kernel: d-i/linux
  - name: rescue
    kernel: rescue/linux
hosts:
  - name: station-02
    mac: 00:18:e7:42:85:21
    ip: 192.168.1.102
`

const actionsToken = "0123456789abcdef0123"

// eventLog keeps what the actions record.
type eventLog struct {
	mu  sync.Mutex
	evs []events.Event
}

func (l *eventLog) Record(e events.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
}

func (l *eventLog) take() []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.evs
	l.evs = nil
	return evs
}

// fakeWaker records the wakes asked for instead of sending them.
type fakeWaker struct {
	mu    sync.Mutex
	woken []string
}

func (f *fakeWaker) Wake(_ context.Context, mac net.HardwareAddr, ip netip.Addr) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.woken = append(f.woken, mac.String()+" "+ip.String())
	return []netip.Addr{netip.MustParseAddr("192.168.1.255")}, nil
}

// actionsServer serves the catalog and action routes over a catalog that
// has discovered the machine with MAC unknown.
func actionsServer(t *testing.T, unknown net.HardwareAddr) (*httptest.Server, *catalog.Catalog, *eventLog, *fakeWaker) {
	t.Helper()
	cfg, err := config.Parse("pxed.yaml", []byte(actionsBase))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{CallbackKey: []byte(actionsToken)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); cat.Run(ctx, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	cat.Record(events.Event{Kind: events.DHCPDiscover, MAC: unknown, Client: pxe.Client{PXE: true}})
	deadline := time.Now().Add(5 * time.Second)
	for len(cat.Snapshot().Machines()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the catalog did not record the discovered machine")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ev, wk := &eventLog{}, &fakeWaker{}
	s := &Server{Token: []byte(actionsToken)}
	CatalogRoutes(s, cat, ev)
	(&Actions{Catalog: cat, Events: ev, Waker: wk}).Register(s)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, cat, ev, wk
}

// post sends a write with the token (when given) and extra headers.
func post(t *testing.T, ts *httptest.Server, path, token, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var unknownMAC = net.HardwareAddr{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}

// actionCalls are one call of each action, each of which changes something.
var actionCalls = []struct{ path, body string }{
	{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"node-7","profile":"rescue"}`},
	{"/api/v1/hosts/station-02/profile", `{"profile":"rescue"}`},
	{"/api/v1/hosts/station-02/reinstall", ``},
	{"/api/v1/hosts/station-02/wake", ``},
}

// TestActionsRefused: without the right token, or from another origin, no
// action goes through, nothing changes and nothing is recorded.
func TestActionsRefused(t *testing.T) {
	t.Parallel()
	ts, cat, ev, wk := actionsServer(t, unknownMAC)
	before := cat.Snapshot()
	tests := []struct {
		name  string
		token string
		hdr   map[string]string
		want  int
	}{
		{"no token", "", nil, http.StatusUnauthorized},
		{"wrong token", "not-the-token-at-all", nil, http.StatusUnauthorized},
		{"foreign Origin", actionsToken, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", actionsToken, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site but other origin", actionsToken, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.lan:9069"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		for _, c := range actionCalls {
			if code, body := post(t, ts, c.path, tt.token, c.body, tt.hdr); code != tt.want {
				t.Errorf("%s: POST %s = %d %s, want %d", tt.name, c.path, code, body, tt.want)
			}
		}
	}
	// The catalog's other writes are guarded alike.
	if code, _ := post(t, ts, "/api/v1/hosts/station-02/installed", "", "", map[string]string{"Sec-Fetch-Site": "cross-site"}); code == http.StatusNoContent {
		t.Errorf("a cross-site install callback without its token went through")
	}
	if cat.Snapshot() != before {
		t.Errorf("a refused action changed the catalog")
	}
	if evs := ev.take(); len(evs) != 0 {
		t.Errorf("refused actions recorded %d events: %+v", len(evs), evs)
	}
	if len(wk.woken) != 0 {
		t.Errorf("a refused action woke %v", wk.woken)
	}
}

// TestActionsSameOrigin: the dashboard's own requests (same origin) pass.
func TestActionsSameOrigin(t *testing.T) {
	t.Parallel()
	ts, _, _, _ := actionsServer(t, unknownMAC)
	hdr := map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin", ActorHeader: "dashboard"}
	if code, body := post(t, ts, "/api/v1/hosts/station-02/wake", actionsToken, "", hdr); code != http.StatusOK {
		t.Errorf("same-origin wake = %d %s, want 200", code, body)
	}
}

// recorded is what a test checks of a recorded event.
type recorded struct {
	Kind   events.Kind
	MAC    string
	Host   string
	Detail string
	By     string
}

func steps(evs []events.Event) []recorded {
	var out []recorded
	for _, e := range evs {
		out = append(out, recorded{e.Kind, e.MAC.String(), e.Host, e.Detail, e.By})
	}
	return out
}

// TestActions walks an operator's session: each action's answer, what it
// changed in the catalog and the event it recorded, with who did it.
func TestActions(t *testing.T) {
	t.Parallel()
	ts, cat, ev, wk := actionsServer(t, unknownMAC)
	cli := map[string]string{ActorHeader: "cli alice"}

	// Adopt the discovered machine.
	code, body := post(t, ts, actionCalls[0].path, actionsToken, `{"name":"node-7","profile":"rescue","ip":"192.168.1.107","netboot":"once"}`, cli)
	if code != http.StatusCreated {
		t.Fatalf("adopt = %d %s, want 201", code, body)
	}
	var h catalog.Host
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatal(err)
	}
	got := []string{h.Name, h.MAC.String(), h.IP.String(), string(h.Netboot), h.Boot.Profile, string(h.Source)}
	if diff := cmp.Diff([]string{"node-7", "52:54:00:aa:bb:cc", "192.168.1.107", "once", "rescue", "api"}, got); diff != "" {
		t.Errorf("adopted host (-want +got):\n%s", diff)
	}
	if ms := cat.Snapshot().Machines(); len(ms) != 0 {
		t.Errorf("the adopted machine is still discovered: %+v", ms)
	}
	if diff := cmp.Diff([]recorded{{events.Adopted, "52:54:00:aa:bb:cc", "node-7", "by hand, profile rescue", "cli alice 127.0.0.1"}}, steps(ev.take())); diff != "" {
		t.Errorf("adopt's events (-want +got):\n%s", diff)
	}

	// Change a file host's profile: an API entry now overrides it.
	code, body = post(t, ts, "/api/v1/hosts/station-02/profile", actionsToken, `{"profile":"rescue"}`, cli)
	if code != http.StatusOK {
		t.Fatalf("profile = %d %s, want 200", code, body)
	}
	st2, _ := cat.Snapshot().Host("station-02")
	if st2.Boot == nil || st2.Boot.Profile != "rescue" || st2.Source != catalog.FromAPI || st2.IP.String() != "192.168.1.102" {
		t.Errorf("station-02 after the profile change: %+v", st2.Host)
	}
	if diff := cmp.Diff([]recorded{{events.Action, "00:18:e7:42:85:21", "station-02", "profile (default) → rescue", "cli alice 127.0.0.1"}}, steps(ev.take())); diff != "" {
		t.Errorf("profile's events (-want +got):\n%s", diff)
	}

	// Reinstall a host that has installed: netboot once, record cleared, woken.
	if err := cat.SetInstalled(context.Background(), "node-7", true); err != nil {
		t.Fatal(err)
	}
	code, body = post(t, ts, "/api/v1/hosts/node-7/reinstall", actionsToken, "", map[string]string{ActorHeader: "dashboard"})
	if code != http.StatusOK {
		t.Fatalf("reinstall = %d %s, want 200", code, body)
	}
	n7, _ := cat.Snapshot().Host("node-7")
	if !n7.Installed.IsZero() || n7.Netboot != config.NetbootOnce {
		t.Errorf("node-7 after reinstall: netboot %q, installed %v; want once and no record", n7.Netboot, n7.Installed)
	}
	want := []recorded{
		{events.Action, "52:54:00:aa:bb:cc", "node-7", "reinstall: netboot once", "dashboard 127.0.0.1"},
		{events.Action, "52:54:00:aa:bb:cc", "node-7", "wake-on-LAN to 192.168.1.255", "dashboard 127.0.0.1"},
	}
	if diff := cmp.Diff(want, steps(ev.take())); diff != "" {
		t.Errorf("reinstall's events (-want +got):\n%s", diff)
	}

	// Reinstall turns an always host into a once host.
	if code, body = post(t, ts, "/api/v1/hosts/station-02/reinstall", actionsToken, "", nil); code != http.StatusOK {
		t.Fatalf("reinstall station-02 = %d %s", code, body)
	}
	if st2, _ = cat.Snapshot().Host("station-02"); st2.Netboot != config.NetbootOnce || st2.Boot.Profile != "rescue" {
		t.Errorf("station-02 after reinstall: netboot %q, profile %v", st2.Netboot, st2.Boot)
	}
	ev.take()

	// Wake.
	code, body = post(t, ts, "/api/v1/hosts/station-02/wake", actionsToken, "", nil)
	if code != http.StatusOK || !strings.Contains(body, `"192.168.1.255"`) {
		t.Fatalf("wake = %d %s, want 200 with where it went", code, body)
	}
	if diff := cmp.Diff([]recorded{{events.Action, "00:18:e7:42:85:21", "station-02", "wake-on-LAN to 192.168.1.255", "127.0.0.1"}}, steps(ev.take())); diff != "" {
		t.Errorf("wake's events (-want +got):\n%s", diff)
	}
	wantWoken := []string{"52:54:00:aa:bb:cc 192.168.1.107", "00:18:e7:42:85:21 192.168.1.102", "00:18:e7:42:85:21 192.168.1.102"}
	if diff := cmp.Diff(wantWoken, wk.woken); diff != "" {
		t.Errorf("wakes sent (-want +got):\n%s", diff)
	}
}

// TestActionsBadRequests: what an action refuses, and that a refusal
// changes nothing.
func TestActionsBadRequests(t *testing.T) {
	t.Parallel()
	ts, cat, ev, _ := actionsServer(t, unknownMAC)
	before := cat.Snapshot()
	tests := []struct {
		path, body string
		want       int
	}{
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"profile":"rescue"}`, http.StatusBadRequest},
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"station-02"}`, http.StatusConflict},
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"n","profile":"no-such"}`, http.StatusUnprocessableEntity},
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"n","ip":"192.168.1.102"}`, http.StatusUnprocessableEntity},
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"n","ip":"nope"}`, http.StatusBadRequest},
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"n","netboot":"sometimes"}`, http.StatusUnprocessableEntity},
		{"/api/v1/discovered/52:54:00:aa:bb:cc/adopt", `{"name":"n","owner":"x"}`, http.StatusBadRequest},
		{"/api/v1/discovered/52:54:00:00:00:01/adopt", `{"name":"n"}`, http.StatusNotFound},
		{"/api/v1/discovered/not-a-mac/adopt", `{"name":"n"}`, http.StatusBadRequest},
		{"/api/v1/hosts/station-02/profile", `{"profile":"no-such"}`, http.StatusUnprocessableEntity},
		{"/api/v1/hosts/station-02/profile", `{}`, http.StatusBadRequest},
		{"/api/v1/hosts/nobody/profile", `{"profile":"rescue"}`, http.StatusNotFound},
		{"/api/v1/hosts/nobody/reinstall", ``, http.StatusNotFound},
		{"/api/v1/hosts/nobody/wake", ``, http.StatusNotFound},
	}
	for _, tt := range tests {
		if code, body := post(t, ts, tt.path, actionsToken, tt.body, nil); code != tt.want {
			t.Errorf("POST %s %s = %d %s, want %d", tt.path, tt.body, code, body, tt.want)
		}
	}
	if cat.Snapshot() != before {
		t.Errorf("a refused action changed the catalog")
	}
	if evs := ev.take(); len(evs) != 0 {
		t.Errorf("refused actions recorded events: %+v", evs)
	}
}

func TestActor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header, remote, want string
	}{
		{"dashboard", "192.0.2.7:51000", "dashboard 192.0.2.7"},
		{"cli alice", "[::ffff:192.0.2.7]:51000", "cli alice 192.0.2.7"},
		{"", "[2001:db8::7]:51000", "2001:db8::7"},
		{"  cli   bob@admin  ", "127.0.0.1:1", "cli bob@admin 127.0.0.1"},
		{"eve\nFAKE line<script>", "127.0.0.1:1", "eve_FAKE line_script_ 127.0.0.1"},
		{"zoë", "127.0.0.1:1", "zo_ 127.0.0.1"},
		{strings.Repeat("x", 200), "127.0.0.1:1", strings.Repeat("x", maxActor) + " 127.0.0.1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.header != "" {
			r.Header.Set(ActorHeader, tt.header)
		}
		if got := Actor(r); got != tt.want {
			t.Errorf("Actor(%q from %s) = %q, want %q", tt.header, tt.remote, got, tt.want)
		}
	}
}
