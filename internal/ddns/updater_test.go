package ddns

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zoneServer is an authoritative server of one forward and one reverse
// zone on 127.0.0.1 that takes RFC 2136 updates signed with its key, as
// BIND's allow-update { key ...; } does: prerequisites (§3.2) checked
// before any change (§3.4), all or nothing.
type zoneServer struct {
	addr  string
	mu    sync.Mutex
	rrs   []dns.RR
	zones []string
	srv   *dns.Server
	// unsigned counts updates refused for their signature.
	unsigned int
}

func newZoneServer(t *testing.T, key Key, zones ...string) *zoneServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &zoneServer{addr: pc.LocalAddr().String(), zones: zones}
	z.srv = &dns.Server{PacketConn: pc, TsigSecret: map[string]string{key.Name: key.Secret}, Handler: z, MsgAcceptFunc: acceptAll}
	started := make(chan struct{})
	z.srv.NotifyStartedFunc = func() { close(started) }
	go z.srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { z.srv.Shutdown() })
	return z
}

// acceptAll lets UPDATE through: miekg/dns's default answers NOTIMP to
// every opcode but QUERY and NOTIFY.
func acceptAll(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }

func (z *zoneServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	if t := r.IsTsig(); t != nil {
		if w.TsigStatus() == nil {
			m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
		}
	}
	m.Rcode = z.apply(r, w.TsigStatus())
	w.WriteMsg(m)
}

func (z *zoneServer) apply(r *dns.Msg, sig error) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	if r.Opcode != dns.OpcodeUpdate || len(r.Question) != 1 {
		return dns.RcodeRefused
	}
	if r.IsTsig() == nil || sig != nil {
		z.unsigned++
		return dns.RcodeNotAuth
	}
	zone := r.Question[0].Name
	found := false
	for _, n := range z.zones {
		found = found || dns.CanonicalName(n) == zone
	}
	if !found {
		return dns.RcodeNotAuth
	}
	// RFC 2136 §3.2: prerequisites.
	for _, p := range r.Answer {
		h := p.Header()
		switch {
		case h.Class == dns.ClassANY && h.Rrtype == dns.TypeANY: // §2.4.4 name in use
			if len(z.find(h.Name, 0)) == 0 {
				return dns.RcodeNameError
			}
		case h.Class == dns.ClassNONE && h.Rrtype == dns.TypeANY: // §2.4.5 name not in use
			if len(z.find(h.Name, 0)) > 0 {
				return dns.RcodeYXDomain
			}
		case h.Class == dns.ClassANY: // §2.4.1 RRset exists
			if len(z.find(h.Name, h.Rrtype)) == 0 {
				return dns.RcodeNXRrset
			}
		case h.Class == dns.ClassNONE: // §2.4.3 RRset does not exist
			if len(z.find(h.Name, h.Rrtype)) > 0 {
				return dns.RcodeYXRrset
			}
		default: // §2.4.2 RRset exists, value dependent
			if !z.has(p) {
				return dns.RcodeNXRrset
			}
		}
	}
	// §3.4.2: the updates.
	for _, u := range r.Ns {
		h := u.Header()
		switch h.Class {
		case dns.ClassANY:
			z.drop(func(rr dns.RR) bool {
				return strings.EqualFold(rr.Header().Name, h.Name) && (h.Rrtype == dns.TypeANY || rr.Header().Rrtype == h.Rrtype)
			})
		case dns.ClassNONE:
			z.drop(func(rr dns.RR) bool { return sameRR(rr, u) })
		default:
			if !z.has(u) {
				z.rrs = append(z.rrs, dns.Copy(u))
			}
		}
	}
	return dns.RcodeSuccess
}

func (z *zoneServer) find(name string, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range z.rrs {
		if strings.EqualFold(rr.Header().Name, name) && (t == 0 || rr.Header().Rrtype == t) {
			out = append(out, rr)
		}
	}
	return out
}

func (z *zoneServer) has(p dns.RR) bool {
	for _, rr := range z.rrs {
		if sameRR(rr, p) {
			return true
		}
	}
	return false
}

