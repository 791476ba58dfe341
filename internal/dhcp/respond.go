package dhcp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/pxe"
)

// Ingress says where a request arrived.
type Ingress struct {
	Iface string
	// ServerIP is the receiving interface's address: the server identifier
	// (option 54) and, unless configured otherwise, the next-server.
	ServerIP netip.Addr
	// BootServer: the request came to port 4011, as ProxyDHCP requests do.
	BootServer bool
	// Size is the request's length on the wire, in octets (0: not known,
	// taken as BOOTP's 300): a BOOTP client's reply gets a vendor area as
	// large as its request's, and no larger (bootReply).
	Size int
}

// Decision is the outcome of one request.
type Decision struct {
	// Reply to send, or nil.
	Reply *dhcpv4.DHCPv4
	// Commit, when set, must be durable before Reply is sent; if it cannot
	// be stored, Reply must not be sent (RFC 2131 §4.3.2: the server records
	// the binding before DHCPACK).
	Commit *lease.Lease
	// Conflict, when set, is sent instead of Reply if the store refuses
	// Commit because another client holds the address (lease.ErrConflict):
	// another pxed sharing the store gave it away after this one looked.
	// Nil means silence then.
	Conflict *dhcpv4.DHCPv4
	// Reason explains a missing reply, or what was done.
	Reason string
	// Client and Host are what the request was recognised as, for logs and events.
	Client pxe.Client
	Host   string
	// Exhausted is set when a DISCOVER found no free address in the pools.
	Exhausted bool
	// Pooled is the address an OFFER gives from a pool (not a fixed one),
	// for Server.Offered.
	Pooled netip.Addr
	// Proxy is set on a ProxyDHCP reply (boot information, no address).
	Proxy bool
	// Refused says why a BOOTP request (no option 53) is not answered,
	// as a type that metrics and the timeline count by; BOOTPAnswered
	// for every other decision.
	Refused BOOTPRefusal
}

// Responder decides what to answer. It is safe for concurrent use.
type Responder struct {
	// plan is the configuration compiled; Reload replaces it whole, and
	// each request reads the one of its moment.
	plan  atomic.Pointer[plan]
	alloc *lease.Allocator
	now   func() time.Time

	// Catalog returns the current hosts and profiles; each request reads
	// the snapshot of its moment, so a change through the API applies from
	// the next request. NewResponder sets it to the file's hosts alone.
	Catalog func() *catalog.Snapshot

	// IPXEScript, if set, gives the URL of a generated iPXE script for a
	// machine ("" when it has none). A client that is already iPXE then
	// gets that URL as its boot file instead of a boot program: iPXE runs
	// the script, and no second iPXE or loader is loaded.
	IPXEScript func(mac net.HardwareAddr, server netip.Addr) string
}

// NewResponder compiles cfg for serving leases through alloc.
func NewResponder(cfg *config.Config, alloc *lease.Allocator, now func() time.Time) (*Responder, error) {
	p, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	snap, err := catalog.Static(cfg)
	if err != nil {
		return nil, err
	}
	r := &Responder{alloc: alloc, now: now, Catalog: func() *catalog.Snapshot { return snap }}
	r.plan.Store(p)
	return r, nil
}

// Reload compiles cfg, a configuration read again from the file that has
// passed Validate, and serves it from the next request on: its subnets,
// pools, options and server settings. Requests being decided finish with
// the plan they started with; the allocator's leases stay as they are (a
// pool is only the range the allocator is asked to choose from). On an
// error the plan in use stays.
func (r *Responder) Reload(cfg *config.Config) error {
	p, err := compile(cfg)
	if err != nil {
		return err
	}
	r.plan.Store(p)
	return nil
}

// Known reports whether mac is the hardware address of a host (by its mac,
// or an address or glob of its macs).
func (r *Responder) Known(mac []byte) bool {
	_, ok := r.Catalog().Match(mac, nil)
	return ok
}

func drop(format string, a ...any) Decision { return Decision{Reason: fmt.Sprintf(format, a...)} }

// Respond decides the answer to req, which arrived as in describes: it
// checks the request, finds the subnet it is for, recognises the client and
// its host entry, and lets the handler of its message type decide.
func (r *Responder) Respond(req *dhcpv4.DHCPv4, in Ingress) Decision {
	mt := req.MessageType() // read once: the codec allocates for every read
	if why := unservable(req); why != "" {
		return Decision{Reason: why}
	}
	p := r.plan.Load()
	link, relayInfo, why := p.arrival(req, in)
	if why != "" {
		return Decision{Reason: why}
	}
	sub := p.subnetFor(link)
	if sub == nil {
		return drop("no subnet configured for %s", link)
	}
	t := r.newTurn(req, in, p, sub, link, relayInfo)
	d := t.decide(mt)
	d.Client = t.pxe
	if t.host != nil {
		d.Host = t.host.Name
	}
	return d
}

