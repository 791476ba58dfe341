package dhcp6

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/pxe"
)

// HopCountLimit is the most relays a message may have come through (RFC
// 8415 §7.6 HOP_COUNT_LIMIT, §19.1.1); deeper nesting is dropped.
const HopCountLimit = 32

// maxIAs bounds the IA_NA options served in one message: a client has one
// per interface it configures, and each costs an allocation and a commit.
const maxIAs = 8

// maxIAAddrs bounds the addresses in one IA_NA: a client lists those it
// holds (RFC 8415 §21.4), one or two; each is looked up, and echoed in the
// reply when it is not the client's.
const maxIAAddrs = 16

// Ingress says where a message arrived.
type Ingress struct {
	Iface string
	// Addr is the receiving interface's global address: the link a direct
	// message is for (RFC 8415 §13.1) and the server address in boot URLs.
	// Invalid when the interface has none; then only relayed messages are
	// served.
	Addr netip.Addr
	// Unicast: the datagram was sent to a unicast address of pxed's, not to
	// All_DHCP_Relay_Agents_and_Servers (ff02::1:2).
	Unicast bool
	// Peer is the datagram's source address: the client's link-local
	// address for a direct message, a relay's for a relayed one.
	Peer netip.Addr
	// Neighbour is the link-layer address the kernel's neighbour table
	// holds for Peer on Iface, nil when unknown (see ClientMAC).
	Neighbour net.HardwareAddr
}

// Decision is the outcome of one message.
type Decision struct {
	// Reply is what to send, wrapped for the relays when Relayed; nil for
	// none. Its message (Message) is what a person wants to read.
	Reply   dhcpv6.DHCPv6
	Message *dhcpv6.Message
	// Relayed: the request came through relays, and Reply goes back to the
	// one that sent it, on port 547 (RFC 8415 §19.3).
	Relayed bool
	// Commit must all be durable before Reply is sent; if one cannot be
	// stored, Reply must not be sent (RFC 8415 §18.3.2: the server records
	// the IA and its addresses before the Reply).
	Commit []lease.Lease
	// Reason explains a missing reply, or what was done.
	Reason string
	// Drop is the kind of reason when the message is not served.
	Drop Drop
	// Request is the client's message (inside its relays), nil when the
	// datagram held none.
	Request *dhcpv6.Message
	// MAC is the client's hardware address when known, MACFrom where it
	// came from (ClientMAC); Client and Host what it was recognised as.
	MAC     net.HardwareAddr
	MACFrom MACSource
	Client  pxe.Client
	Host    string
	// Exhausted is set when no address could be given from the pools.
	Exhausted bool
	// Refused is set when the reply says no: a status code other than
	// Success at the top or in every IA; Status is that code.
	Refused bool
	Status  iana.StatusCode
	// Addrs are the addresses the reply gives with non-zero lifetimes.
	Addrs []netip.Addr
}

// Responder decides what to answer. It is safe for concurrent use.
type Responder struct {
	// plan is the configuration compiled; Reload replaces it whole, and
	// each message reads the one of its moment.
	plan  atomic.Pointer[plan]
	alloc *lease.Allocator
	now   func() time.Time
	// serverID is pxed's DUID as sent in option 2.
	serverID []byte
	duid     dhcpv6.DUID

	// Catalog returns the current hosts and profiles; each message reads
	// the snapshot of its moment. NewResponder sets it to the file's hosts.
	Catalog func() *catalog.Snapshot
	// IPXEScript, if set, gives the URL of a generated iPXE script for a
	// machine ("" when it has none), given to iPXE clients as their boot
	// file URL.
	IPXEScript func(mac net.HardwareAddr, server netip.Addr) string
}

// NewResponder compiles cfg for serving leases through alloc, answering
// as the server whose DUID is serverID (RFC 8415 §11).
func NewResponder(cfg *config.Config, alloc *lease.Allocator, serverID dhcpv6.DUID, now func() time.Time) (*Responder, error) {
	snap, err := catalog.Static(cfg)
	if err != nil {
		return nil, err
	}
	r := &Responder{
		alloc: alloc, now: now, duid: serverID, serverID: serverID.ToBytes(),
		Catalog: func() *catalog.Snapshot { return snap },
	}
	r.plan.Store(compile(cfg))
	return r, nil
}

