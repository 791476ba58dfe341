package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/hook"
	"github.com/pxed/pxed/internal/inventory"
)

// TestHookFacts: a hook's document names the machine's host and the
// profile it boots, and carries the inventory its discovery boot sent.
func TestHookFacts(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(`tftp: {enabled: false}
profiles:
  - name: debian-installer
    kernel: d-i/linux
hosts:
  - name: node-1
    mac: 52:54:00:00:00:01
    boot: {profile: debian-installer}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stranger := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 2}
	inv := &inventory.Inventory{MemoryBytes: 1536 << 20, DMI: inventory.DMI{Serial: "PXED-0002"}}
	if err := st.PutMachine(context.Background(), catalog.Machine{MAC: config.MAC{HardwareAddr: stranger},
		FirstSeen: time.Now(), LastSeen: time.Now(), Inventory: inv}); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	facts := hookFacts(cat)
	for _, tt := range []struct {
		name string
		e    events.Event
		want hook.Facts
	}{
		{"host", events.Event{Kind: events.DHCPAck, MAC: net.HardwareAddr{0x52, 0x54, 0, 0, 0, 1}},
			hook.Facts{Host: "node-1", Profile: "debian-installer"}},
		{"discovered machine", events.Event{Kind: events.InventoryReceived, MAC: stranger}, hook.Facts{Inventory: inv}},
		{"no machine", events.Event{Kind: events.FileFailed}, hook.Facts{}},
	} {
		if d := cmp.Diff(tt.want, facts(tt.e)); d != "" {
			t.Errorf("%s: facts (-want +got):\n%s", tt.name, d)
		}
	}
}
