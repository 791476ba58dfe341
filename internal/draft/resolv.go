package draft

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
)

// Nameservers are the addresses of resolv.conf's nameserver lines
// (resolv.conf(5)), in order; lines that name no address are skipped, and
// so is an IPv6 scope (fe80::1%eth0), which another machine cannot use.
func Nameservers(resolvConf []byte) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(bytes.NewReader(resolvConf))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil || a.Zone() != "" {
			continue
		}
		out = append(out, a)
	}
	return out
}