// Reload serves cfg, a configuration read again from the file that has
// passed Validate, from the next message on: its subnets, pools and
// server settings. Messages being decided finish with the plan they
// started with; leases stay as they are.
func (r *Responder) Reload(cfg *config.Config) {
	r.plan.Store(compile(cfg))
}

// Known reports whether mac is the hardware address of a host.
func (r *Responder) Known(mac []byte) bool {
	_, ok := r.Catalog().Match(mac, nil)
	return ok
}

// Respond decides the answer to msg, which arrived as in describes: it
// takes the client's message out of its relays, finds the subnet of the
// link it is on, checks the message as RFC 8415 §16 asks, recognises the
// client and its host entry, and lets the handler of its type decide.
func (r *Responder) Respond(msg dhcpv6.DHCPv6, in Ingress) Decision {
	req, relays, rj := unwrap(msg)
	if !rj.ok() {
		return rj.decision()
	}
	link, rj := r.link(relays, in)
	if !rj.ok() {
		d := rj.decision()
		d.Request = req
		return d
	}
	p := r.plan.Load()
	sub := p.subnetFor(link)
	if sub == nil {
		return Decision{Reason: fmt.Sprintf("no dhcp6 subnet for link %s", link), Drop: DropNoSubnet, Request: req}
	}
	t, rj := r.newTurn(req, relays, in, p, sub, link)
	if !rj.ok() {
		d := rj.decision()
		d.Request, d.MAC, d.MACFrom = req, t.mac, t.macFrom
		return d
	}
	d := t.decide()
	d.Request, d.MAC, d.MACFrom, d.Client = req, t.mac, t.macFrom, t.pxe
	if t.host != nil {
		d.Host = t.host.Name
	}
	if d.Message != nil {
		d.Reply, d.Relayed = wrap(d.Message, relays), len(relays) > 0
		d.Addrs = granted(d.Message)
	}
	return d
}

// unwrap returns the client's message inside msg and the relays it came
// through, outermost first, or why msg is not served.
func unwrap(msg dhcpv6.DHCPv6) (*dhcpv6.Message, []*dhcpv6.RelayMessage, rejection) {
	var relays []*dhcpv6.RelayMessage
	for msg.IsRelay() {
		rm, ok := msg.(*dhcpv6.RelayMessage)
		if !ok || rm.MessageType != dhcpv6.MessageTypeRelayForward {
			return nil, nil, reject(DropNotForServer, "%s is not for a server", msg.Type())
		}
		if len(relays) == HopCountLimit {
			return nil, nil, reject(DropRelayHops, "relayed through more than %d relays (RFC 8415 HOP_COUNT_LIMIT)", HopCountLimit)
		}
		if rj := relayAddrs(rm.PeerAddr, rm.LinkAddr); !rj.ok() {
			return nil, nil, rj
		}
		relays = append(relays, rm)
		if msg = rm.Options.RelayMessage(); msg == nil {
			return nil, nil, reject(DropBadRelay, "Relay-forward without a Relay Message option")
		}
	}
	m, ok := msg.(*dhcpv6.Message)
	if !ok {
		return nil, nil, reject(DropMalformed, "no client message")
	}
	return m, relays, rejection{}
}

// link is the address that names the client's link (RFC 8415 §13.1): the
// link-address of the relay nearest the client that set one (a relay whose
// interface has no global address leaves it unspecified, §19.1.1), else
// for a direct message the receiving interface's address.
func (r *Responder) link(relays []*dhcpv6.RelayMessage, in Ingress) (netip.Addr, rejection) {
	for i := len(relays) - 1; i >= 0; i-- {
		a, ok := netip.AddrFromSlice(relays[i].LinkAddr)
		if ok && !a.IsUnspecified() && !a.IsLinkLocalUnicast() {
			return a.Unmap(), rejection{}
		}
	}
	if len(relays) > 0 {
		return netip.Addr{}, reject(DropNoLink, "relayed without a link-address: pxed cannot tell the client's link")
	}
	if !in.Addr.IsValid() {
		return netip.Addr{}, reject(DropNoLink, "interface %s has no global IPv6 address to tell its link", in.Iface)
	}
	return in.Addr, rejection{}
}

