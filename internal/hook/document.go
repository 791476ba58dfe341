package hook

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/inventory"
)

// Version is the version of Document's schema. Fields may be added
// within a version; a field renamed, removed or given another meaning
// makes the next version.
const Version = 1

// Document is what a hook receives of one event: the body of the POST and
// the command's standard input (docs/discovery.md, "Hooks").
type Document struct {
	Version int `json:"version"`
	// ID names the event's delivery: the same on every attempt, so that a
	// receiver can drop a repeat (an answer lost after it was handled).
	ID string `json:"id"`
	// Event is the topic's name: discovered, inventory, adopted, lease,
	// boot, installed, boot_failed, action.
	Event string    `json:"event"`
	Time  time.Time `json:"time"`
	// MAC is the machine's, in colon form; empty for a file fetched from an
	// address pxed did not lease (then IP says who).
	MAC string     `json:"mac,omitempty"`
	IP  netip.Addr `json:"ip,omitzero"`
	// Host is the machine's host entry; Profile the profile it boots.
	Host    string `json:"host,omitempty"`
	Profile string `json:"profile,omitempty"`
	// Outcome is how the step ended: events.Outcome's label (ok,
	// not_found, denied, timeout, refused, error, tls).
	Outcome string `json:"outcome"`
	// Proto is what carried the step (dhcp, dhcp6, bootp, tftp, http,
	// https); File the file it asked for.
	Proto string `json:"proto,omitempty"`
	File  string `json:"file,omitempty"`
	// Detail is words for a person; nothing should be decided on them.
	Detail string `json:"detail,omitempty"`
	// By is who did it, for an operator's adopted and action events.
	By string `json:"by,omitempty"`
	// Inventory is the machine's hardware (internal/inventory's JSON), on
	// inventory and adopted events when pxed has it.
	Inventory *inventory.Inventory `json:"inventory,omitempty"`
}

// Facts is what pxed's catalog knows of an event's machine beyond the
// event itself.
type Facts struct {
	Host, Profile string
	Inventory     *inventory.Inventory
}

// newDocument is e's document as topic t, with facts filling in what the
// event leaves out.
func newDocument(id string, t events.Topic, e events.Event, f Facts) Document {
	d := Document{Version: Version, ID: id, Event: t.String(), Time: e.Time.UTC(), IP: e.IP,
		Host: e.Host, Profile: f.Profile, Outcome: e.Result().Label(), Proto: e.Proto, File: e.File,
		Detail: e.Detail, By: e.By}
	if len(e.MAC) > 0 {
		d.MAC = e.MAC.String()
	}
	if d.Host == "" {
		d.Host = f.Host
	}
	if t == events.TopicInventory || t == events.TopicAdopted {
		d.Inventory = f.Inventory
	}
	return d
}

// newID is a random delivery ID: 128 bits in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24)
	return hex.EncodeToString(b[:])
}
