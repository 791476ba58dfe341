package profile

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/pxed/pxed/internal/bootfs"
	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/cmdline"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/logsink"
	"github.com/pxed/pxed/internal/pxe"
	"github.com/pxed/pxed/internal/rootimage"
)

// Service answers loaders' config requests with rendered profiles.
//
// What a machine is (its architecture, UUID, whether iPXE asked) the
// Service knows only from the DHCP server's events recorded to it
// (Record); which machine holds an address it asks Holders (internal/ipmap,
// fed by the local DHCP server and, when instances share one PostgreSQL,
// by the shared leases): GRUB asks for grub.cfg by its path alone, so only
// the address names the machine. Paths that name a MAC are answered
// without either (without the architecture, UUID and loader DHCP would have
// told); grub.cfg needs Holders. A file server whose DHCP runs on another
// host (dhcp.enabled: false) has Holders, from the shared leases, but no
// DHCP events: it renders for the profile's default architecture.
type Service struct {
	// Catalog returns the current hosts and profiles.
	Catalog func() *catalog.Snapshot
	// HTTPPort is the port of pxed's HTTP boot server, 0 when it is off.
	HTTPPort int
	// LogPort is the UDP port of pxed's syslog receiver, 0 when it is
	// off: the {{.LogHost}} and {{.LogPort}} facts.
	LogPort int
	// Callback, if set, returns the install callback URL of the host
	// called name, for a machine that reached pxed at server ("" if none).
	Callback func(name string, server netip.Addr) string
	// Logger, if set, hears of configs that cannot boot their machine: a
	// SAN profile asked for by PXELINUX or GRUB.
	Logger *slog.Logger
	// Holders tells which machine holds an address (an *ipmap.Map); nil:
	// grub.cfg by its path alone is never answered.
	Holders Holders
	// Prepare, if set, is told the name of each profile with a root image
	// whose config a machine is given: its loader asks for the image a
	// few seconds later (rootimage.Service.Prepare).
	Prepare func(profile string)
	// Agent, if set, gives the discovery agent's command-line arguments
	// for machine mac reaching pxed on server ({{.Agent}}), on a
	// discovery boot.
	Agent func(mac net.HardwareAddr, server netip.Addr) string
	// GRUBHTTP, if set, reports whether the GRUB image whose prefix is dir
	// ("/debian-installer/amd64/grub", the directory it asks for grub.cfg
	// in) has GRUB's http module built in (efiimage.Image.GRUBHTTP). Its
	// configs then name the kernel and initrds on pxed's HTTP server;
	// otherwise, and for a GRUB nobody inspected, by TFTP path.
	GRUBHTTP func(dir string) bool

	clients clients
}

// Holders tells which machine holds an address, asking a shared store if
// need be (ipmap.Map.Holder).
type Holders interface {
	Holder(ctx context.Context, ip netip.Addr) (net.HardwareAddr, bool)
}

// Record implements events.Recorder: the Service learns each machine from
// its DHCP requests.
func (s *Service) Record(e events.Event) { s.clients.record(e) }

// clients is what DHCP said of each machine: its last DISCOVER or REQUEST.
// The zero value is empty and ready.
type clients struct {
	mu   sync.Mutex
	seen map[pxe.MACKey]pxe.Client // MAC → what its last DHCP request said
}

// maxSeen bounds the machines remembered: a flood of made-up MACs starts
// the maps over rather than growing them.
const maxSeen = 65536

func (c *clients) record(e events.Event) {
	if (e.Proto != "dhcp" && e.Proto != "dhcp6" && e.Proto != "bootp") || len(e.MAC) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Kind != events.DHCPDiscover && e.Kind != events.DHCPRequest && e.Kind != events.BOOTPRequest {
		return
	}
	k := pxe.KeyOf(e.MAC)
	if saysNothing(e.Client) {
		// A request that says nothing of the machine (no option 60, 93,
		// 97, 175, nor iPXE's user class: most of a busy network's
		// clients) is what an unknown machine reads as (client returns the
		// zero Client): nothing is kept for it, and nothing of an earlier
		// request, which it replaces.
		delete(c.seen, k)
		return
	}
	if c.seen == nil || len(c.seen) >= maxSeen {
		c.seen = map[pxe.MACKey]pxe.Client{}
	}
	c.seen[k] = e.Client
}

// saysNothing reports whether c, what a request said of a machine, is the zero
// Client: nothing said.
func saysNothing(c pxe.Client) bool {
	return !c.PXE && !c.HTTP && !c.IPXE && !c.HasArch && c.Arch == 0 && len(c.UUID) == 0 && c.VendorClass == ""
}

