package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/dhcp"
	"github.com/pxed/pxed/internal/dhcp6"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/hook"
	"github.com/pxed/pxed/internal/httpboot"
	"github.com/pxed/pxed/internal/inflight"
	"github.com/pxed/pxed/internal/ipmap"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/metrics"
	"github.com/pxed/pxed/internal/postgres"
	"github.com/pxed/pxed/internal/probe"
	"github.com/pxed/pxed/internal/profile"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/ra"
	"github.com/pxed/pxed/internal/ramdisk"
	"github.com/pxed/pxed/internal/ratelimit"
	"github.com/pxed/pxed/internal/rootimage"
	"github.com/pxed/pxed/internal/tftp"
	"github.com/pxed/pxed/internal/tlscert"
	"github.com/pxed/pxed/internal/web"
)

// Run serves what cfg asks for until ctx ends, then shuts down cleanly:
// servers stop taking requests, queued lease commits finish, the store closes.
//
// Serving is Linux-only: the DHCP server answers through a packet socket
// and dropping privileges sets no_new_privs, both Linux calls. Elsewhere
// pxed builds (its decisions and tests are portable) and Run fails with
// errors.ErrUnsupported at the first of them.
//
// opts.Load and opts.Hangup let it reload the config file while it serves
// (Reload).
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) error {
	g, ctx := errgroup.WithContext(ctx)
	s := &services{cfg: cfg, log: log, g: g, opts: opts, grubSegments: httpboot.GRUBSegmentsSizable}
	s.live.Store(cfg)
	s.last.Store(&web.Reload{At: time.Now(), Applied: true})
	defer s.close()
	// Each service opens its sockets here, in turn; they all serve once
	// every socket is open and privileges are dropped (cfg.User).
	for _, open := range []func(context.Context) error{
		s.openShared, s.openDHCP, s.openProbe, s.openDHCP6, s.followLeases, s.openTFTP, s.openHTTP, s.openWeb, s.openRA,
		s.openSyslog,
	} {
		if err := open(ctx); err != nil {
			return err
		}
	}
	if err := s.dropRoot(); err != nil {
		return err
	}
	for _, serve := range s.serve {
		g.Go(func() error { return serve(ctx) })
	}
	g.Go(func() error { return s.reloads(ctx) })
	return g.Wait()
}

// services is one run of pxed: what the servers share, each server's loop
// once its sockets are open, and what to close when Run ends.
type services struct {
	// cfg is the config pxed started with: what its sockets, store and
	// servers were opened with. live is the one serving now, a reloaded
	// file's (Reload).
	cfg  *config.Config
	live atomic.Pointer[config.Config]
	opts Options
	log  *slog.Logger
	g    *errgroup.Group

	reloadMu sync.Mutex                 // one Reload at a time
	last     atomic.Pointer[web.Reload] // how the last reading of the file went

	pg            *postgres.Store // the shared database; nil without one
	who           *ipmap.Map      // which machine holds each address
	evlog         *events.Log
	cat           *catalog.Catalog
	profiles      *profile.Service
	met           *metrics.Metrics
	recorder      events.Recorder                 // where every boot event goes (bootEvents)
	shared        *postgres.Timeline              // boot events shared with the other half; nil if not
	store         lease.Store                     // the lease store; nil with DHCP and DHCPv6 off
	alloc         *lease.Allocator                // over store, shared by DHCP and DHCPv6
	files         bootfs.Opener                   // generated configs, then the boot root; nil with TFTP off
	inflight      *inflight.Registry              // file transfers running now, for the dashboard
	dhcpStat      *dhcp.Stats                     // the DHCPv4 server's counts; nil with DHCP off
	dhcp          *dhcpServing                    // the DHCPv4 server, for reloads; nil with DHCP off
	prober        *probe.Prober                   // the conflict prober; nil with DHCP off
	dhcp6         *dhcp6.Responder                // the DHCPv6 decisions, for reloads; nil with DHCPv6 off
	root          *bootfs.Root                    // the TFTP root; nil with TFTP off
	grubHTTP      atomic.Pointer[map[string]bool] // prefixes of GRUB images with http built in (grubHTTPDirs)
	grubSegments  func() bool                     // whether the HTTP server can send GRUB full-size segments now (httpboot.GRUBSegmentsSizable)
	grubTFTPNoted atomic.Bool                     // logged once that GRUB keeps TFTP for want of CAP_NET_ADMIN
	named         *namedStore                     // the lease store's DNS updates, for reloads; nil with DHCP off
	serve         []func(context.Context) error   // started once every socket is open
	closers       []io.Closer                     // closed last opened first when Run ends
}

