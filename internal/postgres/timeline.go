package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
)

// Boot events reach the other instances as notifications on channel
// pxed_events, so that where DHCP and the boot files are on two servers
// (docs/deploy.md, "DHCP and files on two servers") each one's timeline of
// a machine shows both halves of its boot: the DHCP server's exchange and
// the file server's transfers. No table keeps them: a timeline is each
// instance's memory (events.Log), and an instance that was down misses
// what happened meanwhile, as its own Log would have.
//
// Sent as lease announcements are (announce.go): gathered for
// announceDelay into one transaction without waiting for a disk flush, at
// most timelineQueue waiting; past that, events are dropped (and counted)
// rather than slow the servers that record them.

const (
	eventChannel  = "pxed_events"
	timelineQueue = 4096
	// maxPayload is kept under PostgreSQL's 8000-byte limit of a
	// notification's payload; a larger event (a long file name or
	// detail) is not shared.
	maxPayload = 7900
)

// Timeline shares boot events with the other instances using the store:
// Record sends this instance's, Follow receives theirs. Make it with
// Store.Timeline; it stops when the store closes.
type Timeline struct {
	s       *Store
	queue   chan events.Event
	dropped atomic.Uint64
}

// Timeline starts sharing this instance's boot events (Record) with the
// other instances of the database.
func (s *Store) Timeline() *Timeline {
	t := &Timeline{s: s, queue: make(chan events.Event, timelineQueue)}
	s.followers.Add(1)
	go t.send()
	return t
}

// Record implements events.Recorder: it queues e for the other instances
// and never waits.
func (t *Timeline) Record(e events.Event) {
	select {
	case t.queue <- e:
	default:
		t.dropped.Add(1)
	}
}

// Dropped is how many events were not shared because the queue was full.
func (t *Timeline) Dropped() uint64 { return t.dropped.Load() }

// send notifies the queued events, announceDelay's worth at a time, until
// the store closes.
func (t *Timeline) send() {
	defer t.s.followers.Done()
	for {
		var batch []events.Event
		select {
		case <-t.s.closing.Done():
			return
		case e := <-t.queue:
			batch = append(batch, e)
		}
		timer := time.NewTimer(announceDelay)
	gather:
		for len(batch) < announceBatch {
			select {
			case e := <-t.queue:
				batch = append(batch, e)
			case <-timer.C:
				break gather
			case <-t.s.closing.Done():
				break gather
			}
		}
		timer.Stop()
		t.flush(batch)
	}
}

func (t *Timeline) flush(batch []events.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b := &pgx.Batch{}
	b.Queue("SET LOCAL synchronous_commit = off")
	n := 0
	for _, e := range batch {
		p, err := json.Marshal(encodeEvent(t.s.id, e))
		if err != nil || len(p) > maxPayload {
			t.dropped.Add(1)
			continue
		}
		b.Queue("SELECT pg_notify($1, $2)", eventChannel, string(p))
		n++
	}
	if n == 0 {
		return
	}
	err := pgx.BeginFunc(ctx, t.s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		t.dropped.Add(uint64(n))
		t.s.log.Warn("postgres: sharing boot events with other instances failed; their timelines miss them", "events", n, "err", err)
	}
}

// Follow passes every boot event another instance shares to apply, until
// ctx ends or the store closes; it returns nil then. A lost connection is
// retried as Store.Follow's is; what was shared meanwhile is not caught up.
func (t *Timeline) Follow(ctx context.Context, apply events.Recorder) error {
	s := t.s
	s.followers.Add(1)
	defer s.followers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	s.follow(ctx, s.log, time.Second, eventChannel, func(context.Context) error { return nil },
		func(_ context.Context, payload string) error {
			src, e, err := decodeEvent(payload)
			switch {
			case err != nil:
				s.log.Debug("postgres: a shared boot event that does not read", "err", err)
			case src != s.id:
				apply.Record(e)
			}
			return nil
		})
	return nil
}