// turn is one message being decided.
type turn struct {
	r      *Responder
	plan   *plan // the configuration this message is decided by
	req    *dhcpv6.Message
	relays []*dhcpv6.RelayMessage
	in     Ingress
	sub    *subnetPlan
	link   netip.Addr
	duid   []byte // the client's DUID (option 1), nil when it sent none
	mac    net.HardwareAddr
	// macFrom says where mac came from.
	macFrom MACSource
	host    *catalog.Host
	boot    pxe.Boot
	pxe     pxe.Client
	now     time.Time
	// enterprise is the enterprise number of the client's vendor class
	// (option 16) that named its boot client, echoed with HTTPClient.
	enterprise uint32
}

// newTurn starts deciding req: who the client is and what the catalog says
// of it. It returns why req is not served when it fails RFC 8415 §16.
func (r *Responder) newTurn(req *dhcpv6.Message, relays []*dhcpv6.RelayMessage, in Ingress, p *plan, sub *subnetPlan, link netip.Addr) (turn, rejection) {
	t := turn{r: r, plan: p, req: req, relays: relays, in: in, sub: sub, link: link, now: r.now()}
	if o := req.Options.GetOne(dhcpv6.OptionClientID); o != nil {
		t.duid = o.ToBytes()
	}
	t.mac, t.macFrom = ClientMAC(identity(t.duid, relays, in))
	if rj := t.validate(); !rj.ok() {
		return t, rj
	}
	t.pxe, t.enterprise = classify(req)
	dec := r.Catalog().Resolve(t.mac, t.pxe, link)
	t.host, t.boot = dec.Host, dec.Boot
	return t, rejection{}
}

// identity is what ClientMAC reads of a message: for a relayed one, the
// client's address as the relay next to it saw it (its peer-address, RFC
// 8415 §19.1.1); the neighbour table speaks only of the receiving link.
func identity(duid []byte, relays []*dhcpv6.RelayMessage, in Ingress) Identity {
	id := Identity{DUID: duid, Relays: relays, Peer: in.Peer, Neighbour: in.Neighbour}
	if len(relays) > 0 {
		id.Peer, _ = netip.AddrFromSlice(relays[len(relays)-1].PeerAddr)
		id.Neighbour = nil
	}
	return id
}

// classify reads a client's network-boot identity as pxe.Classify does for
// DHCPv4, from the DHCPv6 options that carry the same facts: the vendor
// class (option 16, whose data is "PXEClient:Arch:..." or
// "HTTPClient:Arch:..." as option 60's), the client architecture (option
// 61, RFC 5970 §3.3, the same numbers as option 93) and the user class
// (option 15, "iPXE"). It returns the enterprise number of the vendor class
// that said PXEClient or HTTPClient.
func classify(req *dhcpv6.Message) (pxe.Client, uint32) {
	v4 := map[uint8][]byte{}
	var enterprise uint32
	for _, vc := range req.Options.VendorClasses() {
		for _, d := range vc.Data {
			if bytes.HasPrefix(d, []byte("PXEClient")) || bytes.HasPrefix(d, []byte("HTTPClient")) {
				if v4[pxe.OptVendorClass] == nil {
					v4[pxe.OptVendorClass], enterprise = d, vc.EnterpriseNumber
				}
			}
		}
	}
	if o := req.Options.GetOne(dhcpv6.OptionClientArchType); o != nil {
		v4[pxe.OptClientArch] = o.ToBytes()
	}
	for _, uc := range req.Options.UserClasses() {
		if string(uc) == "iPXE" {
			v4[pxe.OptUserClass] = uc
		}
	}
	return pxe.Classify(v4), enterprise
}