// close closes what the steps opened, the last opened first.
func (s *services) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i].Close()
	}
}

// openShared opens what the servers share: the shared database (when
// configured, it keeps the leases and the catalog of every instance using
// it), the catalog, the event log, the profile service and the metrics.
func (s *services) openShared(ctx context.Context) error {
	s.evlog = events.NewLog(events.DefaultLimits)
	s.evlog.OnBoot = func(mac string, b events.Boot) {
		s.log.Info("boot timeline", "mac", mac, "dhcp", b.DHCP, "bootfile", b.BootFile,
			"config", b.Config, "kernel", b.Kernel, "initrd", b.Initrd, "missing", len(b.Failed))
	}
	if dsn := s.cfg.Store.Postgres.DSN; dsn != "" {
		pg, err := postgres.Open(ctx, dsn, s.log)
		if err != nil {
			return fmt.Errorf("opening store: %w", err)
		}
		s.pg = pg
		s.closers = append(s.closers, pg)
		s.log.Info("store: postgres")
	}
	cat, err := openCatalog(ctx, s.cfg, s.pg, s.log)
	if err != nil {
		return err
	}
	s.cat = cat
	// Which machine holds an address: learnt from this instance's DHCP
	// events (bootEvents) and, with a shared database, from the leases of
	// every instance (followLeases, and a lookup when a file request comes
	// from an address not learnt yet).
	s.who = &ipmap.Map{}
	if s.pg != nil {
		s.who.Lookup = s.pg.Get
	}
	s.profiles = &profile.Service{Catalog: cat.Snapshot, HTTPPort: s.cfg.HTTPPort(), LogPort: s.cfg.SyslogPort(), Callback: callbackURL(s.cfg, cat), Agent: agentArgs(s.cfg, cat), Holders: s.who, Logger: s.log, GRUBHTTP: s.grubHasHTTP}
	s.met = metrics.New()
	s.met.ConfigLoaded(time.Now())
	s.inflight = &inflight.Registry{}
	s.shared = s.timeline(ctx)
	s.recorder = bootEvents(s.who, s.evlog, s.profiles, s.met, s.cat, s.openHooks(), s.shared)
	// Run, from here on, tells the recorder of each machine discovered.
	s.g.Go(func() error { return cat.Run(ctx, s.recorder) })
	return nil
}

// timeline, when this pxed serves one half of the boot (DHCP without the
// files, or the files without DHCP) and shares a database, shares its boot
// events with the other instances there and records theirs, so that each
// half's timeline of a machine shows the whole boot. Theirs go to the
// address map, the Log and the profile service (which learns from the DHCP
// server's events what each machine is: its architecture, UUID, iPXE), not
// to the metrics or the catalog, which the instance that saw them feeds.
// Instances that serve both halves do not share: each has its whole boots
// already, and sharing would cost a notification per DHCP message.
func (s *services) timeline(ctx context.Context) *postgres.Timeline {
	serves := s.cfg.Serves()
	if s.pg == nil || !serves.Half() {
		return nil
	}
	tl := s.pg.Timeline()
	theirs := s.who.Named(events.Tee(s.evlog, s.profiles))
	s.g.Go(func() error { return tl.Follow(ctx, theirs) })
	s.log.Info("sharing boot timelines through postgres", "serves", serves.String())
	return tl
}

// bootEvents is where every boot event goes: first the address map, which
// learns from each DHCPACK and names the machine of a file event by its
// address, then the Log (timelines, the dashboard, the boot log line), the
// profile service (what each machine's DHCP request said of it), the
// metrics, the catalog (discovered machines) and the hooks (other systems
// told of chosen events). Each is a parameter of its own type, so that none
// can be left out unnoticed: the profile service in particular knows whose
// grub.cfg GRUB asks for only from the address map fed here. shared, when
// set, takes them to the other instances (timeline); the hooks see only
// this instance's events, so that no event reaches them twice.
func bootEvents(who *ipmap.Map, log *events.Log, profiles *profile.Service, met *metrics.Metrics, cat *catalog.Catalog, hooks *hook.Notifier, shared *postgres.Timeline) events.Recorder {
	if shared == nil {
		return who.Named(events.Tee(log, profiles, met, cat, hooks))
	}
	return who.Named(events.Tee(log, profiles, met, cat, hooks, shared))
}

