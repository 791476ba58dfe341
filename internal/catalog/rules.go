package catalog

import (
	"log/slog"

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

// RuleAdopter is the Adopter of the discovery rules d (config.Discovery.
// Adopt): the first rule that matches the machine makes its host entry. A
// rule whose host-name template gives nothing for this machine (its serial
// number empty) adopts nothing: that is logged, and the machine waits for
// an operator.
func RuleAdopter(d *config.Discovery, log *slog.Logger) Adopter {
	return func(m Machine) (config.Host, string, bool) {
		a, err := d.Adopt(m.Facts())
		if err != nil {
			log.Warn("discovery rule adopts nothing", "mac", m.MAC.String(), "err", err)
			return config.Host{}, "", false
		}
		if a.Result != rules.Match {
			return config.Host{}, "", false
		}
		return a.Host, a.Rule.Name, true
	}
}