// validate applies RFC 8415 §16 (message validation) and §18.4 (unicast
// without a Server Unicast option, which pxed never sends) to the message.
func (t *turn) validate() rejection {
	sid := t.req.Options.GetOne(dhcpv6.OptionServerID)
	ours := sid != nil && bytes.Equal(sid.ToBytes(), t.r.serverID)
	mt := t.req.MessageType
	switch mt {
	case dhcpv6.MessageTypeSolicit, dhcpv6.MessageTypeConfirm, dhcpv6.MessageTypeRebind:
		// §16.2, §16.5, §16.7: a Client Identifier and no Server Identifier.
		if sid != nil {
			return reject(DropInvalid, "%s with a Server Identifier", mt)
		}
	case dhcpv6.MessageTypeRequest, dhcpv6.MessageTypeRenew, dhcpv6.MessageTypeDecline, dhcpv6.MessageTypeRelease:
		// §16.4, §16.6, §16.8, §16.9: for this server only.
		if !ours {
			return reject(DropInvalid, "%s for another server", mt)
		}
	case dhcpv6.MessageTypeInformationRequest:
		// §16.12: a Server Identifier, if any, must be ours; no IA.
		if sid != nil && !ours {
			return reject(DropInvalid, "%s for another server", mt)
		}
		if len(t.req.Options.Get(dhcpv6.OptionIANA)) > 0 || len(t.req.Options.Get(dhcpv6.OptionIATA)) > 0 {
			return reject(DropInvalid, "Information-request with an IA option")
		}
		return rejection{}
	default:
		return reject(DropNotForServer, "message type %s is not for a server", mt)
	}
	if t.duid == nil {
		return reject(DropInvalid, "%s without a Client Identifier", mt)
	}
	if len(t.duid) < 3 || len(t.duid) > 130 {
		// §11.1: a DUID is a 2-octet type and at most 128 octets more.
		return reject(DropInvalid, "Client Identifier of %d octets", len(t.duid))
	}
	if n := len(t.req.Options.Get(dhcpv6.OptionIANA)); n > maxIAs {
		return reject(DropTooManyIAs, "%d IA_NA options, more than %d", n, maxIAs)
	}
	for _, ia := range t.req.Options.IANA() {
		if n := len(ia.Options.Addresses()); n > maxIAAddrs {
			return reject(DropTooManyIAs, "IA_NA with %d addresses, more than %d", n, maxIAAddrs)
		}
	}
	return rejection{}
}

// unicastRefused is RFC 8415 §18.4: a message sent by unicast to a server
// that did not send a Server Unicast option. Request, Renew, Decline and
// Release are answered with UseMulticast, so the client sends again to
// ff02::1:2; Solicit, Confirm, Rebind and Information-request are dropped.
func (t *turn) unicastRefused() (Decision, bool) {
	if !t.in.Unicast || len(t.relays) > 0 {
		return Decision{}, false
	}
	switch t.req.MessageType {
	case dhcpv6.MessageTypeRequest, dhcpv6.MessageTypeRenew, dhcpv6.MessageTypeDecline, dhcpv6.MessageTypeRelease:
		resp := t.reply(dhcpv6.MessageTypeReply)
		resp.AddOption(status(iana.StatusUseMulticast, "send to ff02::1:2"))
		return Decision{Message: resp, Reason: "unicast: UseMulticast", Refused: true, Status: iana.StatusUseMulticast}, true
	}
	return reject(DropUnicast, "%s sent by unicast", t.req.MessageType).decision(), true
}

