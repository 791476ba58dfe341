package app

import (
	"bytes"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/hook"
)

// openHooks starts the hooks' workers (hooks[]); their queues drain when
// Run ends, after the servers have stopped, within hook.DefaultDrain.
func (s *services) openHooks() *hook.Notifier {
	n := hook.New(s.cfg.Hooks, hook.Options{Logger: s.log, Facts: hookFacts(s.cat)})
	s.met.WatchHooks(n)
	s.closers = append(s.closers, n)
	if len(s.cfg.Hooks) > 0 {
		s.log.Info("hooks", "count", len(s.cfg.Hooks))
	}
	return n
}

// hookFacts fills in a hook's document from the catalog: the machine's
// host and the profile it boots (as its next DHCP request would resolve
// them), and the inventory its discovery boot reported.
func hookFacts(cat *catalog.Catalog) func(events.Event) hook.Facts {
	return func(e events.Event) hook.Facts {
		var f hook.Facts
		if len(e.MAC) == 0 {
			return f
		}
		snap := cat.Snapshot()
		d := snap.Resolve(e.MAC, e.Client, e.IP)
		if d.Host != nil {
			f.Host = d.Host.Name
		}
		if d.Profile != nil {
			f.Profile = d.Profile.Name
		}
		for _, m := range snap.Machines() {
			if bytes.Equal(m.MAC.HardwareAddr, e.MAC) {
				f.Inventory = m.Inventory
				break
			}
		}
		return f
	}
}