// unservable says why req is not a DHCP or BOOTP request pxed serves, or "".
func unservable(req *dhcpv4.DHCPv4) string {
	if req.OpCode != dhcpv4.OpcodeBootRequest {
		return fmt.Sprintf("not a BOOTREQUEST (op %d)", req.OpCode)
	}
	if len(req.ClientHWAddr) == 0 || len(req.ClientHWAddr) > 16 {
		return fmt.Sprintf("hardware address length %d", len(req.ClientHWAddr))
	}
	// An Ethernet address is 6 bytes (RFC 1700 via RFC 2131 §2); the codec
	// cuts a longer hlen to 16, which would make a 16-byte "MAC" a client.
	if req.HWType == iana.HWTypeEthernet && len(req.ClientHWAddr) != 6 {
		return fmt.Sprintf("Ethernet hardware address of length %d, not 6", len(req.ClientHWAddr))
	}
	return ""
}

// arrival returns the address whose subnet req is for and the option 82 to
// echo in replies, or why a relayed request is not served. RFC 2131 §4.3.1:
// a relayed request is for the subnet of giaddr; a direct one for the
// subnet of the interface it came in on.
func (p *plan) arrival(req *dhcpv4.DHCPv4, in Ingress) (link netip.Addr, relayInfo []byte, refused string) {
	gi := ip4(req.GatewayIPAddr)
	if !gi.IsValid() {
		// With giaddr 0 no relay agent handled the request (a relay sets
		// giaddr, RFC 3046 §2.1), so an option 82 in it was written by the
		// client or by a bridge on the way. RFC 3046 §2.1 trusts such a
		// bridge only on a trusted circuit, which pxed cannot tell from the
		// client's own port: the option is not trusted and not echoed; the
		// request is served as if it had none.
		return in.ServerIP, nil, ""
	}
	// giaddr chooses the subnet and where the reply goes (RFC 2131 §4.1),
	// and any host that reaches port 67 can write it. RFC 3046 §5 trusts
	// option 82 only where DHCP traffic enters through trusted relays: with
	// dhcp.trusted_relays set, a request naming another relay is not served
	// at all.
	if p.trustedRelays != nil && !p.trustedRelays[gi] {
		return netip.Addr{}, nil, fmt.Sprintf("relay %s is not in dhcp.trusted_relays", gi)
	}
	// RFC 3046 §2.2: the relay agent's option is echoed in every reply.
	return gi, req.Options.Get(dhcpv4.OptionRelayAgentInformation), ""
}

// newTurn starts deciding req for subnet sub, reached through link: who the
// client is (its lease identity, its network-boot identity) and what the
// catalog says of it (host entry, boot choice).
// It returns the turn by value, so that it stays on Respond's stack.
func (r *Responder) newTurn(req *dhcpv4.DHCPv4, in Ingress, p *plan, sub *subnetPlan, link netip.Addr, relayInfo []byte) turn {
	client := lease.Client{MAC: req.ClientHWAddr, ID: req.Options.Get(dhcpv4.OptionClientIdentifier)}
	// An empty client identifier identifies nobody (RFC 2132 §9.14 asks
	// for at least 2 octets): fall back to the hardware address.
	if len(client.ID) < 2 {
		client.ID = nil
	}
	t := turn{r: r, plan: p, req: req, in: in, sub: sub, client: client, now: r.now(), relayInfo: relayInfo}
	t.pxe = pxe.Classify(req.Options)
	// Host entries match Ethernet addresses (and UUIDs); the one decision
	// of host, boot file and profile is the catalog's.
	var mac net.HardwareAddr
	if req.HWType == iana.HWTypeEthernet {
		mac = req.ClientHWAddr
	}
	dec := r.Catalog().Resolve(mac, t.pxe, link)
	t.host, t.boot, t.profile = dec.Host, dec.Boot, dec.Profile
	return t
}