func (z *zoneServer) drop(f func(dns.RR) bool) {
	kept := z.rrs[:0]
	for _, rr := range z.rrs {
		if !f(rr) {
			kept = append(kept, rr)
		}
	}
	z.rrs = kept
}

func sameRR(a, b dns.RR) bool {
	a, b = dns.Copy(a), dns.Copy(b)
	for _, rr := range []dns.RR{a, b} {
		rr.Header().Class, rr.Header().Ttl, rr.Header().Name = dns.ClassINET, 0, dns.CanonicalName(rr.Header().Name)
	}
	return dns.IsDuplicate(a, b)
}

// records lists the zone as "name type rdata" lines, sorted by insertion.
func (z *zoneServer) records(name string) []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	var out []string
	for _, rr := range z.find(name, 0) {
		f := strings.Fields(rr.String())
		out = append(out, f[3]+" "+strings.Join(f[4:], " "))
	}
	return out
}

func (z *zoneServer) add(t *testing.T, s string) {
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	z.mu.Lock()
	z.rrs = append(z.rrs, rr)
	z.mu.Unlock()
}

var testKey = Key{Name: "ddns-key.", Algorithm: dns.HmacSHA256, Secret: "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startUpdater(t *testing.T, ex Exchanger, recorded []Lease, o Options) *Updater {
	t.Helper()
	o.Zones = Zones{Forward: "test.lan", Reverse: []string{"1.168.192.in-addr.arpa"}, TTL: 300}
	o.Exchanger = ex
	u := New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx, recorded); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return u
}

var (
	mac02 = net.HardwareAddr{0x00, 0x18, 0xe7, 0x42, 0x85, 0x21}
	mac03 = net.HardwareAddr{0x00, 0x18, 0xe7, 0x42, 0x85, 0x22}
	ip102 = netip.MustParseAddr("192.168.1.102")
	ip103 = netip.MustParseAddr("192.168.1.103")
)

func TestUpdaterAddsGuardsAndRemoves(t *testing.T) {
	z := newZoneServer(t, testKey, "test.lan", "1.168.192.in-addr.arpa")
	// The operator's own record: never to be overwritten.
	z.add(t, "station-03.test.lan. 3600 IN A 192.168.1.250")
	u := startUpdater(t, &Client{Servers: []string{z.addr}, Key: testKey}, nil, Options{})

	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "station-02 added", func() bool { return u.Counts().Results[OK] == 1 })
	dhcid := DHCID(Identifier(mac02, nil), "station-02.test.lan")
	want := []string{"A 192.168.1.102", "DHCID " + dhcid}
	if got := z.records("station-02.test.lan."); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("station-02.test.lan: %q, want %q", got, want)
	}
	if got := z.records("102.1.168.192.in-addr.arpa."); len(got) != 1 || got[0] != "PTR station-02.test.lan." {
		t.Errorf("PTR: %q", got)
	}

	// station-03's name is the operator's: a conflict, nothing changed.
	u.Observe(Lease{IP: ip103, MAC: mac03, Name: "station-03", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "station-03's conflict", func() bool { return u.Counts().Results[Conflict] == 1 })
	if got := z.records("station-03.test.lan."); len(got) != 1 || got[0] != "A 192.168.1.250" {
		t.Errorf("the operator's station-03.test.lan became %q", got)
	}
	if got := z.records("103.1.168.192.in-addr.arpa."); len(got) != 0 {
		t.Errorf("PTR of a conflicted name: %q", got)
	}

	// Another machine asking for station-02's name: a conflict too.
	u.Observe(Lease{IP: netip.MustParseAddr("192.168.1.104"), MAC: mac03, Name: "station-02", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "the second conflict", func() bool { return u.Counts().Results[Conflict] == 2 })
	if got := z.records("station-02.test.lan."); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("station-02.test.lan taken by another client: %q", got)
	}

	// A renewal changes nothing in DNS and counts nothing.
	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(2 * time.Hour)})
	// The release: the names go.
	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now(), Ended: true})
	waitFor(t, "station-02 removed", func() bool { return u.Counts().Results[OK] == 2 })
	if got := z.records("station-02.test.lan."); len(got) != 0 {
		t.Errorf("station-02.test.lan after release: %q", got)
	}
	if got := z.records("102.1.168.192.in-addr.arpa."); len(got) != 0 {
		t.Errorf("PTR after release: %q", got)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.unsigned != 0 {
		t.Errorf("%d updates refused for their signature", z.unsigned)
	}
}

