package draft

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/pxe"
)

// Facts is what pxed init learnt of the link it writes a configuration for.
type Facts struct {
	// Interface is the link's name (br0).
	Interface string
	// Addr is the interface's IPv4 address with its prefix length
	// (192.168.1.21/24): the subnet served is its network.
	Addr netip.Prefix
	// Gateway is the default route's gateway when that route leaves
	// through Interface; the zero Addr otherwise.
	Gateway netip.Addr
	// Neighbours are the IPv4 addresses the kernel's neighbour table holds
	// for Interface: machines seen on the link lately.
	Neighbours []netip.Addr
	// Nameservers are resolv.conf's, in its order.
	Nameservers []netip.Addr
	// Offer is another DHCP server's answer to pxed init's DISCOVER; nil
	// when none answered in time.
	Offer *Offer
	// Loaders are the boot programs found under the TFTP root.
	Loaders []Loader
	// TFTPRoot is written as tftp.root; "" leaves pxed's default.
	TFTPRoot string
}

// Offer is what an answering DHCP server said.
type Offer struct {
	Server  netip.Addr // its server identifier (option 54), else siaddr or the sender
	Offered netip.Addr // yiaddr
}

// Loader is a boot program under the TFTP root, for one architecture.
type Loader struct {
	Path string // slash-separated, relative to the root
	Arch pxe.Arch
}

// Draft is the configuration Build decided on.
type Draft struct {
	Config *config.Config
	// Proxy: another DHCP server gives the addresses, pxed only the boot
	// information (dhcp.subnets[].proxy).
	Proxy bool
	// Notes tell the operator why the configuration says what it does,
	// one sentence each, for the terminal and the file's header.
	Notes []string
}

// maxPoolShare bounds a pool to this share of the subnet's addresses: the
// neighbour table only shows machines that spoke lately, and a machine
// with a fixed address that was quiet is likelier to sit low in the
// subnet, where administrators put them, than high.
const maxPoolShare = 2

// Build decides the configuration for f. With an offer from another DHCP
// server, the subnet is a ProxyDHCP one: pxed adds boot information to
// that server's addresses and hands out none (a second server giving
// addresses on one link makes clients take whichever answers first).
// Without one, pxed is the link's DHCP server: authoritative, with a pool
// of addresses nobody was seen using, the gateway as router and
// resolv.conf's name servers when other machines can reach them.
func Build(f Facts) (*Draft, error) {
	if !f.Addr.IsValid() || !f.Addr.Addr().Is4() {
		return nil, fmt.Errorf("%s has no IPv4 address: pxed serves the subnet of the interface's address", f.Interface)
	}
	network := f.Addr.Masked()
	d := &Draft{Config: &config.Config{Interfaces: []string{f.Interface}}}
	c := d.Config
	c.TFTP.Root = f.TFTPRoot
	sub := config.Subnet{Network: config.Prefix{Prefix: network}}
	if f.Offer != nil {
		d.Proxy = true
		sub.Proxy = true
		who := "a DHCP server"
		if f.Offer.Server.IsValid() {
			who += " at " + f.Offer.Server.String()
		}
		d.Notes = append(d.Notes, fmt.Sprintf("%s answered (offered %s): writing a ProxyDHCP config; pxed will add boot information only",
			who, f.Offer.Offered))
	} else {
		used := slices.Concat([]netip.Addr{f.Addr.Addr()}, f.Neighbours)
		if f.Gateway.IsValid() {
			used = append(used, f.Gateway)
		}
		pool, n, err := Pool(network, used)
		if err != nil {
			return nil, err
		}
		c.DHCP.Authoritative = true
		sub.Pools = []config.Range{pool}
		d.Notes = append(d.Notes, fmt.Sprintf("no DHCP server answered on %s: writing a config in which pxed gives the addresses, pool %s (%d address(es) seen in use on the link left out)",
			f.Interface, pool, n))
		if f.Gateway.IsValid() && network.Contains(f.Gateway) {
			sub.Routers = []config.Addr{{Addr: f.Gateway}}
		}
		var dns, local []string
		for _, a := range f.Nameservers {
			switch {
			case !a.Is4():
			case a.IsLoopback() || a.IsUnspecified():
				local = append(local, a.String())
			default:
				dns = append(dns, a.String())
				sub.DNSServers = append(sub.DNSServers, config.Addr{Addr: a})
			}
		}
		if len(dns) == 0 && len(local) > 0 {
			d.Notes = append(d.Notes, fmt.Sprintf("resolv.conf names only %s, a resolver on this host that other machines cannot reach: no dns_servers written",
				strings.Join(local, ", ")))
		}
	}
	c.DHCP.Subnets = []config.Subnet{sub}
	d.boot(f.Loaders)
	return d, nil
}