// decide hands the request to the handler of its message type mt: to the
// BOOTP one when it has none (RFC 1534 §2), else to the ProxyDHCP one on a
// proxy subnet and on port 4011.
func (t *turn) decide(mt dhcpv4.MessageType) Decision {
	if mt == dhcpv4.MessageTypeNone {
		return t.bootp()
	}
	if t.sub.proxy || t.in.BootServer {
		return t.proxy()
	}
	switch mt {
	case dhcpv4.MessageTypeDiscover:
		return t.discover()
	case dhcpv4.MessageTypeRequest:
		return t.request()
	case dhcpv4.MessageTypeDecline:
		return t.decline()
	case dhcpv4.MessageTypeRelease:
		return t.release()
	case dhcpv4.MessageTypeInform:
		return t.inform()
	default:
		return drop("message type %s is not for a server", mt)
	}
}

// turn is one request being decided.
type turn struct {
	r      *Responder
	plan   *plan // the configuration this request is decided by
	req    *dhcpv4.DHCPv4
	in     Ingress
	sub    *subnetPlan
	client lease.Client
	host   *catalog.Host // nil: no host entry
	boot   pxe.Boot      // the boot choice for this machine on this subnet
	// profile is what the machine boots (nil: none), for its root path.
	profile *catalog.Profile
	pxe     pxe.Client
	now     time.Time
	// relayInfo is the option 82 of a trusted relay, echoed in replies.
	relayInfo []byte
}

// fixed is the host's reserved address when it lies in this subnet.
func (t *turn) fixed() (netip.Addr, bool) {
	if t.host != nil && t.host.IP.IsValid() && t.sub.network.Contains(t.host.IP.Addr) {
		return t.host.IP.Addr, true
	}
	return netip.Addr{}, false
}

func ip4(a net.IP) netip.Addr {
	v, ok := netip.AddrFromSlice(a.To4())
	if !ok || v.IsUnspecified() {
		return netip.Addr{}
	}
	return v
}

func (t *turn) discover() Decision {
	if ip, ok := t.fixed(); ok {
		return Decision{Reply: t.reply(dhcpv4.MessageTypeOffer, ip), Reason: "offer"}
	}
	if len(t.sub.pools) == 0 {
		return drop("unknown client and no pool on %s", t.sub.network)
	}
	ip, err := t.r.alloc.Offer(t.client, t.sub.pools, ip4(t.req.RequestedIPAddress()))
	if err != nil {
		d := drop("%s: %v", t.sub.network, err)
		d.Exhausted = errors.Is(err, lease.ErrExhausted)
		return d
	}
	return Decision{Reply: t.reply(dhcpv4.MessageTypeOffer, ip), Reason: "offer", Pooled: ip}
}

// assignable reports whether ip may be acknowledged to this client: its
// reservation if it has one, else a free address of the pools.
func (t *turn) assignable(ip netip.Addr) (bool, string) {
	if !t.sub.network.Contains(ip) {
		return false, fmt.Sprintf("%s is not on %s", ip, t.sub.network)
	}
	if f, ok := t.fixed(); ok {
		if ip != f {
			return false, fmt.Sprintf("%s is reserved %s", t.host.Name, f)
		}
		return true, ""
	}
	if !t.inPool(ip) {
		return false, fmt.Sprintf("%s is not in a pool", ip)
	}
	if l, ok := t.r.alloc.Get(ip); ok && l.State == lease.Declined && l.Active(t.now) {
		return false, fmt.Sprintf("%s is quarantined after a DECLINE", ip)
	}
	if !t.r.alloc.Available(ip, t.client) {
		return false, fmt.Sprintf("%s is held by another client", ip)
	}
	// One address per client in a subnet: a client bound to one pool
	// address that asks for another (INIT-REBOOT with a new requested
	// address) would otherwise hold both, and one client could drain the
	// pool under a single identity. The NAK sends it back to DISCOVER,
	// where it is offered the address it holds (RFC 2131 §4.3.1). A
	// declined, released or expired lease does not count.
	if l, ok := t.r.alloc.Lookup(t.client); ok && l.IP != ip && l.State == lease.Bound &&
		l.Active(t.now) && t.inPool(l.IP) {
		return false, fmt.Sprintf("client already holds %s in %s", l.IP, t.sub.network)
	}
	return true, ""
}

// inPool reports whether ip lies in one of the subnet's pools.
func (t *turn) inPool(ip netip.Addr) bool {
	return lease.InRanges(t.sub.pools, ip)
}

