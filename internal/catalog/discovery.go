package catalog

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/inventory"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rules"
)

// Where the discovery boot's kernel and initramfs are served, over TFTP
// and HTTP alike: the built-in discovery profile names them, and app
// serves them there.
const (
	DiscoveryKernel = "discovery/vmlinuz"
	DiscoveryInitrd = "discovery/initrd.img"
)

// discoveryProfile is the built-in profile of the discovery boot: the
// discovery kernel, pxed's agent as its initramfs, and on its command
// line what the agent needs to report back ({{.Agent}}).
func discoveryProfile(d config.Discovery) *Profile {
	line := "console={{.Console}} {{.Agent}}"
	if d.Cmdline != "" {
		line += " " + d.Cmdline
	}
	return &Profile{Profile: config.Profile{
		Name:    config.DiscoveryProfile,
		Kernel:  DiscoveryKernel,
		Initrd:  []string{DiscoveryInitrd},
		Cmdline: line,
	}, Source: BuiltIn}
}

// discovers reports whether the unknown machine mac, as its DHCP request
// classified it (c), is sent to the discovery boot: every one under
// discovery.boot "all"; under "rules", one that a rule could take by its
// DHCP facts (MAC, architecture), including a rule that must first see
// its inventory.
func (s *Snapshot) discovers(mac net.HardwareAddr, c pxe.Client) bool {
	switch s.base.Discovery.Boot {
	case config.DiscoveryAll:
		return true
	case config.DiscoveryRules:
		_, r := rules.First(s.compiled, rules.Facts{MAC: mac, Arch: c.Arch, HasArch: c.HasArch})
		return r != rules.NoMatch
	}
	return false
}

// ErrNoAgents: without a key (no API token) no agent can be checked.
var ErrNoAgents = errors.New("the discovery boot needs an API token (web.token_file)")

// AgentTokenLife is how long an agent token is good for after pxed
// rendered it into a discovery boot's command line: long enough for a
// machine to wait days for an operator, short enough that a token read
// off a console or a capture stops working.
const AgentTokenLife = 7 * 24 * time.Hour

// AgentToken is a discovery agent token for machine mac, issued now: the
// time of issue (Unix seconds, hex) and an HMAC-SHA256 of the MAC and that
// time under the catalog's key (the one install callbacks use). pxed puts
// it on the discovery kernel's command line each time it renders one, so
// every boot carries its own; the agent sends it back with the inventory.
// Derived, not stored, so it survives restarts; it lets only that
// machine's reports through, for AgentTokenLife.
func (c *Catalog) AgentToken(mac net.HardwareAddr) (string, error) {
	return c.agentToken(mac, c.now().Unix())
}

func (c *Catalog) agentToken(mac net.HardwareAddr, issued int64) (string, error) {
	if len(c.key) == 0 {
		return "", ErrNoAgents
	}
	m := hmac.New(sha256.New, c.key)
	fmt.Fprintf(m, "pxed discovery agent\x00%s\x00%d", strings.ToLower(mac.String()), issued)
	return strconv.FormatInt(issued, 16) + "-" + hex.EncodeToString(m.Sum(nil)[:16]), nil
}

// CheckAgent reports whether token is an agent token of machine mac that
// is still good: issued no more than AgentTokenLife ago (and not more than
// a minute ahead of the clock), its HMAC compared in constant time.
func (c *Catalog) CheckAgent(mac net.HardwareAddr, token string) bool {
	ts, _, ok := strings.Cut(token, "-")
	if !ok {
		return false
	}
	issued, err := strconv.ParseInt(ts, 16, 64)
	if err != nil || strconv.FormatInt(issued, 16) != ts {
		return false
	}
	age := c.now().Sub(time.Unix(issued, 0))
	if age > AgentTokenLife || age < -time.Minute {
		return false
	}
	want, err := c.agentToken(mac, issued)
	return err == nil && hmac.Equal([]byte(want), []byte(token))
}

// ReportInventory records the inventory machine mac's discovery boot sent
// and, when the machine has no host entry yet, lets the discovery rules in
// effect (the file's and the API's, Snapshot.Rules) decide whether one
// adopts it: the host entry is then made (held to the same checks as one
// made through the API) in the same change. A rule whose host-name
// template gives nothing for this machine (its serial number empty)
// adopts nothing: that is logged, and the machine waits for an operator. It returns the
// machine's record as stored: Rule and Host set when a rule adopted it.
func (c *Catalog) ReportInventory(ctx context.Context, mac net.HardwareAddr, inv inventory.Inventory) (Machine, error) {
	var out Machine
	err := c.change(ctx, func(ctx context.Context, st *State) error {
		snap := c.Snapshot()
		now := c.now().UTC()
		m, ok := snap.machine(mac)
		if !ok {
			m = Machine{MAC: config.MAC{HardwareAddr: mac}, FirstSeen: now}
		}
		m.LastSeen, m.Inventory = now, &inv
		if m.UUID == "" {
			m.UUID = inv.DMI.UUID
		}
		if h, known := snap.Match(mac, nil); known {
			m.Host = h.Name
		} else if err := c.adoptByRule(ctx, st, snap, &m); err != nil {
			return err
		}
		out = m
		return c.store.PutMachine(ctx, m)
	})
	return out, err
}