// decide hands the message to the handler of its type.
func (t *turn) decide() Decision {
	if d, done := t.unicastRefused(); done {
		return d
	}
	switch t.req.MessageType {
	case dhcpv6.MessageTypeSolicit:
		return t.solicit()
	case dhcpv6.MessageTypeRequest:
		return t.request()
	case dhcpv6.MessageTypeRenew, dhcpv6.MessageTypeRebind:
		return t.extend()
	case dhcpv6.MessageTypeConfirm:
		return t.confirm()
	case dhcpv6.MessageTypeRelease:
		return t.release()
	case dhcpv6.MessageTypeDecline:
		return t.decline()
	case dhcpv6.MessageTypeInformationRequest:
		return t.inform()
	}
	return reject(DropNotForServer, "message type %s is not for a server", t.req.MessageType).decision()
}

// client is the lease identity of the IA with iaid: the DUID and the IAID
// (RFC 8415 §12: an IA is identified by the pair), prefixed so that it can
// never equal a DHCPv4 client identifier.
func (t *turn) client(iaid [4]byte) lease.Client {
	id := make([]byte, 0, 3+len(t.duid)+4)
	id = append(append(append(id, "v6:"...), t.duid...), iaid[:]...)
	return lease.Client{ID: id, MAC: t.mac}
}

// holder is the lease identity under which ip is bound to the IA with
// iaid. A pool address is bound to the IA (client). The host's reserved
// ip6 is bound to the host, by its MAC, whatever DUID and IAID ask for
// it: an IA is the client's unit of address management (RFC 8415 §12,
// §21.4), but a reservation is the machine's, and one machine may run
// several DHCPv6 clients on one interface. EDK2 does: with the RA's M
// flag its IPv6 stack (Ip6Config) solicits with one IAID, then its PXE or
// HTTP Boot client with another and the same DUID, each in an exchange of
// its own. Bound per IA, the second Request would find the address taken
// by the first IA and get NoAddrsAvail (§18.3.2), and HTTP Boot hangs
// retrying it (docs/firmware.md). The store keeps one lease per address,
// so the host's IAs share one record: any of them renews, releases or
// declines it. "v6h:" never starts a "v6:" identity.
func (t *turn) holder(iaid [4]byte, ip netip.Addr) lease.Client {
	if f, ok := t.fixed(); ok && ip == f && t.mac != nil {
		id := append([]byte("v6h:"), t.mac...)
		return lease.Client{ID: id, MAC: t.mac}
	}
	return t.client(iaid)
}

// fixed is the host's reserved ip6 when it lies in this subnet.
func (t *turn) fixed() (netip.Addr, bool) {
	if t.host != nil && t.host.IP6.IsValid() && t.sub.prefix.Contains(t.host.IP6.Addr) {
		return t.host.IP6.Addr, true
	}
	return netip.Addr{}, false
}

// hint is the first address the client put in the IA, if any.
func hint(ia *dhcpv6.OptIANA) netip.Addr {
	for _, a := range ia.Options.Addresses() {
		if v, ok := netip.AddrFromSlice(a.IPv6Addr); ok {
			return v.Unmap()
		}
	}
	return netip.Addr{}
}

// assignable reports whether ip may be given to client c: its host's
// reservation if it has one, else a pool address no one else holds.
func (t *turn) assignable(ip netip.Addr, c lease.Client) bool {
	if !t.sub.prefix.Contains(ip) {
		return false
	}
	if f, ok := t.fixed(); ok {
		return ip == f
	}
	if !lease.InRanges(t.sub.pools, ip) {
		return false
	}
	if l, ok := t.r.alloc.Get(ip); ok && l.State == lease.Declined && l.Active(t.now) {
		return false
	}
	return t.r.alloc.Available(ip, c)
}

// choose finds the address for one IA: the reservation, else the address
// the client asks for if it may have it, else one the allocator offers
// (which keeps it for the client for the offer hold).
func (t *turn) choose(ia *dhcpv6.OptIANA, first bool) (netip.Addr, error) {
	c := t.client(ia.IaId)
	// One reservation, one IA per message: a client asking for two
	// addresses at once gets its reserved one in the first IA and pool
	// addresses in the others. An IA that asks in an exchange of its own
	// gets the reservation too, bound to the host (holder).
	f, reserved := t.fixed()
	if reserved && first {
		return f, nil
	}
	if h := hint(ia); h.IsValid() && h != f && t.assignable(h, c) {
		return h, nil
	}
	if len(t.sub.pools) == 0 {
		return netip.Addr{}, fmt.Errorf("no pool on %s: %w", t.sub.prefix, lease.ErrExhausted)
	}
	return t.r.alloc.Offer(c, t.sub.pools, netip.Addr{})
}