// openDHCP opens the lease store and the DHCP sockets, when DHCP is on
// and has subnets (an IPv6-only network has none).
func (s *services) openDHCP(ctx context.Context) error {
	if !config.On(s.cfg.DHCP.Enabled) || len(s.cfg.DHCP.Subnets) == 0 {
		return nil
	}
	alloc, err := s.allocator(ctx)
	if err != nil {
		return err
	}
	resp, err := dhcp.NewResponder(s.cfg, alloc, time.Now)
	if err != nil {
		return err
	}
	resp.Catalog = s.cat.Snapshot
	if s.cfg.HTTP.Enabled && s.cfg.HTTP.IPXEScript {
		resp.IPXEScript = s.profiles.ScriptURL
	}
	srv := &dhcp.Server{Responder: resp, Alloc: alloc, Logger: s.log, Events: s.recorder,
		RateLimit: dhcpRateLimit(s.cfg), Workers: s.cfg.DHCP.Workers}
	s.met.WatchDHCP(srv.Stats())
	s.dhcpStat = srv.Stats()
	s.dhcp = &dhcpServing{resp: resp, srv: srv}
	s.met.WatchPools(func() []metrics.Pool { return poolsOf(s.live.Load()) }, alloc.Usage)
	if err := srv.Listen(s.cfg.Interfaces); err != nil {
		return err
	}
	s.serve = append(s.serve, func(ctx context.Context) error { return srv.Serve(ctx, s.cfg.Interfaces) })
	return nil
}

// openDHCP6 opens the DHCPv6 sockets, when dhcp6 has subnets. Its leases
// go to the same store and allocator as DHCPv4's; its DUID is kept in the
// data directory (dhcp6.LoadDUID).
func (s *services) openDHCP6(ctx context.Context) error {
	if !s.cfg.DHCP6.On() {
		return nil
	}
	alloc, err := s.allocator(ctx)
	if err != nil {
		return err
	}
	duid, err := dhcp6.LoadDUID(s.cfg.DataDir, firstMAC(s.cfg.Interfaces), time.Now())
	if err != nil {
		return fmt.Errorf("dhcp6 server DUID: %w", err)
	}
	resp, err := dhcp6.NewResponder(s.cfg, alloc, duid, time.Now)
	if err != nil {
		return err
	}
	resp.Catalog = s.cat.Snapshot
	if s.cfg.HTTP.Enabled && s.cfg.HTTP.IPXEScript {
		resp.IPXEScript = s.profiles.ScriptURL
	}
	srv := &dhcp6.Server{Responder: resp, Alloc: alloc, Logger: s.log, Events: s.recorder,
		RateLimit: ratelimit.Limits{PerClient: s.cfg.DHCP6.RatePerClient}, GlobalRate: s.cfg.DHCP6.RateGlobal}
	s.met.WatchDHCP6(srv.Stats())
	s.dhcp6 = resp
	s.met.WatchPools6(func() []metrics.Pool6 { return pools6Of(s.live.Load()) }, alloc.Usage)
	if err := srv.Listen(s.cfg.Interfaces); err != nil {
		return err
	}
	s.log.Info("dhcp6 server DUID", "duid", duid.String())
	s.serve = append(s.serve, func(ctx context.Context) error { return srv.Serve(ctx, s.cfg.Interfaces) })
	return nil
}

// firstMAC is the hardware address of the first of ifaces that has one,
// for a new DHCPv6 DUID.
func firstMAC(ifaces []string) net.HardwareAddr {
	for _, name := range ifaces {
		if ifc, err := net.InterfaceByName(name); err == nil && len(ifc.HardwareAddr) > 0 {
			return ifc.HardwareAddr
		}
	}
	return nil
}