// client is what machine mac's last DHCP request said of it.
func (c *clients) client(mac net.HardwareAddr) (pxe.Client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.seen[pxe.KeyOf(mac)]
	return cl, ok
}

// ProfileFor returns the profile machine mac boots when it reaches pxed on
// local, as the catalog decides it, and its host entry (nil if none).
func (s *Service) ProfileFor(mac net.HardwareAddr, local netip.Addr) (*config.Profile, *catalog.Host, bool) {
	d := s.Resolve(mac, local)
	if d.Profile == nil {
		return nil, d.Host, false
	}
	return &d.Profile.Profile, d.Host, true
}

// Resolve is the catalog's decision for machine mac reaching pxed on
// local, with the UUID its last DHCP request sent.
func (s *Service) Resolve(mac net.HardwareAddr, local netip.Addr) catalog.Decision {
	c, _ := s.clients.client(mac)
	return s.Catalog().Resolve(mac, c, local)
}

// ScriptURL is the http:// URL of machine mac's iPXE script on server, or
// "" when pxed serves no HTTP or the machine has no profile.
func (s *Service) ScriptURL(mac net.HardwareAddr, server netip.Addr) string {
	if s.HTTPPort == 0 || !server.IsValid() {
		return ""
	}
	if _, _, ok := s.ProfileFor(mac, server); !ok {
		return ""
	}
	return "http://" + net.JoinHostPort(server.Unmap().WithZone("").String(), strconv.Itoa(s.HTTPPort)) + "/" + IPXEScriptPath(mac)
}

// IPXEScriptPath is where the iPXE script of machine mac is served, over
// HTTP (and TFTP): ipxe/00-18-e7-42-84-3a.ipxe.
func IPXEScriptPath(mac net.HardwareAddr) string {
	return "ipxe/" + strings.ReplaceAll(mac.String(), ":", "-") + ".ipxe"
}

type renderer func(*config.Profile, cmdline.Facts) ([]byte, error)

// Open answers the generated configs (see the package doc) for machines
// with a profile; any other path, or a machine without one, is left to the
// next opener (fs.ErrNotExist), so files in the root still work. The TFTP
// and HTTP servers both ask through it (bootfs.Chain).
func (s *Service) Open(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
	mac, render, isIPXE, ok := s.route(ctx, r)
	if !ok {
		return nil, fs.ErrNotExist
	}
	p, host, ok := s.ProfileFor(mac, r.Local)
	if !ok {
		return nil, fs.ErrNotExist
	}
	forArch, f, err := s.machine(mac, p, host, r, isIPXE)
	if err != nil {
		return nil, err
	}
	out, err := render(&forArch, f)
	if err != nil {
		return nil, err
	}
	if forArch.SAN != nil && !isIPXE {
		// The config says so on the machine's screen; say it here too,
		// where the operator looks (docs/diskless.md, "SAN boot").
		logsink.Or(s.Logger).Warn("profile boots from iSCSI, which this loader cannot reach: the machine is told to use iPXE",
			"mac", mac.String(), "file", r.Path, "profile", forArch.Name)
	}
	if forArch.Image != "" && s.Prepare != nil {
		s.Prepare(forArch.Name)
	}
	return bootfs.Bytes(out), nil
}

// machine is what machine mac boots of profile p, for its architecture,
// and its facts.
func (s *Service) machine(mac net.HardwareAddr, p *config.Profile, host *catalog.Host, r *bootfs.Request, isIPXE bool) (config.Profile, cmdline.Facts, error) {
	// The machine's architecture picks the profile's files and console
	// (config.Profile.ForArch): one profile serves x64 and arm64 alike.
	c, seen := s.clients.client(mac)
	forArch := p.ForArch(c.Arch, seen && c.HasArch)
	f := s.facts(mac, host, r, isIPXE)
	f.Console = forArch.Console
	if p.Name == config.DiscoveryProfile && s.Agent != nil {
		f.Agent = s.Agent(mac, r.Local.Unmap())
	}
	// The root path DHCP sends the machine (option 17), made from the
	// same facts, for nfsroot={{.RootPath}}.
	rp, err := config.RootPath(&forArch, f)
	if err != nil {
		return forArch, f, err
	}
	f.RootPath = rp
	return forArch, f, nil
}

