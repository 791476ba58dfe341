package config

import (
	"net"
	"net/netip"
	"os"
	"strconv"
)

// SubnetFor returns the subnet whose network contains addr: the first in
// config order (Validate rejects overlapping subnets, so there is at most one).
// The DHCP server looks it up with giaddr for relayed requests and with the
// receiving interface's address otherwise (RFC 2131 §4.3.1).
func (c *Config) SubnetFor(addr netip.Addr) (*Subnet, bool) {
	i := c.SubnetIndex(addr)
	if i < 0 {
		return nil, false
	}
	return &c.DHCP.Subnets[i], true
}

// SubnetIndex is SubnetFor's subnet as an index of DHCP.Subnets, or -1: for
// callers that keep something of their own per subnet, in config order.
func (c *Config) SubnetIndex(addr netip.Addr) int {
	addr = addr.Unmap()
	for i := range c.DHCP.Subnets {
		if n := c.DHCP.Subnets[i].Network; n.IsValid() && n.Contains(addr) {
			return i
		}
	}
	return -1
}

// InPool reports whether a lies in one of the subnet's dynamic pools.
func (s *Subnet) InPool(a netip.Addr) bool {
	a = a.Unmap()
	for _, r := range s.Pools {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// HTTPPort is the port pxed's HTTP boot server listens on, or 0 when it
// does not run: http off, or TFTP off (it serves the TFTP root and runs
// beside it), or an address without a usable port (which Validate reports).
func (c *Config) HTTPPort() int {
	if !c.HTTP.Enabled || !On(c.TFTP.Enabled) {
		return 0
	}
	return port(c.HTTP.Address)
}

// DefaultIPXEEFI is where Debian's ipxe package puts iPXE's UEFI build
// that drives the NIC it was loaded from (snponly.efi, through the
// firmware's Simple Network Protocol).
const DefaultIPXEEFI = "/usr/lib/ipxe/snponly.efi"

// IPXEEFIPath is where pxed serves IPXEEFIFile, over TFTP and HTTP: the
// boot file of x64 UEFI machines said to have Secure Boot off.
const IPXEEFIPath = "ipxe/x64.efi"

// IPXEEFIOff is the http.ipxe_efi value that turns the chain to iPXE off.
const IPXEEFIOff = "off"

// IPXEEFIFile is the iPXE binary given to x64 UEFI PXE machines said to
// have Secure Boot off (http.ipxe_efi), or "" for none: that iPXE fetches its script over
// pxed's HTTP server, so it needs both that server and http.ipxe_script;
// unset, it is DefaultIPXEEFI if that file exists.
func (c *Config) IPXEEFIFile() string {
	f := c.HTTP.IPXEEFI
	if c.HTTPPort() == 0 || !c.HTTP.IPXEScript || f == IPXEEFIOff {
		return ""
	}
	if f != "" {
		return f
	}
	if st, err := os.Stat(DefaultIPXEEFI); err == nil && st.Mode().IsRegular() {
		return DefaultIPXEEFI
	}
	return ""
}

// HTTPSPort is the port of the HTTP boot server's HTTPS side, or 0 when it
// does not run: no HTTP boot server, or no http.tls.address.
func (c *Config) HTTPSPort() int {
	if c.HTTPPort() == 0 || c.HTTP.TLS.Address == "" {
		return 0
	}
	return port(c.HTTP.TLS.Address)
}

// port is the port of a listen address, 0 when it has none that parses.
func port(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 0
	}
	return int(n)
}