// allocator opens the lease store and its allocator the first time a DHCP
// server asks, and gives both servers the same one: one store, one view of
// which addresses are taken.
func (s *services) allocator(ctx context.Context) (*lease.Allocator, error) {
	if s.alloc != nil {
		return s.alloc, nil
	}
	store, err := s.openLeases()
	if err != nil {
		return nil, err
	}
	if store, err = s.openDNSUpdates(ctx, store); err != nil {
		return nil, err
	}
	s.store = store
	alloc, err := lease.NewAllocator(ctx, store, time.Now, s.cfg.DHCP.OfferHold.D())
	if err != nil {
		return nil, err
	}
	if s.pg != nil {
		// Instances sharing the pools walk them from different places
		// (what the others record reaches this allocator: followLeases).
		alloc.Spread = rand.Uint64() | 1
	}
	s.alloc = alloc
	return alloc, nil
}

// followLeases, with a shared database, passes what the other instances
// record to the allocator (when this one serves DHCP: so that it does not
// offer an address another just gave away) and to the address map (so that
// a file server names the machines another instance gave addresses to).
func (s *services) followLeases(ctx context.Context) error {
	if s.pg == nil {
		return nil
	}
	alloc, who := s.alloc, s.who
	s.g.Go(func() error {
		return s.pg.Follow(ctx, func(l lease.Lease) {
			if alloc != nil {
				alloc.Observe(l)
			}
			who.Observe(l)
		})
	})
	return nil
}

// openLeases opens the lease store: the shared database when there is
// one, else the journal in the data directory.
func (s *services) openLeases() (lease.Store, error) {
	if s.pg != nil {
		return s.pg, nil
	}
	j, err := lease.OpenJournal(s.cfg.DataDir, time.Now, s.log)
	if err != nil {
		return nil, fmt.Errorf("opening lease store in %s: %w", s.cfg.DataDir, err)
	}
	s.closers = append(s.closers, j)
	return j, nil
}

// openTFTP opens the boot root and the TFTP socket, when TFTP is on.
func (s *services) openTFTP(context.Context) error {
	if !config.On(s.cfg.TFTP.Enabled) {
		return nil
	}
	root, err := bootfs.OpenRoot(s.cfg.TFTP.Root)
	if err != nil {
		return fmt.Errorf("tftp root: %w", err)
	}
	s.closers = append(s.closers, root)
	s.root = root
	s.inspectGRUBs(s.cfg)
	// Profiles' root images and machines' overlays, generated configs
	// (pxelinux.cfg/01-<mac> of machines with a profile), then the files
	// of the root; HTTP serves the same.
	s.files = bootfs.Chain(s.rootImages(), s.profiles, root)
	disc, err := s.discoveryFiles()
	if err != nil {
		return err
	}
	if disc != nil {
		// The discovery kernel and initramfs, before the root's files.
		s.files = bootfs.Chain(disc, s.files)
	}
	if f := s.cfg.IPXEEFIFile(); f != "" {
		// The boot file of x64 UEFI machines said to have Secure Boot off.
		s.files = bootfs.Chain(ipxeEFI(f), s.files)
		s.log.Info("serving iPXE to x64 UEFI machines with secure_boot: false", "file", f, "path", config.IPXEEFIPath)
	}
	if s.pg != nil {
		// Before any file, learn who asks from the shared leases, so that
		// the transfer's events name a machine another instance gave its
		// address to, even one that asks before that lease's announcement
		// arrives.
		s.files = bootfs.Chain(s.who.WhoAsks(), s.files)
	}
	t := s.cfg.TFTP
	srv := &tftp.Server{
		Files:         s.files,
		Logger:        s.log,
		MaxBlockSize:  t.MaxBlockSize,
		MaxWindowSize: t.MaxWindowSize,
		MaxTransfers:  t.MaxTransfers,
		Timeout:       t.Timeout.D(),
		Retries:       t.Retries,
		SinglePort:    t.SinglePort,
		OnTransfer:    func(tr tftp.Transfer) { s.recorder.Record(transferEvent("tftp", tr)) },
		Tracker:       s.inflight,
	}
	conns, err := tftp.Listen(t.Address)
	if err != nil {
		return err
	}
	for _, conn := range conns {
		s.closers = append(s.closers, conn)
		s.serve = append(s.serve, func(ctx context.Context) error { return srv.Serve(ctx, conn) })
		s.log.Info("tftp serving", "addr", conn.LocalAddr().String(), "root", t.Root)
	}
	return nil
}

