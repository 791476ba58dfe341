package ra

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"
)

// Router advertisement fields and options (RFC 4861 §4.2, §4.6.2).
const (
	flagManaged        = 0x80 // M: addresses from DHCPv6
	flagOther          = 0x40 // O: other configuration from DHCPv6
	optPrefixInfo      = 3
	prefixFlagOnLink   = 0x80 // L
	prefixFlagAutoConf = 0x40 // A: hosts form addresses from the prefix (SLAAC)
)

// Defaults of an advertising link (RFC 4861 §6.2.1 gives the lifetimes;
// the interval is shorter than its 600 s, see DefaultInterval).
const (
	// DefaultInterval is MaxRtrAdvInterval. A minute rather than the RFC's
	// ten: on a provisioning link a machine that boots and never solicits
	// (RFC 4861 lets a host wait for the periodic advertisement) should not
	// wait ten minutes to learn that addresses come from DHCPv6.
	DefaultInterval          = 60 * time.Second
	MinInterval              = 4 * time.Second    // RFC 4861 §6.2.1: MaxRtrAdvInterval ≥ 4 s
	MaxInterval              = 1800 * time.Second // and ≤ 1800 s
	DefaultValidLifetime     = 30 * 24 * time.Hour
	DefaultPreferredLifetime = 7 * 24 * time.Hour
	maxRouterLifetime        = 9000 * time.Second // RFC 4861 §6.2.1: AdvDefaultLifetime ≤ 9000 s
	maxInitialAdverts        = 3                  // MAX_INITIAL_RTR_ADVERTISEMENTS, RFC 4861 §10
	maxInitialInterval       = 16 * time.Second   // MAX_INITIAL_RTR_ADVERT_INTERVAL
)

// Advert is what a router advertisement says. Its zero value is pxed's
// minimal advertisement: M and O clear, router lifetime 0, no prefix.
type Advert struct {
	Managed bool // M flag: get addresses from DHCPv6 (RFC 4861 §4.2)
	Other   bool // O flag: get other configuration (DNS, boot URL) from DHCPv6
	// RouterLifetime is how long hosts may use pxed as default router; 0:
	// not a default router.
	RouterLifetime time.Duration
	Prefixes       []Prefix
}

// Prefix is one Prefix Information option (RFC 4861 §4.6.2): a prefix on
// the link (L set), from which hosts form addresses themselves only if
// Autonomous (A).
type Prefix struct {
	Prefix     netip.Prefix
	Autonomous bool
	// ValidLifetime and PreferredLifetime: how long the prefix is on-link,
	// and how long an address formed from it is preferred. Zero: the
	// defaults of RFC 4861 §6.2.1 (30 days, 7 days).
	ValidLifetime, PreferredLifetime time.Duration
}

// Bytes returns the ICMPv6 router advertisement, sent from the interface
// with hardware address mac. The checksum is left zero: the kernel fills
// it in for ICMPv6 sockets. Options come in a fixed order: the source
// link-layer address, then the prefixes as given.
func (a Advert) Bytes(mac net.HardwareAddr) []byte {
	var flags byte
	if a.Managed {
		flags |= flagManaged
	}
	if a.Other {
		flags |= flagOther
	}
	b := []byte{
		typeRouterAdvertisement, 0, // type, code
		0, 0, // checksum
		0,     // cur hop limit: unspecified
		flags, // M, O
		0, 0,  // router lifetime, seconds
		0, 0, 0, 0, // reachable time: unspecified
		0, 0, 0, 0, // retrans timer: unspecified
	}
	binary.BigEndian.PutUint16(b[6:], uint16(seconds(min(a.RouterLifetime, maxRouterLifetime))))
	if len(mac) == 6 {
		// RFC 4861 §4.6.1, in units of 8 octets: type, length 1, the MAC.
		b = append(b, optSourceLinkLayerAddr, 1)
		b = append(b, mac...)
	}
	for _, p := range a.Prefixes {
		b = p.append(b)
	}
	return b
}

// append writes the Prefix Information option (RFC 4861 §4.6.2): type 3,
// length 4 (32 octets), prefix length, L and A flags, valid and preferred
// lifetimes in seconds, 4 reserved octets, the prefix with its host bits
// clear.
func (p Prefix) append(b []byte) []byte {
	flags := byte(prefixFlagOnLink)
	if p.Autonomous {
		flags |= prefixFlagAutoConf
	}
	valid, preferred := p.ValidLifetime, p.PreferredLifetime
	if valid <= 0 {
		valid = DefaultValidLifetime
	}
	if preferred <= 0 {
		preferred = min(DefaultPreferredLifetime, valid)
	}
	b = append(b, optPrefixInfo, 4, byte(p.Prefix.Bits()), flags)
	b = binary.BigEndian.AppendUint32(b, seconds(valid))
	b = binary.BigEndian.AppendUint32(b, seconds(min(preferred, valid)))
	b = append(b, 0, 0, 0, 0)
	a := p.Prefix.Masked().Addr().As16()
	return append(b, a[:]...)
}

// seconds is d in whole seconds as the advertisement's 32-bit fields hold
// them; 0xffffffff is infinity (RFC 4861 §4.6.2), which anything as long
// becomes.
func seconds(d time.Duration) uint32 {
	s := d / time.Second
	if s >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(max(s, 0))
}

// minInterval is MinRtrAdvInterval for a MaxRtrAdvInterval of hi: the
// RFC 4861 §6.2.1 default of 0.33 × hi, at least 3 s and at most
// 0.75 × hi.
func minInterval(hi time.Duration) time.Duration {
	return min(max(hi*33/100, 3*time.Second), hi*3/4)
}

// nextAdvert is how long to wait after the n-th unsolicited advertisement
// of an interface (n from 1) before the next one (RFC 4861 §6.2.4): a
// uniformly random time between MinRtrAdvInterval and hi
// (MaxRtrAdvInterval), but no more than 16 s for the first three, so that
// hosts that came up with pxed hear it soon.
func nextAdvert(n int, hi time.Duration) time.Duration {
	lo := minInterval(hi)
	d := lo + rand.N(hi-lo+1)
	if n < maxInitialAdverts && d > maxInitialInterval {
		d = maxInitialInterval
	}
	return d
}