// assign answers every IA_NA of the message with an address (or
// NoAddrsAvail), and returns the leases to commit when commit is set.
func (t *turn) assign(resp *dhcpv6.Message, commit bool) (leases []lease.Lease, given int, exhausted bool) {
	for i, ia := range t.req.Options.IANA() {
		out := &dhcpv6.OptIANA{IaId: ia.IaId}
		ip, err := t.choose(ia, i == 0)
		if err != nil {
			exhausted = exhausted || errors.Is(err, lease.ErrExhausted)
			// RFC 8415 §18.3.1, §18.3.2: the IA with no address and
			// NoAddrsAvail.
			out.Options.Add(status(iana.StatusNoAddrsAvail, "no address for this client on "+t.sub.prefix.String()))
			resp.AddOption(out)
			continue
		}
		t.grant(out, ip)
		// An address the client asked for and does not get is returned
		// with lifetimes 0 (RFC 8415 §18.3.2, §18.3.4), so it stops using it.
		if h := hint(ia); h.IsValid() && h != ip {
			out.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: h.AsSlice()})
		}
		resp.AddOption(out)
		given++
		if commit {
			leases = append(leases, t.lease(ia.IaId, ip))
		}
	}
	return leases, given, exhausted
}

// grant puts ip in ia with the subnet's lifetimes; T1 and T2 at 0.5 and
// 0.8 of the preferred lifetime (RFC 8415 §21.4).
func (t *turn) grant(ia *dhcpv6.OptIANA, ip netip.Addr) {
	lt := t.sub.lifetime
	ia.T1, ia.T2 = lt/2, lt*4/5
	ia.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: ip.AsSlice(), PreferredLifetime: lt, ValidLifetime: lt})
}

func (t *turn) lease(iaid [4]byte, ip netip.Addr) lease.Lease {
	c := t.holder(iaid, ip)
	l := lease.Lease{IP: ip, MAC: c.MAC, ClientID: c.ID, State: lease.Bound, Expires: t.now.Add(t.sub.lifetime)}
	if t.host != nil {
		l.Hostname = t.host.Name
	}
	return l
}

// solicit answers a Solicit (RFC 8415 §18.3.1) with an Advertise, or with
// a Reply when the client asks for Rapid Commit and pxed is configured to
// give it (§21.14): then the leases are committed as for a Request.
func (t *turn) solicit() Decision {
	rapid := t.plan.rapidCommit && t.req.GetOneOption(dhcpv6.OptionRapidCommit) != nil
	mt := dhcpv6.MessageTypeAdvertise
	if rapid {
		mt = dhcpv6.MessageTypeReply
	}
	resp := t.reply(mt)
	leases, given, exhausted := t.assign(resp, rapid)
	if given == 0 {
		// §18.3.1: with nothing to give, an Advertise with NoAddrsAvail
		// (never a committing Reply), so the client looks elsewhere.
		resp = t.reply(dhcpv6.MessageTypeAdvertise)
		t.assign(resp, false)
		resp.AddOption(status(iana.StatusNoAddrsAvail, "no addresses available"))
		t.options(resp)
		return Decision{Message: resp, Reason: "advertise: NoAddrsAvail", Exhausted: exhausted, Refused: true, Status: iana.StatusNoAddrsAvail}
	}
	t.options(resp)
	if rapid {
		resp.AddOption(&dhcpv6.OptionGeneric{OptionCode: dhcpv6.OptionRapidCommit})
		return Decision{Message: resp, Commit: leases, Reason: "rapid commit reply"}
	}
	// §18.3.1: the Preference option, so a client with several servers
	// can choose; 255 tells it to stop waiting for others (§18.2.1).
	resp.AddOption(dhcpv6.OptPreference(t.plan.preference))
	return Decision{Message: resp, Reason: "advertise"}
}

