package catalog

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/logsink"
	"github.com/pxed/pxed/internal/pxe"
)

// Catalog is the live set of hosts and profiles: the YAML file's, with the
// Store's laid over them. Its methods are safe for concurrent use.
type Catalog struct {
	base  *config.Config
	store Store
	now   func() time.Time
	log   *slog.Logger
	// key signs install callbacks (CallbackToken); nil: no callbacks.
	key []byte

	mu    sync.Mutex // serializes changes: store write, then publish
	state State
	snap  atomic.Pointer[Snapshot]

	seen chan Machine // discovered machines for Run to store

	// orders are operators' pending instructions to discovery agents,
	// by lower-case MAC (PowerOff).
	orders struct {
		sync.Mutex
		m map[string]Instruction
	}
	notify func(events.Event) // hears of machines discovered; nil: no one

	baseProblems map[string]bool // Validate's messages for the file alone
}

// Options configure a Catalog.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default: discard).
	Logger *slog.Logger
	// CallbackKey signs the per-host install callback tokens; pxed uses
	// its API token, so that a new API token also retires old callbacks.
	CallbackKey []byte
}

// MaxMachines bounds the discovered machines kept: a flood of made-up MACs
// must not grow the store without end. The least recently seen goes first.
const MaxMachines = 4096

// seenEvery is how stale a discovered machine's stored last-seen time may
// get: a machine that retries DHCP every few seconds is not written each time.
const seenEvery = time.Minute

// Open loads st's content over base and publishes the first snapshot.
// base must have passed Validate.
func Open(ctx context.Context, base *config.Config, st Store, o Options) (*Catalog, error) {
	c := &Catalog{base: base, store: st, now: o.Now, log: logsink.Or(o.Logger), key: o.CallbackKey, seen: make(chan Machine, 64)}
	if c.now == nil {
		c.now = time.Now
	}
	c.baseProblems = map[string]bool{}
	for _, p := range base.Validate() {
		c.baseProblems[p.Msg] = true
	}
	if err := c.reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload makes base, a configuration re-read from the file that has
// passed Validate, the catalog's new base: its hosts, profiles, discovery
// rules and boot sections, with the store's entries laid over them as
// before. The store is not touched. Refused, with the catalog unchanged,
// when the store's entries and the new file together are not a valid
// configuration (an API host taking an address the file now reserves): an
// *InvalidError whose problems say why, for the operator to fix the file or
// the entry.
func (c *Catalog) Reload(ctx context.Context, base *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, oldProblems := c.base, c.baseProblems
	// base passed Validate: it has no problems of its own, and every one
	// check finds comes from the store's entries laid over it (validating
	// the file again here would read its boot files a second time).
	c.base, c.baseProblems = base, map[string]bool{}
	err := c.check(c.state)
	if err == nil {
		err = c.publish(ctx)
	}
	if err != nil {
		c.base, c.baseProblems = old, oldProblems
		return err
	}
	return nil
}

func (c *Catalog) reload(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.publish(ctx)
}

// publish loads what the store holds and makes it the snapshot. c.mu is
// held.
func (c *Catalog) publish(ctx context.Context) error {
	state, err := c.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("loading catalog: %w", err)
	}
	snap, err := build(c.base, state)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	c.state = state
	c.snap.Store(snap)
	return nil
}

// Snapshot returns the current catalog. It never blocks.
func (c *Catalog) Snapshot() *Snapshot { return c.snap.Load() }

// Run stores discovered machines and follows changes made to the Store by
// others, until ctx ends. Each machine discovered is told to ev (an
// events.Discovered event; ev may be nil).
func (c *Catalog) Run(ctx context.Context, ev events.Recorder) error {
	changes := c.store.Changes()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changes:
			if err := c.reload(ctx); err != nil {
				c.log.Warn("catalog reload failed; serving the previous one", "err", err)
			}
		case m := <-c.seen:
			if err := c.discover(ctx, m, ev); err != nil {
				c.log.Warn("recording a discovered machine failed", "mac", m.MAC.String(), "err", err)
			}
		}
	}
}

