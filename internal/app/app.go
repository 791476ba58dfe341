// Package app wires pxed's services together and runs them until the
// context ends: the lease store, the DHCP server and the TFTP server.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/httpboot"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/metrics"
	"github.com/pxed/pxed/internal/postgres"
	"github.com/pxed/pxed/internal/profile"
	"github.com/pxed/pxed/internal/ra"
	"github.com/pxed/pxed/internal/tftp"
	"github.com/pxed/pxed/internal/web"
)

// Run serves what cfg asks for until ctx ends, then shuts down cleanly:
// servers stop taking requests, queued lease commits finish, the store closes.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	g, ctx := errgroup.WithContext(ctx)
	evlog := events.NewLog(events.DefaultLimits)
	evlog.OnBoot = func(mac string, b events.Boot) {
		log.Info("boot timeline", "mac", mac, "dhcp", b.DHCP, "bootfile", b.BootFile,
			"config", b.Config, "kernel", b.Kernel, "initrd", b.Initrd, "missing", len(b.Failed))
	}
	// A shared database, when configured, keeps the leases and the
	// catalog of every instance using it.
	var pg *postgres.Store
	if dsn := cfg.Store.Postgres.DSN; dsn != "" {
		var err error
		if pg, err = postgres.Open(ctx, dsn, log); err != nil {
			return fmt.Errorf("opening store: %w", err)
		}
		defer pg.Close()
		log.Info("store: postgres")
	}
	cat, err := openCatalog(ctx, cfg, pg, log)
	if err != nil {
		return err
	}
	g.Go(func() error { return cat.Run(ctx) })
	profiles := &profile.Service{Catalog: cat.Snapshot, HTTPPort: cfg.HTTPPort(), Callback: callbackURL(cfg, cat)}
	met := metrics.New()
	recorder := events.Tee(evlog, profiles, met, cat)
	// Each service opens its sockets here, in turn; they all serve once
	// every socket is open and privileges are dropped (cfg.User).
	var serve []func(context.Context) error
	var store lease.Store
	if config.On(cfg.DHCP.Enabled) {
		if pg != nil {
			store = pg
		} else {
			j, err := lease.OpenJournal(cfg.DataDir, time.Now)
			if err != nil {
				return fmt.Errorf("opening lease store in %s: %w", cfg.DataDir, err)
			}
			defer j.Close()
			store = j
		}
		alloc, err := lease.NewAllocator(ctx, store, time.Now, cfg.DHCP.OfferHold.D())
		if err != nil {
			return err
		}
		if pg != nil {
			// Instances sharing the pools walk them from different places,
			// and what the others record reaches this allocator.
			alloc.Spread = rand.Uint64() | 1
			g.Go(func() error { return pg.Follow(ctx, alloc.Observe) })
		}
		resp, err := dhcp.NewResponder(cfg, alloc, time.Now)
		if err != nil {
			return err
		}
		resp.Catalog = cat.Snapshot
		if cfg.HTTP.Enabled && cfg.HTTP.IPXEScript {
			resp.IPXEScript = profiles.ScriptURL
		}
		srv := &dhcp.Server{Responder: resp, Alloc: alloc, Logger: log, Events: recorder,
			RateLimit: dhcp.RateLimit{PerMAC: cfg.DHCP.RatePerMAC, Global: cfg.DHCP.RateGlobal}, Workers: cfg.DHCP.Workers}
		met.WatchDHCP(srv.Stats())
		met.WatchPools(poolsOf(cfg), alloc.Usage)
		if err := srv.Listen(cfg.Interfaces); err != nil {
			return err
		}
		serve = append(serve, func(ctx context.Context) error { return srv.Serve(ctx, cfg.Interfaces) })
	}
	if config.On(cfg.TFTP.Enabled) {
		dir, err := tftp.Dir(cfg.TFTP.Root)
		if err != nil {
			return fmt.Errorf("tftp root: %w", err)
		}
		defer dir.Close()
		srv := &tftp.Server{
			// Generated configs first (pxelinux.cfg/01-<mac> of machines
			// with a profile), then the files of the root.
			Handler:       tftp.Chain(profiles, dir),
			Logger:        log,
			MaxBlockSize:  cfg.TFTP.MaxBlockSize,
			MaxWindowSize: cfg.TFTP.MaxWindowSize,
			MaxTransfers:  cfg.TFTP.MaxTransfers,
			Timeout:       cfg.TFTP.Timeout.D(),
			Retries:       cfg.TFTP.Retries,
			SinglePort:    cfg.TFTP.SinglePort,
			OnTransfer:    func(t tftp.Transfer) { recorder.Record(transferEvent("tftp", t)) },
		}
		conn, err := tftp.Listen(cfg.TFTP.Address)
		if err != nil {
			return err
		}
		defer conn.Close()
		serve = append(serve, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
		log.Info("tftp serving", "addr", cfg.TFTP.Address, "root", cfg.TFTP.Root)
		if cfg.HTTP.Enabled {
			hs := &httpboot.Server{Files: tftp.Chain(profiles, dir), Logger: log, Events: recorder}
			if config.On(cfg.Web.Enabled) {
				hs.Callback = web.InstallCallback(cat, recorder)
			}
			ln, err := net.Listen("tcp", cfg.HTTP.Address)
			if err != nil {
				return fmt.Errorf("http: %w", err)
			}
			defer ln.Close()
			serve = append(serve, func(ctx context.Context) error { return hs.Serve(ctx, ln) })
			log.Info("http serving", "addr", cfg.HTTP.Address, "root", cfg.TFTP.Root)
		}
	}
	if config.On(cfg.Web.Enabled) {
		ws, err := newWeb(cfg, store, log)
		if err != nil {
			return err
		}
		machines := &web.Machines{Log: evlog, Info: func(mac net.HardwareAddr) web.MachineInfo {
			return machineInfo(profiles, mac)
		}}
		machines.Register(ws)
		web.RegisterDashboard(ws)
		ws.Handle("GET /metrics", web.Read, met.Handler())
		web.CatalogRoutes(ws, cat, recorder)
		ln, err := net.Listen("tcp", cfg.Web.Address)
		if err != nil {
			return fmt.Errorf("web: %w", err)
		}
		defer ln.Close()
		serve = append(serve, func(ctx context.Context) error { return ws.Serve(ctx, ln) })
		log.Info("web serving", "addr", cfg.Web.Address, "public_read", cfg.Web.PublicRead)
	}
	if len(cfg.IPv6.RouterAdvertisement) > 0 {
		r := &ra.Responder{Interfaces: cfg.IPv6.RouterAdvertisement, Logger: log}
		if err := r.Listen(); err != nil {
			return err
		}
		serve = append(serve, r.Serve)
	}
	// Every socket is open: the privileges that opened them can go.
	if cfg.User != "" {
		if err := dropPrivileges(log, cfg.User, cfg.DataDir); err != nil {
			return err
		}
		log.Info("privileges dropped", "user", cfg.User, "uid", os.Getuid(), "gid", os.Getgid())
	}
	for _, f := range serve {
		g.Go(func() error { return f(ctx) })
	}
	return g.Wait()
}

