package postgres

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
)

var st01 = net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x84, 0x3a}

// sharedEvents are a boot's steps as two instances record them: DHCP with
// what the client said of itself, and files, one failed.
var sharedEvents = []events.Event{
	{Time: time.Date(2026, 12, 6, 4, 0, 0, 123456000, time.UTC), MAC: st01, IP: netip.MustParseAddr("192.168.1.101"),
		Kind: events.DHCPAck, Proto: "dhcp", File: "pxelinux.0", Host: "station-01", ClientName: "st01",
		Client: pxe.Client{PXE: true, IPXE: true, Arch: pxe.ArchARM64UEFI, HasArch: true, UUID: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, VendorClass: "PXEClient:Arch:00011:UNDI:003000"}},
	{Time: time.Date(2026, 12, 6, 4, 0, 2, 0, time.UTC), MAC: st01, IP: netip.MustParseAddr("2001:db8:1::101"),
		Kind: events.FileServed, Proto: "tftp", File: "debian-installer/amd64/linux", Bytes: 8 << 20, Dur: 1500 * time.Millisecond, Retransmits: 3},
	{Time: time.Date(2026, 12, 6, 4, 0, 3, 0, time.UTC), MAC: st01, IP: netip.MustParseAddr("192.168.1.101"),
		Kind: events.FileFailed, Proto: "http", File: "pxelinux.cfg/default", Outcome: events.OutcomeNotFound, Detail: "not found"},
}

var cmpEvent = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

func TestEventWire(t *testing.T) {
	t.Parallel()
	for _, e := range sharedEvents {
		n := encodeEvent("src1", e)
		p, err := jsonString(n)
		if err != nil {
			t.Fatal(err)
		}
		src, got, err := decodeEvent(p)
		if err != nil || src != "src1" {
			t.Fatalf("decode %s: %q %v", p, src, err)
		}
		if d := cmp.Diff(e, got, cmpEvent); d != "" {
			t.Errorf("%s event (-sent +read):\n%s", e.Kind, d)
		}
	}
	if _, _, err := decodeEvent(`{"src":"x","kind":"no such kind"}`); err == nil {
		t.Error("an unknown kind was read")
	}
}

type eventChan chan events.Event

func (c eventChan) Record(e events.Event) {
	select {
	case c <- e:
	default:
	}
}

// testTimeline: what one instance records reaches another's timeline, and
// not its own.
func testTimeline(t *testing.T, dsn string) {
	a, b := open(t, dsn), open(t, dsn)
	ta, tb := a.Timeline(), b.Timeline()
	atA, atB := make(eventChan, 64), make(eventChan, 64)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go ta.Follow(ctx, atA)
	go tb.Follow(ctx, atB)
	// Nothing is caught up: send a probe until b listens.
	probe := events.Event{Time: time.Now(), MAC: st01, Kind: events.DHCPDiscover, Proto: "dhcp"}
	deadline := time.After(10 * time.Second)
wait:
	for {
		ta.Record(probe)
		select {
		case <-atB:
			break wait
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("b heard no event of a's within 10 s")
		}
	}
	for len(atB) > 0 {
		<-atB
	}
	for _, e := range sharedEvents {
		ta.Record(e)
	}
	for i, want := range sharedEvents {
		select {
		case got := <-atB:
			for got.Kind == events.DHCPDiscover { // a late probe
				got = <-atB
			}
			if d := cmp.Diff(want, got, cmpEvent); d != "" {
				t.Errorf("event %d at b (-sent +read):\n%s", i, d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d not at b within 10 s", i)
		}
	}
	select {
	case e := <-atA:
		t.Errorf("a heard its own event %s", e.Kind)
	case <-time.After(200 * time.Millisecond):
	}
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
