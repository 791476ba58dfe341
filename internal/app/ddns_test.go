package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
	"golang.org/x/sync/errgroup"

	"github.com/pxed/pxed/internal/ddns"
	"github.com/pxed/pxed/internal/lease"
)

// TestNamedStore: every DHCPv4 lease with a name that the store records
// reaches the DNS updater (bound or ended); DHCPv6 leases, leases without
// a name and commits the store refused do not.
func TestNamedStore(t *testing.T) {
	mem := lease.NewMem(time.Now)
	u := ddns.New(ddns.Options{}) // no worker: what Observe took waits in the queue
	s := &namedStore{Store: mem, u: u}
	s.on.Store(u)
	ctx := context.Background()
	mac := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x21}
	other := net.HardwareAddr{0, 0x18, 0xe7, 0x42, 0x85, 0x22}
	exp := time.Now().Add(time.Hour)
	commits := []struct {
		l      lease.Lease
		queued bool
	}{
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: mac, Hostname: "station-02", State: lease.Bound, Expires: exp}, true},
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.102"), MAC: mac, Hostname: "station-02", State: lease.Released, Expires: time.Now()}, true},
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.150"), MAC: other, State: lease.Bound, Expires: exp}, false},
		{lease.Lease{IP: netip.MustParseAddr("2001:db8::5"), MAC: mac, ClientID: append([]byte("v6:\x00\x03\x00\x01"), 0, 0, 0, 1), Hostname: "station-02", State: lease.Bound, Expires: exp}, false},
		// Another client's address, still bound: the store refuses it.
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.151"), MAC: mac, Hostname: "a", State: lease.Bound, Expires: exp}, true},
		{lease.Lease{IP: netip.MustParseAddr("192.168.1.151"), MAC: other, Hostname: "b", State: lease.Bound, Expires: exp}, false},
	}
	want := 0
	for i, c := range commits {
		err := s.Commit(ctx, c.l)
		if c.queued {
			want++
			if err != nil {
				t.Fatalf("commit %d: %v", i, err)
			}
		}
		if got := u.Counts().Queued; got != want {
			t.Errorf("after commit %d (%s %s): %d queued, want %d", i, c.l.IP, c.l.State, got, want)
		}
	}
}

// signers is a DNS server on 127.0.0.1 that takes every update signed by
// one of its keys and records the key's name: which key signed what.
type signers struct {
	addr string
	mu   sync.Mutex
	by   map[string][]string // name updated → keys that signed, in order
}

func newSigners(t *testing.T, keys ...ddns.Key) *signers {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &signers{addr: pc.LocalAddr().String(), by: map[string][]string{}}
	secrets := map[string]string{}
	for _, k := range keys {
		secrets[k.Name] = k.Secret
	}
	srv := &dns.Server{PacketConn: pc, TsigSecret: secrets,
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			tsig := r.IsTsig()
			if tsig == nil || w.TsigStatus() != nil {
				m.Rcode = dns.RcodeNotAuth
				w.WriteMsg(m)
				return
			}
			m.SetTsig(tsig.Hdr.Name, tsig.Algorithm, 300, time.Now().Unix())
			s.mu.Lock()
			for _, rr := range r.Ns {
				if rr.Header().Rrtype == dns.TypeA {
					s.by[rr.Header().Name] = append(s.by[rr.Header().Name], tsig.Hdr.Name)
				}
			}
			s.mu.Unlock()
			w.WriteMsg(m)
		})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

func (s *signers) signedBy(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.by[name])
}