// Record implements events.Recorder: a PXE client's DISCOVER, or a BOOTP
// client's request (BOOTP is a boot protocol: RFC 951), from a machine
// without a host entry makes it a discovered machine, one the operator
// may give a host entry and so a reservation. It never blocks: when Run
// is behind, the sighting is dropped (the machine will ask again).
func (c *Catalog) Record(e events.Event) {
	booting := (e.Kind == events.DHCPDiscover && (e.Client.PXE || e.Client.HTTP)) || e.Kind == events.BOOTPRequest
	if !booting || len(e.MAC) != 6 {
		return
	}
	snap := c.Snapshot()
	if _, known := snap.Match(e.MAC, e.Client.UUID); known {
		return
	}
	now := e.Time
	if now.IsZero() {
		now = c.now()
	}
	if m, ok := snap.machine(e.MAC); ok && now.Sub(m.LastSeen) < seenEvery {
		return
	}
	m := Machine{MAC: config.MAC{HardwareAddr: e.MAC}, UUID: pxe.UUIDString(e.Client.UUID), FirstSeen: now, LastSeen: now}
	if e.Client.HasArch {
		m.Arch = e.Client.Arch.String()
	}
	select {
	case c.seen <- m:
	default:
	}
}

func (c *Catalog) discover(ctx context.Context, m Machine, ev events.Recorder) error {
	var first bool
	err := c.change(ctx, func(ctx context.Context, st *State) error {
		if old, seen := c.Snapshot().machine(m.MAC.HardwareAddr); seen {
			// What its discovery boot reported stays.
			m.FirstSeen, m.Inventory, m.Rule, m.Host = old.FirstSeen, old.Inventory, old.Rule, old.Host
		} else if len(st.Machines) >= MaxMachines {
			oldest := st.Machines[0]
			for _, o := range st.Machines {
				if o.LastSeen.Before(oldest.LastSeen) {
					oldest = o
				}
			}
			if err := c.store.DeleteMachine(ctx, oldest.MAC); err != nil {
				return err
			}
			first = true
		} else {
			first = true
		}
		return c.store.PutMachine(ctx, m)
	})
	if err == nil && first && ev != nil {
		detail := "no host entry"
		if m.Arch != "" {
			detail += " (" + m.Arch + ")"
		}
		ev.Record(events.Event{Time: m.FirstSeen, Kind: events.Discovered, MAC: m.MAC.HardwareAddr, Detail: detail})
	}
	return err
}

// change runs f (which writes to the store) and publishes what the store
// then holds. Serialized, so snapshots follow the order of changes.
func (c *Catalog) change(ctx context.Context, f func(context.Context, *State) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := f(ctx, &c.state); err != nil {
		return err
	}
	return c.publish(ctx)
}

// InvalidError is a change refused because the result would not be a
// valid configuration; Problems say why.
type InvalidError struct{ Problems []config.Problem }

func (e *InvalidError) Error() string {
	var msgs []string
	for _, p := range e.Problems {
		msgs = append(msgs, p.Msg)
	}
	return strings.Join(msgs, "; ")
}

// check validates the configuration the change would give: the YAML file
// with the store's entries laid over it, as the snapshot would serve it.
// The same checks as `pxed check`, so an API entry is held to the rules of
// a YAML one (unique MAC and address, address outside pools, profile
// defined, boot files present, discovery rules that parse ...).
func (c *Catalog) check(st State) error {
	snap, err := build(c.base, st)
	if err != nil {
		return &InvalidError{[]config.Problem{{Msg: err.Error()}}}
	}
	cand := *c.base
	cand.Hosts = nil
	for _, h := range snap.hosts {
		cand.Hosts = append(cand.Hosts, h.Host)
	}
	cand.Profiles = nil
	for _, p := range snap.profiles {
		cand.Profiles = append(cand.Profiles, p.Profile)
	}
	cand.Discovery.Rules = nil
	for _, r := range snap.rules {
		cand.Discovery.Rules = append(cand.Discovery.Rules, r.Rule)
	}
	// Only what the change adds counts: problems the file has on its own
	// (pxed refuses to start with any, but a store may hold entries made
	// under an older file) are not the caller's to fix.
	var added []config.Problem
	for _, p := range cand.Validate() {
		if !c.baseProblems[p.Msg] {
			added = append(added, config.Problem{Msg: p.Msg})
		}
	}
	if len(added) > 0 {
		return &InvalidError{added}
	}
	return nil
}

// edited returns the state edit makes of a copy of st, checked as the
// whole config it would give; st itself is left as it is.
func (c *Catalog) edited(st *State, edit func(*State)) (State, error) {
	next := *st
	edit(&next)
	return next, c.check(next)
}

func hostName(h config.Host) string       { return h.Name }
func profileName(p config.Profile) string { return p.Name }
func ruleName(r config.Rule) string       { return r.Name }

