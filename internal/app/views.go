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
	src := web.PoolSource{Usage: s.alloc.Usage, All: s.store.All, Now: time.Now}
	for _, sub := range s.cfg.DHCP.Subnets {
		for _, r := range sub.Pools {
			src.Pools = append(src.Pools, web.Pool{Subnet: sub.Network.Prefix, Range: lease.Range(r)})
		}
	}
	for _, sub := range s.cfg.DHCP6.Subnets {
		for _, r := range sub.Pools {
			src.Pools = append(src.Pools, web.Pool{Subnet: sub.Prefix.Prefix, Range: lease.Range(r)})
		}
	}
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
	ws.Handle("GET /api/v1/pools", web.Read, web.Pools(src))
}