// Machine is the profile machine mac boots, asking with r, for its
// architecture, and the machine's facts: what its root image's overlay is
// rendered from. False when it boots no profile.
func (s *Service) Machine(r *bootfs.Request, mac net.HardwareAddr) (config.Profile, cmdline.Facts, bool) {
	p, host, ok := s.ProfileFor(mac, r.Local)
	if !ok {
		return config.Profile{}, cmdline.Facts{}, false
	}
	forArch, f, err := s.machine(mac, p, host, r, false)
	return forArch, f, err == nil
}

// route finds which machine a path is for and which loader asks for it.
func (s *Service) route(ctx context.Context, r *bootfs.Request) (net.HardwareAddr, renderer, bool, bool) {
	p := strings.TrimLeft(r.Path, "/")
	if mac, ok := macAfter(p, "pxelinux.cfg/01-", ""); ok {
		return mac, PXELINUX, false, true
	}
	if mac, ok := macAfter(p, "ipxe/", ".ipxe"); ok {
		return mac, IPXE, true, true
	}
	base := path.Base(p)
	if mac, ok := macAfter(base, "grub.cfg-01-", ""); ok {
		return mac, s.grub(r, p), false, true
	}
	// GRUB's own config, asked for by its path alone: the machine is the
	// one holding the requesting address.
	if base == "grub.cfg" && s.Holders != nil {
		if mac, ok := s.Holders.Holder(ctx, r.Remote.Addr()); ok {
			return mac, s.grub(r, p), false, true
		}
	}
	return nil, nil, false, false
}

// grub is the renderer for the GRUB asking for the config at p: its kernel
// and initrds over pxed's HTTP server when that GRUB has http built in
// and reached pxed over IPv4, else over TFTP. Over IPv6 GRUB's device
// name would need the address in brackets before the port, which is not
// tested here, so TFTP it is.
func (s *Service) grub(r *bootfs.Request, p string) renderer {
	if s.HTTPPort == 0 || s.GRUBHTTP == nil || !r.Local.Unmap().Is4() {
		return GRUB
	}
	if !s.GRUBHTTP(path.Dir("/" + p)) {
		return GRUB
	}
	return GRUBHTTP(net.JoinHostPort(r.Local.Unmap().String(), strconv.Itoa(s.HTTPPort)))
}

// macAfter reads the MAC in name between prefix and suffix, written lower
// case with hyphens as PXELINUX, GRUB and pxed's iPXE paths write it.
func macAfter(name, prefix, suffix string) (net.HardwareAddr, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return nil, false
	}
	rest, ok = strings.CutSuffix(rest, suffix)
	if !ok || len(rest) != 17 {
		return nil, false
	}
	mac, err := net.ParseMAC(strings.ReplaceAll(rest, "-", ":"))
	return mac, err == nil
}

// facts gathers what is known of the machine. The kernel and initrds are
// HTTP URLs when pxed serves HTTP and the loader is iPXE: an iPXE script's
// reader always is; a PXELINUX config's reader is when the machine's DHCP
// request came from iPXE.
func (s *Service) facts(mac net.HardwareAddr, host *catalog.Host, r *bootfs.Request, ipxe bool) cmdline.Facts {
	f := cmdline.Facts{MAC: mac.String(), IP: r.Remote.Addr().Unmap().String(), MachineID: rootimage.MachineID(mac)}
	if r.Local.IsValid() {
		// Without a zone: it names pxed's interface, not the client's.
		server := r.Local.Unmap().WithZone("")
		f.Server = server.String()
		f.ServerHost = urlHost(server)
	}
	if host != nil {
		f.Hostname = host.Name
		if host.Netboot == config.NetbootOnce && s.Callback != nil {
			f.CallbackURL = s.Callback(host.Name, r.Local.Unmap())
		}
	}
	if c, known := s.clients.client(mac); known {
		if c.HasArch {
			f.Arch = c.Arch.String()
		}
		f.UUID = pxe.UUIDString(c.UUID)
		ipxe = ipxe || c.IPXE
	}
	if s.LogPort != 0 && f.Server != "" {
		// The receiver listens on the address the machine reached pxed
		// at, as the other servers do.
		f.LogHost, f.LogPort = f.Server, strconv.Itoa(s.LogPort)
	}
	if ipxe && s.HTTPPort != 0 && f.Server != "" {
		f.HTTPBase = "http://" + net.JoinHostPort(f.Server, strconv.Itoa(s.HTTPPort)) + "/"
	}
	return f
}

// urlHost writes a as the host of a URL: an IPv6 literal in brackets.
func urlHost(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}
