//go:build linux

package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeSystem is a machine that does nothing but record the halt.
type fakeSystem struct {
	cmdline string
	root    fs.FS
	upFails int // Up fails this many times first
	halted  []Action
}

func (s *fakeSystem) Prepare(context.Context, Sayer) error { return nil }
func (s *fakeSystem) Cmdline() (string, error)             { return s.cmdline, nil }
func (s *fakeSystem) Up(context.Context, net.HardwareAddr, Sayer) (netip.Prefix, error) {
	if s.upFails > 0 {
		s.upFails--
		return netip.Prefix{}, errors.New("no lease")
	}
	return netip.MustParsePrefix("192.168.1.150/24"), nil
}
func (s *fakeSystem) Root() fs.FS { return s.root }
func (s *fakeSystem) Halt(a Action) error {
	s.halted = append(s.halted, a)
	return nil
}

// server is the discovery server's side: answers given in turn, the last
// one repeated; a status other than 200 before them makes the agent retry.
type server struct {
	mu      sync.Mutex
	answers []string
	fail    int // first requests answered 503
	got     []string
	report  Report
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
	if s.fail > 0 {
		s.fail--
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	if r.Method == http.MethodPost {
		json.NewDecoder(r.Body).Decode(&s.report)
	}
	a := s.answers[0]
	if len(s.answers) > 1 {
		s.answers = s.answers[1:]
	}
	json.NewEncoder(w).Encode(Instruction{Action: a})
}

func TestAgentRun(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		fail    int
		upFails int
		want    Action
		wantGot []string
		say     []string // lines the console must show
	}{
		{
			name: "power off at once", answers: []string{"poweroff"}, want: Poweroff,
			wantGot: []string{"POST /api/v1/discovery/inventory Bearer tok"},
			say:     []string{"pxed agent: inventory sent; server says poweroff", "pxed agent: powering off"},
		},
		{
			name: "wait, then reboot", answers: []string{"wait", "wait", "reboot"}, want: Reboot,
			wantGot: []string{
				"POST /api/v1/discovery/inventory Bearer tok",
				"GET /api/v1/discovery/instruction?mac=52%3A54%3A00%3Aa9%3A00%3A01 Bearer tok",
				"GET /api/v1/discovery/instruction?mac=52%3A54%3A00%3Aa9%3A00%3A01 Bearer tok",
			},
			say: []string{"server says wait", "pxed agent: server says reboot", "pxed agent: rebooting"},
		},
		{
			name: "server and DHCP not ready", answers: []string{"poweroff"}, fail: 2, upFails: 1, want: Poweroff,
			wantGot: []string{
				"POST /api/v1/discovery/inventory Bearer tok",
				"POST /api/v1/discovery/inventory Bearer tok",
				"POST /api/v1/discovery/inventory Bearer tok",
			},
			say: []string{"bringing up 52:54:00:a9:00:01: no lease (again in 1ms)",
				"sending the inventory: server answered 503 Service Unavailable: starting (again in 1ms)",
				"(again in 2ms)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &server{answers: tt.answers, fail: tt.fail}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			sys := &fakeSystem{
				cmdline: "console=ttyS0 pxed.server=" + hs.URL + " pxed.token=tok pxed.mac=52:54:00:a9:00:01",
				root:    fstest.MapFS{"proc/meminfo": {Data: []byte("MemTotal: 1024 kB\n")}},
				upFails: tt.upFails,
			}
			var console bytes.Buffer
			a := &Agent{Sys: sys, Console: &console, Poll: time.Millisecond,
				Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }}
			a.Backoff.Min, a.Backoff.Max = time.Millisecond, 4*time.Millisecond
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got, err := a.Run(ctx)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, console.String())
			}
			if got != tt.want || len(sys.halted) != 1 || sys.halted[0] != tt.want {
				t.Errorf("Run did %v (halted %v), want %v", got, sys.halted, tt.want)
			}
			if d := cmp.Diff(tt.wantGot, srv.got); d != "" {
				t.Errorf("requests (-want +got):\n%s", d)
			}
			if srv.report.MAC != "52:54:00:a9:00:01" || srv.report.Inventory.MemoryBytes != 1024*1024 {
				t.Errorf("report %+v, want the MAC and 1 MiB of memory", srv.report)
			}
			for _, l := range tt.say {
				if !strings.Contains(console.String(), l) {
					t.Errorf("console lacks %q:\n%s", l, console.String())
				}
			}
		})
	}
}

// TestAgentRunGivesUp: without a valid command line there is nothing to
// do, and Run says why.
func TestAgentRunGivesUp(t *testing.T) {
	a := &Agent{Sys: &fakeSystem{cmdline: "console=ttyS0"}}
	_, err := a.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "no pxed.server") {
		t.Errorf("Run = %v, want the missing parameters", err)
	}
}

func TestClientAnswers(t *testing.T) {
	tests := []struct {
		body string
		code int
		want string
	}{
		{`{"action":"wait"}`, 200, "wait"},
		{`{"action":"poweroff"}`, 200, "poweroff"},
		{`{"action":"dance"}`, 200, `error: unknown action "dance"`},
		{`not json`, 200, "error: GET"},
		{`forbidden`, 403, "error: server answered 403 Forbidden: forbidden"},
	}
	for _, tt := range tests {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.code)
			w.Write([]byte(tt.body))
		}))
		p, _ := ParseCmdline("pxed.server=" + hs.URL + " pxed.token=t pxed.mac=52:54:00:a9:00:01")
		c := &Client{Server: p.Server, Token: p.Token}
		a, err := c.Poll(t.Context(), p.MAC)
		got := a.String()
		if err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("answer %d %q: got %q, want %q", tt.code, tt.body, got, tt.want)
		}
		hs.Close()
	}
}