// request handles DHCPREQUEST in the four client states of RFC 2131 §4.3.2.
func (t *turn) request() Decision {
	serverID := ip4(t.req.ServerIdentifier())
	requested := ip4(t.req.RequestedIPAddress())
	ciaddr := ip4(t.req.ClientIPAddr)
	var ip netip.Addr
	var state string
	switch {
	case serverID.IsValid():
		// SELECTING: the client answers one server's offer.
		if serverID != t.in.ServerIP {
			t.r.alloc.Withdraw(t.client)
			return drop("client chose server %s", serverID)
		}
		state, ip = "selecting", requested
		if !ip.IsValid() {
			ip = ciaddr
		}
		if !ip.IsValid() {
			return drop("SELECTING request without requested address")
		}
	case requested.IsValid():
		state, ip = "init-reboot", requested
	case ciaddr.IsValid():
		// RENEWING (unicast) or REBINDING (broadcast): the lease is ciaddr's.
		state, ip = "renewing", ciaddr
		if t.req.IsBroadcast() {
			state = "rebinding"
		}
	default:
		return drop("request names no address")
	}
	ok, why := t.assignable(ip)
	if !ok {
		// RFC 2131 §4.3.2: wrong address or wrong network → DHCPNAK; a
		// server that is not authoritative stays silent and lets the one
		// that is answer.
		if t.sub.authoritative || state == "selecting" {
			return Decision{Reply: t.nak(why), Reason: state + " nak: " + why}
		}
		return drop("%s: %s (not authoritative: silent)", state, why)
	}
	l := lease.Lease{
		IP: ip, MAC: bytes.Clone(t.client.MAC), ClientID: bytes.Clone(t.client.ID),
		Hostname: t.hostname(), State: lease.Bound, Expires: t.now.Add(t.sub.leaseTime),
	}
	d := Decision{Reply: t.reply(dhcpv4.MessageTypeAck, ip), Commit: &l, Reason: state + " ack"}
	// The same rule as for an address the mirror already knows is taken
	// (above): RFC 2131 §3.1 step 4, the selected server that cannot
	// satisfy the REQUEST "SHOULD respond with a DHCPNAK"; in the other
	// states only an authoritative server NAKs.
	if t.sub.authoritative || state == "selecting" {
		d.Conflict = t.nak(fmt.Sprintf("%s was just given to another client", ip))
	}
	return d
}

// decline quarantines an address a client found in use (RFC 2131 §4.3.3),
// but only on the word of the client it was given to.
func (t *turn) decline() Decision {
	ip := ip4(t.req.RequestedIPAddress())
	if !ip.IsValid() {
		return drop("DECLINE without requested address")
	}
	l, ok := t.r.alloc.Get(ip)
	if !ok || !l.Holds(t.client) {
		return drop("DECLINE of %s from a client that does not hold it", ip)
	}
	l.State, l.Expires = lease.Declined, t.now.Add(t.plan.declineHold)
	return Decision{Commit: &l, Reason: fmt.Sprintf("declined %s: quarantined", ip)}
}

// release ends a client's lease early (RFC 2131 §4.3.4). The record stays,
// so the client gets the same address when it returns.
func (t *turn) release() Decision {
	ip := ip4(t.req.ClientIPAddr)
	if sid := ip4(t.req.ServerIdentifier()); sid.IsValid() && sid != t.in.ServerIP {
		return drop("RELEASE for server %s", sid)
	}
	l, ok := t.r.alloc.Get(ip)
	if !ok || !l.Holds(t.client) || l.State != lease.Bound {
		return drop("RELEASE of %s from a client that does not hold it", ip)
	}
	l.State, l.Expires = lease.Released, t.now
	return Decision{Commit: &l, Reason: fmt.Sprintf("released %s", ip)}
}

// inform answers a client that configured its address itself with the
// other parameters (RFC 2131 §4.3.5): no yiaddr, no lease time.
func (t *turn) inform() Decision {
	if !ip4(t.req.ClientIPAddr).IsValid() {
		return drop("INFORM without ciaddr")
	}
	return Decision{Reply: t.reply(dhcpv4.MessageTypeAck, netip.Addr{}), Reason: "inform ack"}
}

// hostname is the name recorded with the lease: the configured host name,
// else the client's option 12 reduced to a safe DNS label.
func (t *turn) hostname() string {
	if t.host != nil && t.host.Name != "" {
		return t.host.Name
	}
	return sanitizeHostname(t.req.HostName())
}

func sanitizeHostname(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			b.WriteRune(c)
		case c == '.':
			return strings.Trim(b.String(), "-") // first label only
		}
		if b.Len() == 63 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