func TestUpdaterExpiresAndRestarts(t *testing.T) {
	z := newZoneServer(t, testKey, "test.lan", "1.168.192.in-addr.arpa")
	// pxed was down: station-02's lease ended meanwhile, its names
	// still in DNS; station-03's lease is active and not in DNS.
	old := Record{Name: "station-02.test.lan.", Forward: "test.lan.", IP: ip102, TTL: 300,
		DHCID: DHCID(Identifier(mac02, nil), "station-02.test.lan"), Reverse: "102.1.168.192.in-addr.arpa.", ReverseZone: "1.168.192.in-addr.arpa."}
	z.mu.Lock()
	z.rrs = append(z.rrs, old.a(), old.dhcid(), old.ptr())
	z.mu.Unlock()
	recorded := []Lease{
		{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(-time.Minute), Ended: true},
		{IP: ip103, MAC: mac03, Name: "station-03", Expires: time.Now().Add(300 * time.Millisecond)},
	}
	u := startUpdater(t, &Client{Servers: []string{z.addr}, Key: testKey}, recorded, Options{})
	waitFor(t, "the start's work", func() bool { return u.Counts().Results[OK] == 2 })
	if got := z.records("station-02.test.lan."); len(got) != 0 {
		t.Errorf("ended lease's name kept: %q", got)
	}
	if got := z.records("station-03.test.lan."); len(got) != 2 {
		t.Errorf("active lease's name: %q", got)
	}
	// station-03's lease expires while the Updater runs: its names go.
	waitFor(t, "station-03's expiry", func() bool { return u.Counts().Results[OK] == 3 })
	if got := z.records("station-03.test.lan."); len(got) != 0 {
		t.Errorf("expired lease's name kept: %q", got)
	}
}

func TestUpdaterRetriesAndRefusesWrongKey(t *testing.T) {
	z := newZoneServer(t, testKey, "test.lan", "1.168.192.in-addr.arpa")
	// A signature by another key: the server refuses, pxed retries, gives up.
	wrong := testKey
	wrong.Secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	u := startUpdater(t, &Client{Servers: []string{z.addr}, Key: wrong}, nil,
		Options{Retry: Retry{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}})
	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "the wrong key's failure", func() bool { return u.Counts().Results[Failed] == 1 })
	if c := u.Counts(); c.Retries != 2 || c.Results[OK] != 0 {
		t.Errorf("counts %+v, want 2 retries and nothing ok", c)
	}
	if got := z.records("station-02.test.lan."); len(got) != 0 {
		t.Errorf("an update signed by the wrong key changed the zone: %q", got)
	}
	z.mu.Lock()
	refused := z.unsigned
	z.mu.Unlock()
	if refused != 3 {
		t.Errorf("the server refused %d updates for their signature, want 3 (one per attempt)", refused)
	}

	// No server at first (a port with nothing behind it), then the
	// server comes: the update arrives by the retries.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	u = startUpdater(t, &Client{Servers: []string{addr}, Key: testKey, Timeout: 50 * time.Millisecond}, nil,
		Options{Retry: Retry{Base: 20 * time.Millisecond, Max: 50 * time.Millisecond}})
	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "a retry", func() bool { return u.Counts().Retries >= 1 })
	pc, err = net.ListenPacket("udp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	back := &zoneServer{addr: addr, zones: []string{"test.lan", "1.168.192.in-addr.arpa"}}
	back.srv = &dns.Server{PacketConn: pc, TsigSecret: map[string]string{testKey.Name: testKey.Secret}, Handler: back, MsgAcceptFunc: acceptAll}
	go back.srv.ActivateAndServe()
	defer back.srv.Shutdown()
	waitFor(t, "the update once the server is back", func() bool { return u.Counts().Results[OK] == 1 })
	if got := back.records("station-02.test.lan."); len(got) != 2 {
		t.Errorf("station-02.test.lan: %q", got)
	}
}

