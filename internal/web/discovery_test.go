package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
)

// events heard by a test's recorder.
type heard struct {
	mu sync.Mutex
	ev []events.Event
}

func (h *heard) Record(e events.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ev = append(h.ev, e)
}

// The agent's routes take the machine's own agent token, not the API
// token and not another machine's; a report is recorded and answered
// with the instruction, and a poll answers the same.
func TestAgentRoutes(t *testing.T) {
	t.Parallel()
	ev := &heard{}
	ts, cat := catalogServer(t, "api-token", ev)
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	tok, err := cat.AgentToken(mac)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := net.ParseMAC("52:54:00:12:34:57")
	otherTok, _ := cat.AgentToken(other)
	report := `{"mac":"52:54:00:12:34:56","inventory":{"dmi":{"vendor":"QEMU","serial":"PXED-1"},"firmware":{"mode":"bios","secure_boot":false},"cpu":{"sockets":1,"cores":2,"threads":2},"memory_bytes":1610612736,"disks":[{"name":"sda","size_bytes":8589934592,"rotational":true}],"nics":[{"name":"eth0","mac":"52:54:00:12:34:56","booted":true}]}}`

	for _, tc := range []struct {
		name, auth, body string
		want             int
	}{
		{"no token", "", report, 403},
		{"the API token", "api-token", report, 403},
		{"another machine's token", otherTok, report, 403},
		{"not a MAC", tok, `{"mac":"nope","inventory":{}}`, 400},
		{"unknown field", tok, `{"mac":"52:54:00:12:34:56","inventory":{},"extra":1}`, 400},
		{"too big", tok, `{"mac":"52:54:00:12:34:56","inventory":{"dmi":{"vendor":"` + strings.Repeat("x", maxInventory) + `"}}}`, 400},
	} {
		if code, body := call(t, ts, "POST", AgentPrefix+"inventory", tc.auth, tc.body); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
	if len(ev.ev) != 0 {
		t.Fatalf("refused reports recorded %d events", len(ev.ev))
	}

	code, body := call(t, ts, "POST", AgentPrefix+"inventory", tok, report)
	var a AgentAnswer
	if code != 200 || json.Unmarshal([]byte(body), &a) != nil || a.Action != "wait" {
		t.Fatalf("report: %d %s, want 200 and wait", code, body)
	}
	m, ok := cat.Snapshot().Machine(mac)
	if !ok || m.Inventory == nil || m.Inventory.MemoryBytes != 1536<<20 || len(m.Inventory.Disks) != 1 {
		t.Fatalf("stored machine = %+v", m)
	}
	if len(ev.ev) != 1 || ev.ev[0].Kind != events.InventoryReceived || ev.ev[0].MAC.String() != mac.String() ||
		ev.ev[0].Detail != "QEMU, serial PXED-1, bios, 2 CPUs, 1.5 GiB, 1 disks, 1 NICs" {
		t.Errorf("events = %+v", ev.ev)
	}

	// The API shows the stored record to an API client, not to the agent.
	code, body = call(t, ts, "GET", "/api/v1/inventory/52:54:00:12:34:56", "api-token", "")
	if code != 200 || !strings.Contains(body, `"serial": "PXED-1"`) || !strings.Contains(body, `"memory_bytes": 1610612736`) {
		t.Errorf("inventory: %d %s", code, body)
	}
	if code, _ := call(t, ts, "GET", "/api/v1/inventory/52:54:00:12:34:56", tok, ""); code != 401 && code != 403 {
		t.Errorf("inventory with the agent token: %d, want refused", code)
	}
	if code, _ := call(t, ts, "GET", "/api/v1/inventory/52:54:00:00:00:01", "api-token", ""); code != 404 {
		t.Errorf("inventory of an unknown machine: %d, want 404", code)
	}
	if code, _ := call(t, ts, "GET", AgentPrefix+"instruction?mac=52:54:00:12:34:56", otherTok, ""); code != 403 {
		t.Errorf("poll with another machine's token: %d, want 403", code)
	}
	code, body = call(t, ts, "PUT", "/api/v1/hosts/adopted", "api-token", `{"name":"adopted","mac":"52:54:00:12:34:56"}`)
	if code != 200 && code != 201 {
		t.Fatalf("adopting: %d %s", code, body)
	}
	code, body = call(t, ts, "GET", AgentPrefix+"instruction?mac=52-54-00-12-34-56", tok, "")
	if code != 200 || json.Unmarshal([]byte(body), &a) != nil || a.Action != "reboot" || a.Host != "adopted" {
		t.Errorf("poll after adoption: %d %s, want reboot as adopted", code, body)
	}
}

// An operator's power-off order reaches the machine's agent at its next
// poll, once; it is recorded with who gave it. A machine pxed has not
// discovered cannot be ordered, and the order needs the API token.
func TestAgentPowerOff(t *testing.T) {
	t.Parallel()
	ev := &heard{}
	cfg, err := config.Parse("pxed.yaml", []byte(catalogBase))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{CallbackKey: []byte("api-token")})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Token: []byte("api-token")}
	CatalogRoutes(s, cat, ev)
	(&Actions{Catalog: cat, Events: ev}).Register(s)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)

	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	tok, _ := cat.AgentToken(mac)
	if code, body := call(t, ts, "POST", "/api/v1/discovered/52:54:00:12:34:56/poweroff", "api-token", ""); code != 404 {
		t.Errorf("power off before discovery: %d %s, want 404", code, body)
	}
	report := `{"mac":"52:54:00:12:34:56","inventory":{"firmware":{"mode":"bios"}}}`
	if code, body := call(t, ts, "POST", AgentPrefix+"inventory", tok, report); code != 200 {
		t.Fatalf("report: %d %s", code, body)
	}
	if code, _ := call(t, ts, "POST", "/api/v1/discovered/52:54:00:12:34:56/poweroff", "", ""); code != 401 {
		t.Errorf("power off without the token: %d, want 401", code)
	}
	code, body := call(t, ts, "POST", "/api/v1/discovered/52:54:00:12:34:56/poweroff", "api-token", "")
	var p PowerOffJSON
	if code != 202 || json.Unmarshal([]byte(body), &p) != nil || p.Action != catalog.Poweroff {
		t.Fatalf("power off: %d %s, want 202", code, body)
	}
	var got []catalog.Instruction
	for range 2 {
		code, body := call(t, ts, "GET", AgentPrefix+"instruction?mac=52:54:00:12:34:56", tok, "")
		var a AgentAnswer
		if code != 200 || json.Unmarshal([]byte(body), &a) != nil {
			t.Fatalf("poll: %d %s", code, body)
		}
		got = append(got, a.Action)
	}
	if got[0] != catalog.Poweroff || got[1] != catalog.Wait {
		t.Errorf("polls after the order = %v, want poweroff once, then wait", got)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	last := ev.ev[len(ev.ev)-1]
	if last.Kind != events.Action || last.Proto != "agent" || !strings.Contains(last.Detail, "power off") || last.By == "" {
		t.Errorf("recorded %+v, want the order with who gave it", last)
	}
}

