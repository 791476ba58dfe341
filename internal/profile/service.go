package profile

import (
	"context"
	"io/fs"
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
	"github.com/pxed/pxed/internal/pxe"
)

// Service answers loaders' config requests with rendered profiles. It
// learns what each machine is from the DHCP events it records.
type Service struct {
	// Catalog returns the current hosts and profiles.
	Catalog func() *catalog.Snapshot
	// HTTPPort is the port of pxed's HTTP boot server, 0 when it is off.
	HTTPPort int
	// Callback, if set, returns the install callback URL of the host
	// called name, for a machine that reached pxed at server ("" if none).
	Callback func(name string, server netip.Addr) string

	mu   sync.Mutex
	seen map[pxe.MACKey]pxe.Client // MAC → what its last DHCP request said
	byIP map[netip.Addr]pxe.MACKey // address acknowledged → MAC
}

// maxSeen bounds the machines remembered: a flood of made-up MACs starts
// the maps over rather than growing them.
const maxSeen = 65536

// Record implements events.Recorder: it keeps what each machine's DHCP
// requests said of it, and which address it was given (GRUB's grub.cfg
// request names no MAC, only comes from that address).
func (s *Service) Record(e events.Event) {
	if e.Proto != "dhcp" || len(e.MAC) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Kind {
	case events.DHCPDiscover, events.DHCPRequest:
		if s.seen == nil || len(s.seen) >= maxSeen {
			s.seen = map[pxe.MACKey]pxe.Client{}
		}
		s.seen[pxe.KeyOf(e.MAC)] = e.Client
	case events.DHCPAck:
		if !e.IP.IsValid() {
			return
		}
		if s.byIP == nil || len(s.byIP) >= maxSeen {
			s.byIP = map[netip.Addr]pxe.MACKey{}
		}
		s.byIP[e.IP.Unmap()] = pxe.KeyOf(e.MAC)
	}
}

func (s *Service) client(mac net.HardwareAddr) (pxe.Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.seen[pxe.KeyOf(mac)]
	return c, ok
}

// ProfileFor returns the profile machine mac boots when it reaches pxed on
// local, as the catalog decides it, and its host entry (nil if none).
func (s *Service) ProfileFor(mac net.HardwareAddr, local netip.Addr) (*config.Profile, *catalog.Host, bool) {
	c, _ := s.client(mac)
	d := s.Catalog().Resolve(mac, c.UUID, local)
	if d.Profile == nil {
		return nil, d.Host, false
	}
	return &d.Profile.Profile, d.Host, true
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
	return "http://" + net.JoinHostPort(server.String(), strconv.Itoa(s.HTTPPort)) + "/" + IPXEScriptPath(mac)
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
func (s *Service) Open(_ context.Context, r *bootfs.Request) (bootfs.File, error) {
	mac, render, isIPXE, ok := s.route(r)
	if !ok {
		return nil, fs.ErrNotExist
	}
	p, host, ok := s.ProfileFor(mac, r.Local)
	if !ok {
		return nil, fs.ErrNotExist
	}
	out, err := render(p, s.facts(mac, host, r, isIPXE))
	if err != nil {
		return nil, err
	}
	return bootfs.Bytes(out), nil
}

// route finds which machine a path is for and which loader asks for it.
func (s *Service) route(r *bootfs.Request) (net.HardwareAddr, renderer, bool, bool) {
	p := strings.TrimLeft(r.Path, "/")
	if mac, ok := macAfter(p, "pxelinux.cfg/01-", ""); ok {
		return mac, PXELINUX, false, true
	}
	if mac, ok := macAfter(p, "ipxe/", ".ipxe"); ok {
		return mac, IPXE, true, true
	}
	base := path.Base(p)
	if mac, ok := macAfter(base, "grub.cfg-01-", ""); ok {
		return mac, GRUB, false, true
	}
	// GRUB's own config, asked for by its path alone: the machine is the
	// one pxed acknowledged at the requesting address.
	if base == "grub.cfg" {
		s.mu.Lock()
		k, ok := s.byIP[r.Remote.Addr().Unmap()]
		s.mu.Unlock()
		if ok {
			return k.HardwareAddr(), GRUB, false, true
		}
	}
	return nil, nil, false, false
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
	f := cmdline.Facts{MAC: mac.String(), IP: r.Remote.Addr().Unmap().String()}
	if r.Local.IsValid() {
		f.Server = r.Local.Unmap().String()
	}
	if host != nil {
		f.Hostname = host.Name
		if host.Netboot == config.NetbootOnce && s.Callback != nil {
			f.CallbackURL = s.Callback(host.Name, r.Local.Unmap())
		}
	}
	if c, known := s.client(mac); known {
		if c.HasArch {
			f.Arch = c.Arch.String()
		}
		f.UUID = pxe.UUIDString(c.UUID)
		ipxe = ipxe || c.IPXE
	}
	if ipxe && s.HTTPPort != 0 && f.Server != "" {
		f.HTTPBase = "http://" + net.JoinHostPort(f.Server, strconv.Itoa(s.HTTPPort)) + "/"
	}
	return f
}