// machineInfo is the catalog's view of a machine for the machine table:
// its host entry, the profile it boots (as for a request from no
// particular subnet) and where its one-shot install stands.
func machineInfo(profiles *profile.Service, mac net.HardwareAddr) web.MachineInfo {
	var info web.MachineInfo
	p, h, _ := profiles.ProfileFor(mac, netip.Addr{})
	if p != nil {
		info.Profile = p.Name
	}
	if h == nil {
		return info
	}
	info.Host = h.Name
	switch {
	case h.Netboot == config.NetbootOnce && h.Installed.IsZero():
		info.Install = "install pending"
	case h.Netboot == config.NetbootOnce:
		info.Install = "installed " + h.Installed.UTC().Format(time.DateTime) + " UTC"
	case h.Netboot == config.NetbootNever:
		info.Install = "netboot never"
	}
	return info
}

// poolsOf lists the address pools of cfg's subnets, for metrics.
func poolsOf(cfg *config.Config) []metrics.Pool {
	var out []metrics.Pool
	for _, sub := range cfg.DHCP.Subnets {
		for _, r := range sub.Pools {
			out = append(out, metrics.Pool{Name: r.String(), Range: lease.Range{First: r.First, Last: r.Last}})
		}
	}
	return out
}

// transferEvent turns a finished TFTP transfer into a boot event: its
// outcome from the transfer's error, its failure said the way a person
// looking at a boot wants it.
func transferEvent(proto string, t tftp.Transfer) events.Event {
	e := events.Event{
		Time: time.Now(), IP: t.Remote.Addr().Unmap(), Proto: proto, File: t.Path,
		Bytes: t.Bytes, Dur: t.Duration, Retransmits: t.Retransmits, Kind: events.FileServed,
	}
	if t.Err == nil || (t.ClientAborted() && t.Size >= 0) {
		// Whole, or ended by the client on purpose: PXE ROMs ask with
		// tsize only to learn the size, then abort (ERROR 8).
		return e
	}
	e.Kind = events.FileFailed
	e.Outcome, e.Detail = transferFailure(t.Err, t.TimedOut(), t.Acked)
	return e
}