// eventNotice is a boot event on the wire. Kinds and outcomes go by name
// (events.KindNamed, events.OutcomeLabelled), the architecture by its RFC
// 4578 number: instances of two pxed versions read each other's.
type eventNotice struct {
	Src         string `json:"src"`
	TimeUS      int64  `json:"t"`
	MAC         string `json:"mac,omitempty"`
	IP          string `json:"ip,omitempty"`
	Kind        string `json:"kind"`
	Proto       string `json:"proto,omitempty"`
	File        string `json:"file,omitempty"`
	Bytes       int64  `json:"bytes,omitempty"`
	DurUS       int64  `json:"dur_us,omitempty"`
	Retransmits int    `json:"retransmits,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	Detail      string `json:"detail,omitempty"`
	Host        string `json:"host,omitempty"`
	ClientName  string `json:"client_name,omitempty"`
	// What the machine's DHCP request said of it (pxe.Client).
	PXE         bool   `json:"pxe,omitempty"`
	HTTP        bool   `json:"http,omitempty"`
	IPXE        bool   `json:"ipxe,omitempty"`
	Arch        uint16 `json:"arch,omitempty"`
	HasArch     bool   `json:"has_arch,omitempty"`
	UUID        string `json:"uuid,omitempty"`
	VendorClass string `json:"vendor_class,omitempty"`
}

func encodeEvent(src string, e events.Event) eventNotice {
	n := eventNotice{Src: src, TimeUS: e.Time.UnixMicro(), MAC: hex.EncodeToString(e.MAC), Kind: e.Kind.String(),
		Proto: e.Proto, File: e.File, Bytes: e.Bytes, DurUS: e.Dur.Microseconds(), Retransmits: e.Retransmits,
		Detail: e.Detail, Host: e.Host, ClientName: e.ClientName,
		PXE: e.Client.PXE, HTTP: e.Client.HTTP, IPXE: e.Client.IPXE, Arch: uint16(e.Client.Arch), HasArch: e.Client.HasArch,
		UUID: hex.EncodeToString(e.Client.UUID), VendorClass: e.Client.VendorClass}
	if e.IP.IsValid() {
		n.IP = e.IP.String()
	}
	if e.Outcome != events.OutcomeOK {
		n.Outcome = e.Outcome.Label()
	}
	return n
}

// decodeEvent reads a notification of eventChannel: the sending Store's id
// and the event.
func decodeEvent(payload string) (string, events.Event, error) {
	var n eventNotice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return "", events.Event{}, err
	}
	kind, ok := events.KindNamed(n.Kind)
	if !ok {
		return n.Src, events.Event{}, fmt.Errorf("unknown event kind %q", n.Kind)
	}
	e := events.Event{Time: time.UnixMicro(n.TimeUS), Kind: kind, Proto: n.Proto, File: n.File, Bytes: n.Bytes,
		Dur: time.Duration(n.DurUS) * time.Microsecond, Retransmits: n.Retransmits, Detail: n.Detail,
		Host: n.Host, ClientName: n.ClientName,
		Client: pxe.Client{PXE: n.PXE, HTTP: n.HTTP, IPXE: n.IPXE, Arch: pxe.Arch(n.Arch), HasArch: n.HasArch, VendorClass: n.VendorClass}}
	if n.Outcome != "" {
		e.Outcome = events.OutcomeLabelled(n.Outcome)
	}
	var err error
	if e.MAC, err = hexBytes(n.MAC); err != nil {
		return n.Src, events.Event{}, fmt.Errorf("mac: %w", err)
	}
	if e.Client.UUID, err = hexBytes(n.UUID); err != nil {
		return n.Src, events.Event{}, fmt.Errorf("uuid: %w", err)
	}
	if n.IP != "" {
		if e.IP, err = netip.ParseAddr(n.IP); err != nil {
			return n.Src, events.Event{}, err
		}
	}
	return n.Src, e, nil
}

// hexBytes decodes s, nil when empty.
func hexBytes(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return hex.DecodeString(s)
}