// rootImages is the opener of profiles' root images (packed into
// data_dir/rootimages) and of machines' overlays, rendered from the
// profile service's facts. The profile service tells it when a machine is
// given a config naming an image; once pxed serves, the images of the
// profiles there are then are packed before any machine asks, and those of
// no profile are removed.
func (s *services) rootImages() *rootimage.Service {
	cache := &rootimage.Cache{Dir: filepath.Join(s.cfg.DataDir, "rootimages"), Logger: s.log}
	s.closers = append(s.closers, cache)
	images := &rootimage.Service{
		Cache:  cache,
		Logger: s.log,
		Image: func(name string) (rootimage.Source, bool) {
			p, ok := s.cat.Snapshot().Profile(name)
			if !ok {
				return rootimage.Source{}, false
			}
			return s.cfg.ImageSource(&p.Profile)
		},
		Machine: func(r *bootfs.Request, mac net.HardwareAddr) (rootimage.Machine, bool) {
			p, f, ok := s.profiles.Machine(r, mac)
			if !ok {
				return rootimage.Machine{}, false
			}
			src, ok := s.cfg.ImageSource(&p)
			return rootimage.Machine{Profile: p.Name, Image: src, Overlay: p.Overlay, Facts: f}, ok
		},
	}
	s.profiles.Prepare = images.Prepare
	s.serve = append(s.serve, func(context.Context) error {
		var keep []rootimage.Source
		for _, p := range s.cat.Snapshot().Profiles() {
			if src, ok := s.cfg.ImageSource(&p.Profile); ok {
				keep = append(keep, src)
				images.Prepare(p.Name)
			}
		}
		cache.Prune(keep)
		return nil
	})
	return images
}

// openHTTP opens the HTTP boot server's listener, when it is on. It serves
// the TFTP root, so it runs only beside TFTP.
func (s *services) openHTTP(context.Context) error {
	if s.files == nil || !s.cfg.HTTP.Enabled {
		return nil
	}
	// RAM-disk images for UEFI HTTP Boot clients (boot.http_image), made
	// of the same files and generated configs; every other path as TFTP.
	images := &ramdisk.Service{
		Next:   s.files,
		Boot:   func(mac net.HardwareAddr, local netip.Addr) pxe.Boot { return s.profiles.Resolve(mac, local).Boot },
		Dir:    filepath.Join(s.cfg.DataDir, "images"),
		Logger: s.log,
	}
	hs := &httpboot.Server{Files: images, Logger: s.log, Events: s.recorder, Tracker: s.inflight}
	if config.On(s.cfg.Web.Enabled) {
		hs.Callback = web.InstallCallback(s.cat, s.recorder)
		hs.Agents = web.Agents(s.cat, s.recorder)
	}
	if err := s.listenTCP("http", s.cfg.HTTP.Address, hs.Serve, "root", s.cfg.TFTP.Root); err != nil {
		return err
	}
	return s.openHTTPS(hs)
}

// openHTTPS opens the HTTP boot server's HTTPS side, when http.tls.address
// is set: the same files and routes, behind the operator's certificate or
// one pxed makes (see tlscert).
func (s *services) openHTTPS(plain *httpboot.Server) error {
	t := s.cfg.HTTP.TLS
	if t.Address == "" {
		return nil
	}
	id, err := tlsIdentity(s.cfg)
	if err != nil {
		return fmt.Errorf("https: %w", err)
	}
	hs := *plain
	hs.TLS = tlscert.Config(id)
	attrs := []any{"cert", t.Cert}
	if id.Made {
		attrs = []any{"ca", filepath.Join(id.Dir, tlscert.CAFile), "ca_for_firmware", filepath.Join(id.Dir, tlscert.ESLFile), "new_cert", id.Renewed}
	}
	return s.listenTCP("https", t.Address, hs.Serve, attrs...)
}

// tlsIdentity loads the operator's certificate, or ensures pxed's own for
// every address of this machine and its host name: the addresses a boot
// URL may carry (the one DHCP answers from, or a next_server).
func tlsIdentity(cfg *config.Config) (tlscert.Identity, error) {
	t := cfg.HTTP.TLS
	if t.Cert != "" {
		return tlscert.Load(t.Cert, t.Key)
	}
	var hosts []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && !p.Addr().IsLinkLocalUnicast() {
				hosts = append(hosts, p.Addr().String())
			}
		}
	}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	return tlscert.Ensure(t.Dir(cfg.DataDir), hosts, time.Now())
}

