package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rules"
)

// Facts are what the discovery rules may ask of m: its MAC, its
// architecture and UUID as DHCP told them, and its inventory once in.
func (m Machine) Facts() rules.Facts {
	f := rules.Facts{MAC: m.MAC.HardwareAddr, UUID: m.UUID, Inventory: m.Inventory}
	if m.Arch != "" {
		if a, err := pxe.ParseArch(m.Arch); err == nil {
			f.Arch, f.HasArch = a, true
		}
	}
	return f
}

// adopt applies the discovery rules in effect to machine m: the first
// that does not refuse it decides (rules.First), and when it matches, the
// host entry it makes is returned (its Rule naming the rule). A rule that
// waits for an inventory m has not sent adopts nothing yet. The error is
// a host-name template that gives nothing for m's facts.
func (s *Snapshot) adopt(m Machine) (config.Host, bool, error) {
	f := m.Facts()
	i, res := rules.First(s.compiled, f)
	if res != rules.Match {
		return config.Host{}, false, nil
	}
	name, err := s.compiled[i].Hostname.Render(f)
	if err != nil {
		return config.Host{}, false, fmt.Errorf("discovery rule %q: %w", s.compiledOf[i].Name, err)
	}
	return s.compiledOf[i].Host(name, m.MAC.HardwareAddr), true, nil
}

// PutRule adds discovery rule r through the store, or replaces the rule
// of its name (an API rule, or a YAML one it then overrides in place). It
// is held to the checks `pxed check` makes of a rule in the file: a name
// of its own, match fields that parse, a host-name template, a profile
// the catalog has, an address and netboot a host could have.
func (c *Catalog) PutRule(ctx context.Context, r config.Rule) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		if _, err := c.edited(st, func(n *State) { n.Rules = putByName(slices.Clone(st.Rules), r, ruleName) }); err != nil {
			return err
		}
		return c.store.PutRule(ctx, r)
	})
}

// DeleteRule removes the API rule called name; a YAML rule of that name
// then applies again. ErrNotFound when there is no API rule: a YAML rule
// can only be overridden, not deleted, since the file would bring it back.
// Hosts the rule adopted stay.
func (c *Catalog) DeleteRule(ctx context.Context, name string) error {
	return c.change(ctx, func(ctx context.Context, st *State) error {
		rs, ok := deleteByName(slices.Clone(st.Rules), name, ruleName)
		if !ok {
			for _, r := range c.base.Discovery.Rules {
				if strings.EqualFold(r.Name, name) {
					return fmt.Errorf("discovery rule %q is defined in %s and can only be overridden: %w", name, c.base.File, ErrNotFound)
				}
			}
			return fmt.Errorf("discovery rule %q: %w", name, ErrNotFound)
		}
		if _, err := c.edited(st, func(n *State) { n.Rules = rs }); err != nil {
			return err
		}
		return c.store.DeleteRule(ctx, name)
	})
}