// transferFailure is the outcome of a TFTP transfer that failed with err,
// and its words: a timeout says after which block the client stopped
// acknowledging, any other failure is judged as HTTP's are.
func transferFailure(err error, timedOut bool, acked int64) (events.Outcome, string) {
	switch {
	case !timedOut:
		return events.FileFailure(err)
	case acked == 0:
		return events.OutcomeTimeout, "TFTP timeout: the client acknowledged no block"
	}
	return events.OutcomeTimeout, fmt.Sprintf("TFTP timeout after block %d", acked)
}

// apiToken reads the API token (creating the default token file on first
// start; one the operator named must exist, so that a typo does not
// silently mint a new token).
func apiToken(cfg *config.Config) ([]byte, error) {
	if cfg.Web.TokenFile == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
	}
	return web.LoadToken(cfg.Web.TokenPath(cfg.DataDir), cfg.Web.TokenFile == "")
}

// openCatalog opens the hosts and profiles: the file's, with the changes
// made through the API (stored in pg when set, else in the data directory)
// laid over them. Install callbacks are signed with the API token, when the
// API is on.
func openCatalog(ctx context.Context, cfg *config.Config, pg *postgres.Store, log *slog.Logger) (*catalog.Catalog, error) {
	var key []byte
	if config.On(cfg.Web.Enabled) {
		tok, err := apiToken(cfg)
		if err != nil {
			return nil, err
		}
		key = tok
	}
	var st catalog.Store
	if pg != nil {
		st = pg
	} else {
		f, err := catalog.OpenFile(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("opening catalog in %s: %w", cfg.DataDir, err)
		}
		st = f
	}
	return catalog.Open(ctx, cfg, st, catalog.Options{Now: time.Now, Logger: log, CallbackKey: key})
}

// callbackURL gives the install callback URL of a host at the address the
// machine reached pxed on: on the HTTP boot server, which machines reach by
// design, else on the web address (which then must listen where machines
// reach it; pxed check says so).
func callbackURL(cfg *config.Config, cat *catalog.Catalog) func(string, netip.Addr) string {
	addr := cfg.Web.Address
	if cfg.HTTP.Enabled {
		addr = cfg.HTTP.Address
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || !config.On(cfg.Web.Enabled) {
		return nil
	}
	return func(name string, server netip.Addr) string {
		tok, err := cat.CallbackToken(name)
		if err != nil || !server.IsValid() {
			return ""
		}
		return "http://" + net.JoinHostPort(server.String(), port) + "/api/v1/hosts/" + url.PathEscape(name) + "/installed?token=" + tok
	}
}

// newWeb builds the management server: its token, then its routes.
func newWeb(cfg *config.Config, store lease.Store, log *slog.Logger) (*web.Server, error) {
	tok, err := apiToken(cfg)
	if err != nil {
		return nil, err
	}
	ws := &web.Server{Token: tok, PublicRead: cfg.Web.PublicRead, Logger: log}
	if store != nil {
		ws.Handle("GET /api/v1/leases", web.Read, web.Leases(store.All, time.Now))
	}
	return ws, nil
}