// listenTCP opens a TCP listener on addr for an HTTP server of pxed's and
// queues its serve; name and attrs go into the errors and the log line.
func (s *services) listenTCP(name, addr string, serve func(context.Context, net.Listener) error, attrs ...any) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.closers = append(s.closers, ln)
	s.serve = append(s.serve, func(ctx context.Context) error { return serve(ctx, ln) })
	s.log.Info(name+" serving", append([]any{"addr", addr}, attrs...)...)
	return nil
}

// openWeb opens the management server (API, dashboard, /metrics), when it
// is on.
func (s *services) openWeb(context.Context) error {
	if !config.On(s.cfg.Web.Enabled) {
		return nil
	}
	ws, err := newWeb(s.cfg, s.store, s.log)
	if err != nil {
		return err
	}
	machines := &web.Machines{Log: s.evlog, Info: func(mac net.HardwareAddr) web.MachineInfo {
		return machineInfo(s.profiles, mac)
	}}
	machines.Register(ws)
	web.RegisterDashboard(ws)
	serves := s.cfg.Serves()
	web.RegisterScope(ws, web.ScopeOf(serves.DHCP, serves.TFTP, serves.HTTP, s.shared != nil))
	ws.Handle("GET /metrics", web.Read, s.met.Handler())
	web.RegisterReload(ws, s)
	web.CatalogRoutes(ws, s.cat, s.recorder)
	(&web.Actions{Catalog: s.cat, Events: s.recorder, Waker: &waker{cfg: s.cfg, evlog: s.evlog, log: s.log}}).Register(ws)
	s.viewRoutes(ws)
	return s.listenTCP("web", s.cfg.Web.Address, ws.Serve, "public_read", s.cfg.Web.PublicRead)
}

// openRA opens the ICMPv6 socket of router advertisements, when some
// interface has them.
func (s *services) openRA(context.Context) error {
	links := raLinks(s.cfg.IPv6)
	if len(links) == 0 {
		return nil
	}
	r := &ra.Responder{Links: links, Logger: s.log}
	if err := r.Listen(); err != nil {
		return err
	}
	s.serve = append(s.serve, r.Serve)
	return nil
}

// raLinks turns the ipv6 section into the interfaces pxed advertises on:
// the minimal advertisement, answering solicitations only, on
// router_advertisement's; the full one, also unsolicited, on advertise's.
func raLinks(c config.IPv6) []ra.Link {
	var links []ra.Link
	for _, name := range c.RouterAdvertisement {
		links = append(links, ra.Link{Interface: name})
	}
	for _, a := range c.Advertise {
		interval := a.Interval.D()
		if interval == 0 {
			interval = ra.DefaultInterval
		}
		l := ra.Link{Interface: a.Interface, Interval: interval,
			Advert: ra.Advert{Managed: a.Managed, Other: a.Other}}
		if a.DefaultRoute {
			// RFC 4861 §6.2.1: AdvDefaultLifetime defaults to 3 × MaxRtrAdvInterval.
			l.Advert.RouterLifetime = 3 * interval
		}
		for _, p := range a.Prefixes {
			l.Advert.Prefixes = append(l.Advert.Prefixes, ra.Prefix{Prefix: p.Prefix, Autonomous: a.Autonomous,
				ValidLifetime: a.ValidLifetime.D(), PreferredLifetime: a.PreferredLifetime.D()})
		}
		links = append(links, l)
	}
	return links
}