// A machine waiting in discovery, which no rule took when it reported, is
// adopted at its agent's next poll by a rule put through the API after
// that; the poll answers reboot and the adoption is recorded.
func TestAgentPollAdoptsByNewRule(t *testing.T) {
	t.Parallel()
	ev := &heard{}
	ts, cat := catalogServer(t, "api-token", ev)
	mac, _ := net.ParseMAC("52:54:00:12:34:58")
	tok, _ := cat.AgentToken(mac)
	report := `{"mac":"52:54:00:12:34:58","inventory":{"dmi":{"serial":"RACK7-01"},"firmware":{"mode":"uefi"},"memory_bytes":1073741824}}`
	code, body := call(t, ts, "POST", AgentPrefix+"inventory", tok, report)
	var a AgentAnswer
	if code != 200 || json.Unmarshal([]byte(body), &a) != nil || a.Action != catalog.Wait {
		t.Fatalf("report: %d %s, want wait", code, body)
	}
	code, body = call(t, ts, "GET", AgentPrefix+"instruction?mac=52:54:00:12:34:58", tok, "")
	if code != 200 || json.Unmarshal([]byte(body), &a) != nil || a.Action != catalog.Wait {
		t.Fatalf("poll before the rule: %d %s, want wait", code, body)
	}
	rule := `{"match": {"serial": "RACK7-*"}, "assign": {"hostname": "r7-{{.Serial}}", "profile": "debian-installer"}}`
	if code, body := call(t, ts, "PUT", "/api/v1/rules/rack7", "api-token", rule); code != 200 {
		t.Fatalf("PUT rule: %d %s", code, body)
	}
	code, body = call(t, ts, "GET", AgentPrefix+"instruction?mac=52:54:00:12:34:58", tok, "")
	if code != 200 || json.Unmarshal([]byte(body), &a) != nil || a.Action != catalog.Reboot || a.Host != "r7-rack7-01" {
		t.Fatalf("poll after the rule: %d %s, want reboot as r7-rack7-01", code, body)
	}
	if h, ok := cat.Snapshot().Host("r7-rack7-01"); !ok || h.Rule != "rack7" || h.MAC.String() != mac.String() {
		t.Errorf("host = %+v, %v", h, ok)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var adopted int
	for _, e := range ev.ev {
		if e.Kind == events.Adopted && e.Detail == "by rule rack7" {
			adopted++
		}
	}
	if adopted != 1 {
		t.Errorf("%d adoptions recorded, want 1: %+v", adopted, ev.ev)
	}
}
