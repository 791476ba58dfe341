package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/events"
)

var (
	station = net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	stIP    = netip.MustParseAddr("192.168.1.101")
)

func bootFails(g *events.Log) {
	for _, e := range []events.Event{
		{MAC: station, Kind: events.DHCPDiscover, Proto: "dhcp", ClientName: "<img src=x>"},
		{MAC: station, Kind: events.DHCPOffer, Proto: "dhcp", IP: stIP},
		{MAC: station, Kind: events.DHCPRequest, Proto: "dhcp", IP: stIP},
		{MAC: station, Kind: events.DHCPAck, Proto: "dhcp", IP: stIP},
		{IP: stIP, Kind: events.FileServed, Proto: "tftp", File: "pxelinux.0", Bytes: 42430, Dur: 20 * time.Millisecond},
		{IP: stIP, Kind: events.FileFailed, Proto: "tftp", File: "pxelinux.cfg/01-00-18-e7-42-84-3a", Outcome: events.OutcomeNotFound, Detail: "not found"},
		{IP: stIP, Kind: events.FileFailed, Proto: "tftp", File: "pxelinux.cfg/default", Outcome: events.OutcomeNotFound, Detail: "not found"},
	} {
		g.Record(e)
	}
}

func machinesServer(t *testing.T) (*httptest.Server, *events.Log) {
	g := events.NewLog(events.DefaultLimits)
	s := &Server{PublicRead: true}
	m := &Machines{Log: g, Heartbeat: 50 * time.Millisecond, Info: func(mac net.HardwareAddr) MachineInfo {
		if mac.String() == station.String() {
			return MachineInfo{Host: "station-01", Profile: "debian-12"}
		}
		return MachineInfo{}
	}}
	m.Register(s)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, g
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

func TestMachinesAPI(t *testing.T) {
	t.Parallel()
	ts, g := machinesServer(t)
	bootFails(g)
	var list []MachineJSON
	getJSON(t, ts.URL+"/api/v1/machines", &list)
	if len(list) != 1 {
		t.Fatalf("machines: %+v", list)
	}
	m := list[0]
	if m.MAC != station.String() || m.Host != "station-01" || !m.Known || m.Profile != "debian-12" || m.IP != stIP.String() ||
		m.State != "failed" || m.Failure != "pxelinux.cfg/default not found" {
		t.Errorf("row %+v", m)
	}
	var d MachineDetailJSON
	// Any common MAC spelling names the machine.
	if code := getJSON(t, ts.URL+"/api/v1/machines/00-18-E7-42-84-3A", &d); code != 200 {
		t.Fatalf("GET machine: %d", code)
	}
	if len(d.Boots) != 1 || d.Boots[0].Failure != "pxelinux.cfg/default not found" || len(d.Boots[0].Steps) != 7 {
		t.Fatalf("detail %+v", d)
	}
	statuses := ""
	for _, s := range d.Boots[0].Steps {
		statuses += s.Status + " "
	}
	if statuses != "ok ok ok ok ok miss fail " {
		t.Errorf("step statuses %q", statuses)
	}
	var e map[string]string
	if code := getJSON(t, ts.URL+"/api/v1/machines/02:00:00:00:00:09", &e); code != 404 || e["error"] == "" {
		t.Errorf("unknown machine: %d %v", code, e)
	}
}

// TestDualStackMachineAPI: a machine leased an address over DHCPv4 and one
// over DHCPv6 (both recorded under its MAC) is one row showing both, IPv4
// first, its ip the one acknowledged last, whichever it fetches over.
func TestDualStackMachineAPI(t *testing.T) {
	t.Parallel()
	ts, g := machinesServer(t)
	ip6 := netip.MustParseAddr("2001:db8:1::101")
	g.Record(events.Event{MAC: station, Kind: events.DHCPAck, Proto: "dhcp6", IP: ip6})
	g.Record(events.Event{MAC: station, Kind: events.DHCPAck, Proto: "dhcp", IP: stIP})
	g.Record(events.Event{IP: ip6, Kind: events.FileServed, Proto: "tftp", File: "grubx64.efi", Bytes: 1 << 20})
	var list []MachineJSON
	getJSON(t, ts.URL+"/api/v1/machines", &list)
	if len(list) != 1 {
		t.Fatalf("%d machines, want 1: %+v", len(list), list)
	}
	if m := list[0]; m.MAC != station.String() || m.IP != stIP.String() || strings.Join(m.IPs, " ") != stIP.String()+" "+ip6.String() {
		t.Errorf("row has ip %q, ips %q; want %s and both addresses, IPv4 first", m.IP, m.IPs, stIP)
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	ts, g := machinesServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	// The stream is open once its first comment arrives; events from now on.
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), ":") {
		t.Fatalf("first line %q", sc.Text())
	}
	bootFails(g)
	var got []StreamJSON
	beats := 0
	for len(got) < 7 && sc.Scan() {
		line := sc.Text()
		if line == ": keep-alive" {
			beats++
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var msg StreamJSON
			if err := json.Unmarshal([]byte(data), &msg); err != nil {
				t.Fatalf("%v: %s", err, data)
			}
			got = append(got, msg)
		}
	}
	if len(got) != 7 {
		t.Fatalf("%d messages: %v", len(got), sc.Err())
	}
	last := got[6]
	if last.Step.Status != "fail" || last.Step.Reason != "pxelinux.cfg/default not found" ||
		last.Machine.MAC != station.String() || last.Machine.State != "failed" || last.Machine.Host != "station-01" {
		t.Errorf("last message %+v", last)
	}
	// The stream outlives the heartbeat interval and keeps beating.
	deadline := time.Now().Add(5 * time.Second)
	for beats < 2 && time.Now().Before(deadline) && sc.Scan() {
		if sc.Text() == ": keep-alive" {
			beats++
		}
	}
	if beats < 2 {
		t.Errorf("%d keep-alives", beats)
	}
}

func TestDashboardServed(t *testing.T) {
	t.Parallel()
	s := &Server{Token: []byte("0123456789abcdef")}
	RegisterDashboard(s)
	for path, want := range map[string]string{"/": "<title>pxed</title>", "/static/app.js": "textContent", "/static/app.css": "--fail"} {
		r := httptest.NewRequest("GET", path, nil)
		if path == "/" {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("/ without the token: %d", w.Code)
			}
			r.SetBasicAuth("", "0123456789abcdef")
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, w.Code, want)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	// Text from the network goes into the page as text: the script never
	// hands a string to the HTML parser.
	js, _ := dashboardFiles.ReadFile("dashboard/app.js")
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(string(js), sink) {
			t.Errorf("app.js uses %s", sink)
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/static/nothing.js", nil))
	if w.Code != 404 {
		t.Errorf("missing asset: %d", w.Code)
	}
}

// TestEventStreamOutlivesTimeouts: the server's read and write timeouts,
// which bound ordinary requests, do not end an event stream.
func TestEventStreamOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	g := events.NewLog(events.DefaultLimits)
	s := &Server{PublicRead: true, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
	(&Machines{Log: g, Heartbeat: 50 * time.Millisecond}).Register(s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	req, _ := http.NewRequestWithContext(rctx, "GET", "http://"+ln.Addr().String()+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	start := time.Now()
	for time.Since(start) < 1500*time.Millisecond {
		if !sc.Scan() {
			t.Fatalf("stream ended after %v (%v), past the 200 ms timeouts", time.Since(start), sc.Err())
		}
	}
	g.Record(events.Event{MAC: station, Kind: events.DHCPDiscover})
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			return // a step still arrives
		}
	}
	t.Fatalf("no step after the timeouts: %v", sc.Err())
}
