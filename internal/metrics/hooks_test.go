package metrics

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/hook"
)

// TestHookMetrics: /metrics shows each hook's deliveries by result, the
// ones that have not happened at 0.
func TestHookMetrics(t *testing.T) {
	t.Parallel()
	n := hook.New([]config.Hook{
		{Name: "cmdb", Command: []string{"/bin/sh", "-c", "cat >/dev/null"}},
		{Name: "broken", Command: []string{"/bin/sh", "-c", "exit 1"}},
	}, hook.Options{})
	m := New()
	m.WatchHooks(n)
	mac := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 1}
	n.Record(events.Event{Kind: events.DHCPAck, MAC: mac})
	n.Record(events.Event{Kind: events.InventoryReceived, MAC: mac})
	n.Record(events.Event{Kind: events.DHCPOffer, MAC: mac}) // no topic: no hook
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(t, m), `pxed_hook_events_total{hook="broken",result="failed",via="command"} 2`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	n.Close()
	got := strings.Split(grep(scrape(t, m), "pxed_hook_events_total{"), "\n")
	want := []string{
		`pxed_hook_events_total{hook="broken",result="dropped",via="command"} 0`,
		`pxed_hook_events_total{hook="broken",result="failed",via="command"} 2`,
		`pxed_hook_events_total{hook="broken",result="ok",via="command"} 0`,
		`pxed_hook_events_total{hook="broken",result="timeout",via="command"} 0`,
		`pxed_hook_events_total{hook="cmdb",result="dropped",via="command"} 0`,
		`pxed_hook_events_total{hook="cmdb",result="failed",via="command"} 0`,
		`pxed_hook_events_total{hook="cmdb",result="ok",via="command"} 2`,
		`pxed_hook_events_total{hook="cmdb",result="timeout",via="command"} 0`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("hook metrics (-want +got):\n%s", d)
	}
}