// request answers a Request (RFC 8415 §18.3.2): an address for every IA
// it can serve, committed before the Reply.
func (t *turn) request() Decision {
	resp := t.reply(dhcpv6.MessageTypeReply)
	leases, given, exhausted := t.assign(resp, true)
	t.options(resp)
	if given == 0 {
		return Decision{Message: resp, Reason: "request: NoAddrsAvail", Exhausted: exhausted, Refused: true, Status: iana.StatusNoAddrsAvail}
	}
	return Decision{Message: resp, Commit: leases, Reason: "request reply"}
}

// extend answers a Renew (RFC 8415 §18.3.4) or a Rebind (§18.3.5): each IA
// the client holds here gets its address with new lifetimes; an IA pxed
// has no binding for gets NoBinding; addresses that are not (or no
// longer) the client's come back with lifetimes 0.
func (t *turn) extend() Decision {
	resp := t.reply(dhcpv6.MessageTypeReply)
	var leases []lease.Lease
	for _, ia := range t.req.Options.IANA() {
		out := &dhcpv6.OptIANA{IaId: ia.IaId}
		l, bound := t.binding(ia.IaId)
		if bound {
			t.grant(out, l.IP)
			leases = append(leases, t.lease(ia.IaId, l.IP))
		} else {
			out.Options.Add(status(iana.StatusNoBinding, "no binding for this IA"))
		}
		for _, a := range ia.Options.Addresses() {
			if v, ok := netip.AddrFromSlice(a.IPv6Addr); ok && (!bound || v.Unmap() != l.IP) {
				out.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: a.IPv6Addr})
			}
		}
		resp.AddOption(out)
	}
	t.options(resp)
	what := "renew"
	if t.req.MessageType == dhcpv6.MessageTypeRebind {
		what = "rebind"
	}
	if len(leases) == 0 {
		return Decision{Message: resp, Reason: what + ": NoBinding", Refused: true, Status: iana.StatusNoBinding}
	}
	return Decision{Message: resp, Commit: leases, Reason: what + " reply"}
}

// binding is the lease the IA with iaid holds here, if it is still the
// client's to have: a pool address bound to the IA, else the host's
// reservation bound to the host (holder). An address that is neither (a
// reservation that moved) is no binding: it goes back with lifetimes 0
// and the client starts over.
func (t *turn) binding(iaid [4]byte) (lease.Lease, bool) {
	live := func(l lease.Lease) bool { return l.State == lease.Bound && l.Active(t.now) }
	if l, ok := t.r.alloc.Lookup(t.client(iaid)); ok && live(l) && lease.InRanges(t.sub.pools, l.IP) {
		return l, true
	}
	if f, ok := t.fixed(); ok {
		if l, ok := t.r.alloc.Get(f); ok && live(l) && l.Holds(t.holder(iaid, f)) {
			return l, true
		}
	}
	return lease.Lease{}, false
}

// confirm answers a Confirm (RFC 8415 §18.3.3): whether the addresses the
// client has are on the link it is on now. With no address to check, no
// reply.
func (t *turn) confirm() Decision {
	n := 0
	for _, ia := range t.req.Options.IANA() {
		for _, a := range ia.Options.Addresses() {
			n++
			v, ok := netip.AddrFromSlice(a.IPv6Addr)
			if !ok || !t.sub.prefix.Contains(v.Unmap()) {
				resp := t.reply(dhcpv6.MessageTypeReply)
				resp.AddOption(status(iana.StatusNotOnLink, fmt.Sprintf("%s is not on %s", a.IPv6Addr, t.sub.prefix)))
				return Decision{Message: resp, Reason: "confirm: NotOnLink", Refused: true, Status: iana.StatusNotOnLink}
			}
		}
	}
	if n == 0 {
		return reject(DropInvalid, "Confirm with no address").decision()
	}
	resp := t.reply(dhcpv6.MessageTypeReply)
	resp.AddOption(status(iana.StatusSuccess, "on link"))
	return Decision{Message: resp, Reason: "confirm: on link"}
}