// boot sets the boot file for BIOS clients (boot.file, which also serves
// clients of architectures with no entry) and one per other architecture
// (boot.files), each the best ranked of the loaders found for it.
func (d *Draft) boot(found []Loader) {
	best := map[pxe.Arch]Loader{}
	for _, l := range found {
		if b, ok := best[l.Arch]; !ok || better(l, b) {
			best[l.Arch] = l
		}
	}
	if len(best) == 0 {
		d.Notes = append(d.Notes, "no boot program found under the TFTP root: set boot.file (docs/config.md) once there is one")
		return
	}
	b := &d.Config.Boot
	var grub []string
	for _, arch := range slices.Sorted(maps.Keys(best)) {
		l := best[arch]
		if arch == pxe.ArchBIOS {
			b.File = l.Path
			continue
		}
		if b.Files == nil {
			b.Files = map[string]string{}
		}
		b.Files[arch.String()] = l.Path
		if rank(l.Path) < slices.Index(efiLoaders, "snponly.efi") {
			grub = append(grub, l.Path)
		}
	}
	// Behind ProxyDHCP, Debian 12's GRUB takes its server only from the
	// address server's DHCPACK, finds no config and stops at grub>
	// (docs/firmware.md, OVMF UEFI PXE beside dnsmasq).
	if d.Proxy && len(grub) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("behind ProxyDHCP, GRUB (%s) may not find its config: UEFI machines may need iPXE's snponly.efi instead (docs/deploy.md, UEFI machines through iPXE)",
			strings.Join(grub, ", ")))
	}
}

// better reports whether a is the better loader of one architecture: the
// one whose name ranks first (rank), then the one nearest the root (a
// PXELINUX at the root finds pxelinux.cfg/ beside it), then by path.
func better(a, b Loader) bool {
	ra, rb := rank(a.Path), rank(b.Path)
	if ra != rb {
		return ra < rb
	}
	da, db := strings.Count(a.Path, "/"), strings.Count(b.Path, "/")
	if da != db {
		return da < db
	}
	return a.Path < b.Path
}

// Pool is the largest run of the network's host addresses that holds none
// of used, cut to its upper end when longer than 1/maxPoolShare of the
// network; n is how many of used lie in the network.
func Pool(network netip.Prefix, used []netip.Addr) (pool config.Range, n int, err error) {
	if !network.Addr().Is4() || network.Bits() > 30 {
		return config.Range{}, 0, fmt.Errorf("%s is too small for a pool of addresses", network)
	}
	first := u32(network.Masked().Addr()) + 1
	last := first + uint32(1)<<(32-network.Bits()) - 3 // before the broadcast address
	var taken []uint32
	for _, a := range used {
		if a.Is4() && network.Contains(a) {
			taken = append(taken, u32(a))
		}
	}
	slices.Sort(taken)
	taken = slices.Compact(taken)
	n = len(taken)
	// Walk the gaps between taken addresses; on a tie the higher gap wins.
	bestLo, bestHi, found := uint32(0), uint32(0), false
	lo := first
	for _, t := range append(taken, last+1) {
		if t < first || t > last+1 {
			continue
		}
		if t > lo {
			hi := t - 1
			if !found || hi-lo >= bestHi-bestLo {
				bestLo, bestHi, found = lo, hi, true
			}
		}
		lo = t + 1
	}
	if !found {
		return config.Range{}, n, fmt.Errorf("every address of %s is in use: no room for a pool", network)
	}
	limit := (last - first + 1) / maxPoolShare
	if limit == 0 {
		limit = 1
	}
	if bestHi-bestLo+1 > limit {
		bestLo = bestHi - limit + 1
	}
	return config.Range{First: addr4(bestLo), Last: addr4(bestHi)}, n, nil
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