// dropRoot gives up root for cfg.User, if set: every socket is open, and
// the privileges that opened them can go.
func (s *services) dropRoot() error {
	if s.cfg.User == "" {
		return nil
	}
	if err := dropPrivileges(s.log, s.cfg.User, s.cfg.DataDir); err != nil {
		return err
	}
	s.log.Info("privileges dropped", "user", s.cfg.User, "uid", os.Getuid(), "gid", os.Getgid())
	return nil
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

// dhcpServing is the DHCPv4 server and its decisions, which a reload
// gives a new config.
type dhcpServing struct {
	resp *dhcp.Responder
	srv  *dhcp.Server
}

// dhcpRateLimit is the DHCPv4 rate limits cfg asks for.
func dhcpRateLimit(cfg *config.Config) dhcp.RateLimit {
	return dhcp.RateLimit{PerMAC: cfg.DHCP.RatePerMAC, Global: cfg.DHCP.RateGlobal}
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

// pools6Of lists the DHCPv6 pools for the metrics, with their prefixes.
func pools6Of(cfg *config.Config) []metrics.Pool6 {
	var out []metrics.Pool6
	for _, sub := range cfg.DHCP6.Subnets {
		for _, r := range sub.Pools {
			lr := lease.Range(r)
			out = append(out, metrics.Pool6{Prefix: sub.Prefix.Prefix,
				Pool: metrics.Pool{Name: lr.First.String() + "-" + lr.Last.String(), Range: lr}})
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

// machineAPIPort is the port on which machines reach the routes they call
// (install callbacks, discovery agents): the HTTP boot server's, which
// machines reach by design, else the web address's. Not ok without the web
// API, whose token keys both.
func machineAPIPort(cfg *config.Config) (string, bool) {
	addr := cfg.Web.Address
	if cfg.HTTP.Enabled {
		addr = cfg.HTTP.Address
	}
	_, port, err := net.SplitHostPort(addr)
	return port, err == nil && config.On(cfg.Web.Enabled)
}

// callbackURL gives the install callback URL of a host at the address the
// machine reached pxed on: on the HTTP boot server, which machines reach by
// design, else on the web address (which then must listen where machines
// reach it; pxed check says so).
func callbackURL(cfg *config.Config, cat *catalog.Catalog) func(string, netip.Addr) string {
	port, ok := machineAPIPort(cfg)
	if !ok {
		return nil
	}
	return func(name string, server netip.Addr) string {
		tok, err := cat.CallbackToken(name)
		if err != nil || !server.IsValid() {
			return ""
		}
		return "http://" + net.JoinHostPort(server.Unmap().WithZone("").String(), port) + "/api/v1/hosts/" + url.PathEscape(name) + "/installed?token=" + tok
	}
}

// agentArgs gives the discovery agent's command-line arguments for a
// machine that reached pxed at server: where to report (the HTTP boot
// server, or the web address, as callbackURL), its agent token and its
// MAC, which names the NIC it booted from. Nil when the discovery boot is
// off or there is no web API (its token is the agents' key).
func agentArgs(cfg *config.Config, cat *catalog.Catalog) func(net.HardwareAddr, netip.Addr) string {
	if cfg.Discovery.Boot == "" || cfg.Discovery.Boot == config.DiscoveryOff {
		return nil
	}
	port, ok := machineAPIPort(cfg)
	if !ok {
		return nil
	}
	return func(mac net.HardwareAddr, server netip.Addr) string {
		tok, err := cat.AgentToken(mac)
		if err != nil || !server.IsValid() {
			return ""
		}
		return "pxed.server=http://" + net.JoinHostPort(server.Unmap().WithZone("").String(), port) + " pxed.token=" + tok + " pxed.mac=" + mac.String()
	}
}

// newWeb builds the management server with its token and, when there is a
// lease store, the leases route; openWeb adds the others.
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

// inspectGRUBs finds which of cfg's GRUB images have http built in.
func (s *services) inspectGRUBs(cfg *config.Config) {
	if s.root == nil {
		return
	}
	m := grubHTTPDirs(cfg, s.root.Dir(), s.log)
	s.grubHTTP.Store(&m)
}

// grubHasHTTP reports whether the GRUB image with prefix dir should read
// the kernel and initrds over HTTP: it has http built in, as inspectGRUBs
// found, and pxed's HTTP server can send it full-size TCP segments. GRUB
// 2.06 sends no MSS option, and at the 536 bytes a segment that TCP then
// assumes, its HTTP is slower than its TFTP (docs/firmware.md); raising
// the size needs CAP_NET_ADMIN, which pxed may have dropped since start.
func (s *services) grubHasHTTP(dir string) bool {
	m := s.grubHTTP.Load()
	if m == nil || !(*m)[dir] {
		return false
	}
	if s.grubSegments != nil && s.grubSegments() {
		return true
	}
	if s.grubTFTPNoted.CompareAndSwap(false, true) {
		s.log.Info("GRUB has http built in, but without CAP_NET_ADMIN pxed cannot send it full-size TCP segments: its configs name TFTP paths, faster then", "dir", dir)
	}
	return false
}