// end releases or declines the client's addresses in every IA (RFC 8415
// §18.3.7, §18.3.8): an address it holds is recorded in state, until
// until; an IA of which it holds none gets NoBinding. The Reply carries
// Success.
func (t *turn) end(state lease.State, until time.Time, what string) Decision {
	resp := t.reply(dhcpv6.MessageTypeReply)
	var leases []lease.Lease
	for _, ia := range t.req.Options.IANA() {
		held := false
		for _, a := range ia.Options.Addresses() {
			v, ok := netip.AddrFromSlice(a.IPv6Addr)
			if !ok {
				continue
			}
			l, ok := t.r.alloc.Get(v.Unmap())
			if !ok || !l.Holds(t.holder(ia.IaId, v.Unmap())) || l.State != lease.Bound {
				continue
			}
			held = true
			l.State, l.Expires = state, until
			leases = append(leases, l)
		}
		if !held {
			resp.AddOption(&dhcpv6.OptIANA{IaId: ia.IaId, Options: dhcpv6.IdentityOptions{Options: dhcpv6.Options{
				status(iana.StatusNoBinding, "no binding for this IA")}}})
		}
	}
	resp.AddOption(status(iana.StatusSuccess, what))
	return Decision{Message: resp, Commit: leases, Reason: fmt.Sprintf("%s %d address(es)", what, len(leases))}
}

func (t *turn) release() Decision { return t.end(lease.Released, t.now, "released") }

func (t *turn) decline() Decision {
	return t.end(lease.Declined, t.now.Add(t.plan.declineHold), "declined")
}

// inform answers an Information-request (RFC 8415 §18.3.6): the options
// and boot information, no address.
func (t *turn) inform() Decision {
	resp := t.reply(dhcpv6.MessageTypeReply)
	t.options(resp)
	return Decision{Message: resp, Reason: "information reply"}
}

// reply starts a reply of type mt: the transaction ID, the Client
// Identifier copied and pxed's Server Identifier (RFC 8415 §18.3).
func (t *turn) reply(mt dhcpv6.MessageType) *dhcpv6.Message {
	resp := &dhcpv6.Message{MessageType: mt, TransactionID: t.req.TransactionID}
	if t.duid != nil {
		// As sent, byte for byte.
		resp.AddOption(&dhcpv6.OptionGeneric{OptionCode: dhcpv6.OptionClientID, OptionData: t.duid})
	}
	resp.AddOption(dhcpv6.OptServerID(t.r.duid))
	return resp
}

// options adds what the client asked for in its Option Request option
// (RFC 8415 §21.7): DNS servers (23) and the domain search list (24) of
// the subnet; then the boot information (bootOptions).
func (t *turn) options(resp *dhcpv6.Message) {
	oro := t.req.Options.RequestedOptions()
	if t.sub.dns != nil && oro.Contains(dhcpv6.OptionDNSRecursiveNameServer) {
		resp.AddOption(t.sub.dns)
	}
	if t.sub.search != nil && oro.Contains(dhcpv6.OptionDomainSearchList) {
		resp.AddOption(t.sub.search)
	}
	t.bootOptions(resp, oro)
}

func status(code iana.StatusCode, msg string) *dhcpv6.OptStatusCode {
	return &dhcpv6.OptStatusCode{StatusCode: code, StatusMessage: msg}
}

// granted lists the addresses m gives with a non-zero valid lifetime.
func granted(m *dhcpv6.Message) []netip.Addr {
	var out []netip.Addr
	for _, ia := range m.Options.IANA() {
		for _, a := range ia.Options.Addresses() {
			if v, ok := netip.AddrFromSlice(a.IPv6Addr); ok && a.ValidLifetime > 0 {
				out = append(out, v.Unmap())
			}
		}
	}
	return out
}