func writeKey(t *testing.T, path string, k ddns.Key) {
	t.Helper()
	src := fmt.Sprintf("key %q {\n\talgorithm hmac-sha256;\n\tsecret %q;\n};\n", strings.TrimSuffix(k.Name, "."), k.Secret)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReloadDNSUpdates: a key rotated in the same key file applies at the
// reload and is said to have changed; a key file that cannot be read is
// refused and the key signing stays; dns_updates removed turns updates
// off, and put back turns them on again.
func TestReloadDNSUpdates(t *testing.T) {
	t.Parallel()
	oldKey := ddns.Key{Name: "pxed-old.", Algorithm: dns.HmacSHA256, Secret: "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="}
	newKey := ddns.Key{Name: "pxed-new.", Algorithm: dns.HmacSHA256, Secret: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
	srv := newSigners(t, oldKey, newKey)
	f := newReloadFixture(t)
	keyFile := filepath.Join(filepath.Dir(f.file), "ddns.key")
	writeKey(t, keyFile, oldKey)
	withDNS := strings.Replace(reloadBase, "hosts:\n", fmt.Sprintf("dns_updates:\n  servers: [%q]\n  key_file: %s\n  forward_zone: test.lan\nhosts:\n", srv.addr, keyFile), 1)
	f.write(t, withDNS)
	if res := f.s.Reload(context.Background()); !res.Applied {
		t.Fatalf("reload refused: %v", res.Problems)
	}
	// The fixture's pxed started without DNS updates: start them as Run does.
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	t.Cleanup(func() { cancel(); g.Wait() })
	f.s.g = g
	f.s.cfg = f.s.live.Load()
	store, err := f.s.openDNSUpdates(gctx, lease.NewMem(time.Now))
	if err != nil {
		t.Fatal(err)
	}
	mac := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x20}
	n := 0
	commit := func(name string) {
		t.Helper()
		n++
		l := lease.Lease{IP: netip.AddrFrom4([4]byte{192, 168, 1, byte(150 + n)}), MAC: append(slices.Clone(mac[:5]), byte(n)),
			Hostname: name, State: lease.Bound, Expires: time.Now().Add(time.Hour)}
		if err := store.Commit(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	waitSigned := func(name string, want []string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !slices.Equal(srv.signedBy(name), want) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := srv.signedBy(name); !slices.Equal(got, want) {
			t.Errorf("%s signed by %q, want %q", name, got, want)
		}
	}
	commit("station-20")
	waitSigned("station-20.test.lan.", []string{"pxed-old."})

	// The key rotated in the same file.
	writeKey(t, keyFile, newKey)
	res := f.s.Reload(context.Background())
	if !res.Applied {
		t.Fatalf("reload with the rotated key refused: %v", res.Problems)
	}
	if d := cmp.Diff([]string{"dns_updates.key_file (the key in it)"}, res.Changed); d != "" {
		t.Errorf("changed (-want +got):\n%s", d)
	}
	commit("station-21")
	waitSigned("station-21.test.lan.", []string{"pxed-new."})

	// A key file that holds no key: refused, the new key keeps signing.
	if err := os.WriteFile(keyFile, []byte("key \"broken\" { algorithm hmac-sha256; };\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = f.s.Reload(context.Background())
	if res.Applied || len(res.Problems) == 0 || !strings.Contains(strings.Join(res.Problems, "\n"), keyFile) {
		t.Errorf("a broken key file: applied %v, problems %q; want refused, naming %s", res.Applied, res.Problems, keyFile)
	}
	commit("station-22")
	waitSigned("station-22.test.lan.", []string{"pxed-new."})
	writeKey(t, keyFile, newKey)

	// dns_updates removed: off; what is committed meanwhile reaches no server.
	f.write(t, reloadBase)
	if res := f.s.Reload(context.Background()); !res.Applied || !slices.Contains(res.Changed, "dns_updates.servers") {
		t.Fatalf("turning updates off: %+v", res)
	}
	commit("station-23")
	time.Sleep(100 * time.Millisecond)
	if got := srv.signedBy("station-23.test.lan."); len(got) != 0 {
		t.Errorf("updates off, yet station-23 was sent, signed by %q", got)
	}

	// On again: the recorded leases are put right, station-23's too.
	f.write(t, withDNS)
	if res := f.s.Reload(context.Background()); !res.Applied {
		t.Fatalf("turning updates on again refused: %v", res.Problems)
	}
	waitSigned("station-23.test.lan.", []string{"pxed-new."})
}