func TestObserveNeverWaits(t *testing.T) {
	// No worker runs: the queue fills, then drops.
	u := New(Options{Queue: 2})
	start := time.Now()
	for range 5 {
		u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02"})
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Observe took %s", d)
	}
	if c := u.Counts(); c.Results[Dropped] != 3 || c.Queued != 2 {
		t.Errorf("counts %+v, want 3 dropped, 2 queued", c)
	}
}

// TestClientRefusesUnsignedSuccess: an answer of success without a
// signature (a forged or misconfigured server) is no update made.
func TestClientRefusesUnsignedSuccess(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, MsgAcceptFunc: acceptAll, TsigSecret: map[string]string{testKey.Name: testKey.Secret},
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			w.WriteMsg(m)
		})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	c := &Client{Servers: []string{pc.LocalAddr().String()}, Key: testKey, Timeout: time.Second}
	r, _ := Plan(Zones{Forward: "test.lan"}, Lease{IP: ip102, MAC: mac02, Name: "station-02"})
	if rc, err := c.Exchange(context.Background(), addNew(r)); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("unsigned success: rcode %d, error %v; want an error", rc, err)
	}
}

// TestUpdaterReconfigure: a rotated key reaches the updates already
// waiting (their retries are sent with it, nothing is lost); turned off,
// the Updater leaves DNS alone; turned on again, Resync puts right what
// came meanwhile.
func TestUpdaterReconfigure(t *testing.T) {
	rotated := Key{Name: "ddns-key-2.", Algorithm: dns.HmacSHA256, Secret: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
	// The server knows only the new key: the operator rotated it there first.
	z := newZoneServer(t, rotated, "test.lan", "1.168.192.in-addr.arpa")
	u := startUpdater(t, &Client{Servers: []string{z.addr}, Key: testKey}, nil,
		Options{Retry: Retry{Attempts: 1000, Base: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
	zones := Zones{Forward: "test.lan", Reverse: []string{"1.168.192.in-addr.arpa"}, TTL: 300}

	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "a retry with the old key", func() bool { return u.Counts().Retries >= 1 })
	u.Reconfigure(zones, &Client{Servers: []string{z.addr}, Key: rotated})
	waitFor(t, "station-02 added with the new key", func() bool { return u.Counts().Results[OK] == 1 })
	if got := z.records("station-02.test.lan."); len(got) != 2 {
		t.Errorf("station-02.test.lan: %q", got)
	}
	if c := u.Counts(); c.Results[Failed] != 0 {
		t.Errorf("counts %+v: an update was lost in the rotation", c)
	}

	// Off: a release changes nothing in DNS.
	u.Reconfigure(zones, nil)
	u.Observe(Lease{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now(), Ended: true})
	u.Observe(Lease{IP: ip103, MAC: mac03, Name: "station-03", Expires: time.Now().Add(time.Hour)})
	waitFor(t, "the queue taken", func() bool { return u.Counts().Queued == 0 })
	time.Sleep(50 * time.Millisecond)
	if got := z.records("station-02.test.lan."); len(got) != 2 {
		t.Errorf("updates off, yet station-02.test.lan became %q", got)
	}
	if got := z.records("station-03.test.lan."); len(got) != 0 {
		t.Errorf("updates off, yet station-03.test.lan became %q", got)
	}

	// On again: the recorded leases say station-02 ended, station-03 holds.
	u.Reconfigure(zones, &Client{Servers: []string{z.addr}, Key: rotated})
	u.Resync([]Lease{
		{IP: ip102, MAC: mac02, Name: "station-02", Expires: time.Now().Add(-time.Second), Ended: true},
		{IP: ip103, MAC: mac03, Name: "station-03", Expires: time.Now().Add(time.Hour)},
	})
	waitFor(t, "the resync", func() bool { return u.Counts().Results[OK] == 3 })
	if got := z.records("station-02.test.lan."); len(got) != 0 {
		t.Errorf("station-02.test.lan after the resync: %q", got)
	}
	if got := z.records("station-03.test.lan."); len(got) != 2 {
		t.Errorf("station-03.test.lan after the resync: %q", got)
	}
}