// PutHost adds h through the store, or replaces the entry of its name (an
// API entry, or a YAML one it then overrides). A host adopted this way
// leaves the discovered machines.
func (c *Catalog) PutHost(ctx context.Context, h config.Host) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		next, err := c.edited(st, func(n *State) { n.Hosts = putByName(slices.Clone(st.Hosts), h, hostName) })
		if err != nil {
			return err
		}
		if err := c.store.PutHost(ctx, h); err != nil {
			return err
		}
		snap, err := build(c.base, next)
		if err != nil {
			return err
		}
		for _, m := range st.Machines {
			if hm, ok := snap.Match(m.MAC.HardwareAddr, nil); ok && strings.EqualFold(hm.Name, h.Name) {
				if err := c.adopted(ctx, m, h.Name); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// adopted records that machine m is now host name: a machine with an
// inventory keeps its record, marked; any other leaves the discovered
// machines.
func (c *Catalog) adopted(ctx context.Context, m Machine, name string) error {
	if m.Inventory == nil {
		return c.store.DeleteMachine(ctx, m.MAC)
	}
	if m.Host == name {
		return nil
	}
	m.Host = name
	return c.store.PutMachine(ctx, m)
}

// DeleteHost removes the API entry called name; a YAML entry of that name
// then applies again. ErrNotFound when there is no API entry: a YAML entry
// can only be overridden, not deleted, since the file would bring it back.
func (c *Catalog) DeleteHost(ctx context.Context, name string) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		hosts, ok := deleteByName(slices.Clone(st.Hosts), name, hostName)
		if !ok {
			if _, inFile := c.Snapshot().Host(name); inFile {
				return fmt.Errorf("host %q is defined in %s and can only be overridden: %w", name, c.base.File, ErrNotFound)
			}
			return fmt.Errorf("host %q: %w", name, ErrNotFound)
		}
		if _, err := c.edited(st, func(n *State) { n.Hosts = hosts }); err != nil {
			return err
		}
		if err := c.store.DeleteHost(ctx, name); err != nil {
			return err
		}
		// A host gone for good takes its install record with it: a new
		// host of the same name must install, not boot a disk it never had.
		// A file host of that name keeps the record: it is the same machine.
		for _, h := range c.base.Hosts {
			if strings.EqualFold(h.Name, name) {
				return nil
			}
		}
		if _, installed := st.Installed[strings.ToLower(name)]; installed {
			return c.store.SetInstalled(ctx, name, time.Time{})
		}
		return nil
	})
}

// PutProfile adds or replaces a profile.
func (c *Catalog) PutProfile(ctx context.Context, p config.Profile) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		if _, err := c.edited(st, func(n *State) { n.Profiles = putByName(slices.Clone(st.Profiles), p, profileName) }); err != nil {
			return err
		}
		return c.store.PutProfile(ctx, p)
	})
}

// DeleteProfile removes the API profile called name; refused while a host
// or the file still boots it (unless a YAML profile of that name remains).
func (c *Catalog) DeleteProfile(ctx context.Context, name string) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		profiles, ok := deleteByName(slices.Clone(st.Profiles), name, profileName)
		if !ok {
			return fmt.Errorf("profile %q is not an API profile: %w", name, ErrNotFound)
		}
		if _, err := c.edited(st, func(n *State) { n.Profiles = profiles }); err != nil {
			return err
		}
		return c.store.DeleteProfile(ctx, name)
	})
}

// SetInstalled records the install callback of host name (done true) or
// clears it, so that a netboot-once host installs again (done false).
func (c *Catalog) SetInstalled(ctx context.Context, name string, done bool) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		h, ok := c.Snapshot().Host(name)
		if !ok {
			return fmt.Errorf("host %q: %w", name, ErrNotFound)
		}
		var at time.Time
		if done {
			at = c.now().UTC()
		}
		return c.store.SetInstalled(ctx, h.Name, at)
	})
}

// DeleteMachine forgets a discovered machine.
func (c *Catalog) DeleteMachine(ctx context.Context, mac net.HardwareAddr) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		return c.store.DeleteMachine(ctx, config.MAC{HardwareAddr: mac})
	})
}

// ErrNoCallbacks: without a key (no API token) no callback can be checked.
var ErrNoCallbacks = errors.New("install callbacks need an API token (web.token_file)")

// CallbackToken is host name's install callback token: an HMAC-SHA256 of
// the lower-cased name under the callback key. It is derived, not stored,
// so it survives restarts, and it lets only that host's callback through:
// a token seen in one machine's preseed cannot mark another installed.
func (c *Catalog) CallbackToken(name string) (string, error) {
	if len(c.key) == 0 {
		return "", ErrNoCallbacks
	}
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("pxed install callback\x00" + strings.ToLower(name)))
	return hex.EncodeToString(m.Sum(nil)[:16]), nil
}

// CheckCallback reports whether token is host name's callback token, in
// constant time.
func (c *Catalog) CheckCallback(name, token string) bool {
	want, err := c.CallbackToken(name)
	return err == nil && hmac.Equal([]byte(want), []byte(token))
}
