package app

import (
	"time"

	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/web"
)

// viewRoutes adds the routes behind the dashboard's live views: the
// transfers in flight (each named by the machine holding its address) and,
// when this pxed serves DHCP, the pools' use with their squatters.
func (s *services) viewRoutes(ws *web.Server) {
	ws.Handle("GET /api/v1/transfers", web.Read, web.Transfers(s.inflight, s.who.MAC))
	if s.alloc == nil || s.store == nil {
		return
	}
	src := web.PoolSource{Usage: s.alloc.Usage, All: s.store.All, Now: time.Now, Pools: func() []web.Pool {
		// The pools of the config serving now, a reloaded one's.
		cfg := s.live.Load()
		var pools []web.Pool
		for _, sub := range cfg.DHCP.Subnets {
			for _, r := range sub.Pools {
				pools = append(pools, web.Pool{Subnet: sub.Network.Prefix, Range: lease.Range(r)})
			}
		}
		for _, sub := range cfg.DHCP6.Subnets {
			for _, r := range sub.Pools {
				pools = append(pools, web.Pool{Subnet: sub.Prefix.Prefix, Range: lease.Range(r)})
			}
		}
		return pools
	}}
	if st := s.dhcpStat; st != nil {
		src.Counters = func() (declines, conflicts uint64) {
			st.Messages(func(msgType string, _ dhcp.Result, n uint64) {
				if msgType == "DECLINE" {
					declines += n
				}
			})
			return declines, st.Conflicts.Load()
		}
	}
	if s.prober != nil {
		src.Conflicts = s.prober.Conflicts
	}
	ws.Handle("GET /api/v1/pools", web.Read, web.Pools(src))
}