// adoptByRule lets the snapshot's rules adopt m, a machine without a host
// entry, inside a change of st: the host entry a rule makes is stored and
// m names it and the rule. A rule that cannot name the machine is logged
// and adopts nothing.
func (c *Catalog) adoptByRule(ctx context.Context, st *State, snap *Snapshot, m *Machine) error {
	h, ok, err := snap.adopt(*m)
	if err != nil {
		c.log.Warn("discovery rule adopts nothing", "mac", m.MAC.String(), "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	if _, err := c.edited(st, func(n *State) { n.Hosts = putByName(slices.Clone(st.Hosts), h, hostName) }); err != nil {
		return fmt.Errorf("rule %s: %w", h.Rule, err)
	}
	if err := c.store.PutHost(ctx, h); err != nil {
		return err
	}
	m.Host, m.Rule = h.Name, h.Rule
	return nil
}

// AdoptWaiting gives the rules another look at machine mac, waiting in
// discovery with its inventory in and no host entry: a rule added or
// changed (through the API) since it reported adopts it now. It says
// whether a rule did, with the machine's record. The agent's polls call
// it, so a waiting machine is adopted within a poll of the new rule.
func (c *Catalog) AdoptWaiting(ctx context.Context, mac net.HardwareAddr) (Machine, bool, error) {
	snap := c.Snapshot()
	m, ok := snap.machine(mac)
	if !ok || m.Inventory == nil || m.Host != "" {
		return Machine{}, false, nil
	}
	if _, known := snap.Match(mac, nil); known {
		return Machine{}, false, nil
	}
	if _, ok, err := snap.adopt(m); err != nil || !ok {
		return Machine{}, false, nil // decided again, and logged, in a change
	}
	var out Machine
	adopted := false
	err := c.change(ctx, func(ctx context.Context, st *State) error {
		snap := c.Snapshot()
		m, ok := snap.machine(mac)
		if !ok || m.Inventory == nil {
			return nil
		}
		if _, known := snap.Match(mac, nil); known {
			return nil // adopted meanwhile
		}
		if err := c.adoptByRule(ctx, st, snap, &m); err != nil || m.Rule == "" {
			return err
		}
		m.LastSeen = c.now().UTC()
		out, adopted = m, true
		return c.store.PutMachine(ctx, m)
	})
	return out, adopted, err
}

// Instruction is what a discovery agent is told to do next.
type Instruction string

const (
	// Wait: stay, and ask again (the machine waits to be adopted).
	Wait Instruction = "wait"
	// Reboot: the machine has a host entry now; booting again gives it
	// its profile.
	Reboot Instruction = "reboot"
	// Poweroff: an operator asked for the machine to be switched off
	// while it waits (PowerOff); Wake-on-LAN or its power button brings
	// it back into discovery.
	Poweroff Instruction = "poweroff"
)

// ErrNotDiscovered: no discovered machine has that MAC.
var ErrNotDiscovered = errors.New("no discovered machine with that MAC")

// PowerOff orders machine mac's discovery agent to switch the machine off
// at its next poll. The order is kept in memory, given once, and dropped
// when the machine is adopted first; a pxed restart forgets it (the agent
// then goes on waiting).
func (c *Catalog) PowerOff(mac net.HardwareAddr) error {
	if _, ok := c.Snapshot().Machine(mac); !ok {
		return ErrNotDiscovered
	}
	c.orders.Lock()
	defer c.orders.Unlock()
	if c.orders.m == nil {
		c.orders.m = make(map[string]Instruction)
	}
	c.orders.m[strings.ToLower(mac.String())] = Poweroff
	return nil
}

// Instruction is what machine mac's agent is told now: reboot once a host
// entry names it, else an operator's pending order (given once), else
// wait.
func (c *Catalog) Instruction(mac net.HardwareAddr) Instruction {
	key := strings.ToLower(mac.String())
	c.orders.Lock()
	defer c.orders.Unlock()
	if in := c.Snapshot().InstructionFor(mac); in != Wait {
		delete(c.orders.m, key)
		return in
	}
	if in, ok := c.orders.m[key]; ok {
		delete(c.orders.m, key)
		return in
	}
	return Wait
}

// InstructionFor is what machine mac's agent should do now: reboot once a
// host entry matches it (a rule's or an operator's), else wait.
func (s *Snapshot) InstructionFor(mac net.HardwareAddr) Instruction {
	if _, known := s.Match(mac, nil); known {
		return Reboot
	}
	return Wait
}
