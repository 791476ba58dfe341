package web

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pxed/pxed/internal/lease"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAccess(t *testing.T) {
	t.Parallel()
	const token = "0123456789abcdef0123"
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	type req struct {
		method, path, auth string
		want               int
	}
	cases := []struct {
		name       string
		token      string
		publicRead bool
		reqs       []req
	}{
		{"token, private reads", token, false, []req{
			{"GET", "/r", "", 401},
			{"GET", "/r", "Bearer " + token, 204},
			{"GET", "/r", "Bearer " + token + "x", 401},
			{"GET", "/r", "Bearer " + token[:10], 401},
			{"GET", "/r", "Basic " + basic("admin", token), 204},
			{"GET", "/r", "Basic " + basic(token, "wrong"), 401},
			{"POST", "/w", "", 401},
			{"POST", "/w", "Bearer " + token, 204},
			{"GET", "/o", "", 204},
		}},
		{"token, public reads", token, true, []req{
			{"GET", "/r", "", 204},
			{"POST", "/w", "", 401},
			{"POST", "/w", "Bearer " + token, 204},
		}},
		{"no token: no changes at all", "", true, []req{
			{"GET", "/r", "", 204},
			{"POST", "/w", "", 403},
			{"POST", "/w", "Bearer ", 403},
		}},
		{"no token, private reads: closed", "", false, []req{
			{"GET", "/r", "Bearer ", 401},
			{"GET", "/o", "", 204},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{Token: []byte(c.token), PublicRead: c.publicRead}
			s.Handle("GET /r", Read, ok)
			s.Handle("POST /w", Write, ok)
			s.Handle("GET /o", Open, ok)
			for _, q := range c.reqs {
				r := httptest.NewRequest(q.method, q.path, nil)
				if q.auth != "" {
					r.Header.Set("Authorization", q.auth)
				}
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != q.want {
					t.Errorf("%s %s auth %q: status %d, want %d (%s)", q.method, q.path, q.auth, w.Code, q.want, w.Body)
				}
				if w.Code == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
					t.Errorf("%s %s: 401 without a Basic challenge", q.method, q.path)
				}
			}
		})
	}
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s := &Server{PublicRead: true, Token: []byte("0123456789abcdef")}
	var got error
	s.HandleFunc("POST /w", Write, func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		got = Decode(r, &v)
	})
	body := `{"a":"` + strings.Repeat("x", MaxBody) + `"}`
	r := httptest.NewRequest("POST", "/w", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer 0123456789abcdef")
	s.ServeHTTP(httptest.NewRecorder(), r)
	if got == nil || !strings.Contains(got.Error(), "larger than") {
		t.Fatalf("a body over %d bytes decoded with error %v", MaxBody, got)
	}
}

func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	if _, err := LoadToken(p, false); err == nil {
		t.Fatal("a missing token file without create gave no error")
	}
	tok, err := LoadToken(p, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadToken(p, true)
	if err != nil || string(again) != string(tok) {
		t.Errorf("second load gave %q, %v; want the created %q", again, err, tok)
	}
	os.WriteFile(p, []byte("short\n"), 0o600)
	if _, err := LoadToken(p, false); err == nil {
		t.Error("a 5-character token was accepted")
	}
}

// TestLeases: the API lists DHCPv4 and DHCPv6 leases together, ordered by
// address; a DHCPv6 lease shows the DUID and IAID that hold it, and its MAC
// only when pxed knows it.
func TestLeases(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	store := lease.NewMem(func() time.Time { return now })
	mac, _ := net.ParseMAC("00:18:e7:42:84:3a")
	duidLL := []byte{0, 3, 0, 1, 0, 0x18, 0xe7, 0x42, 0x84, 0x3a}
	duidUUID := []byte{0, 4, 0xd7, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8}
	for _, l := range []lease.Lease{
		{IP: netip.MustParseAddr("192.168.1.101"), MAC: mac, ClientID: []byte{1, 0xab}, Hostname: "station-01",
			State: lease.Bound, Expires: now.Add(time.Hour)},
		{IP: netip.MustParseAddr("2001:db8:1::101"), MAC: mac, ClientID: append(append([]byte("v6:"), duidLL...), 0, 0, 0, 1),
			Hostname: "station-01", State: lease.Bound, Expires: now.Add(time.Hour)},
		{IP: netip.MustParseAddr("2001:db8:1::1000"), ClientID: append(append([]byte("v6:"), duidUUID...), 0x0e, 0x5c, 0x7e, 0x45),
			State: lease.Bound, Expires: now.Add(-time.Minute)},
	} {
		if err := store.Commit(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{PublicRead: true}
	s.Handle("GET /api/v1/leases", Read, Leases(store.All, func() time.Time { return now }))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/leases", nil))
	var got []LeaseJSON
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	iaid := func(v uint32) *uint32 { return &v }
	want := []LeaseJSON{
		{IP: "192.168.1.101", Family: "ipv4", MAC: "00:18:e7:42:84:3a", ClientID: "01ab", Hostname: "station-01",
			State: "bound", Expires: now.Add(time.Hour), Active: true},
		{IP: "2001:db8:1::101", Family: "ipv6", MAC: "00:18:e7:42:84:3a", DUID: "00030001" + "0018e742843a", IAID: iaid(1),
			Hostname: "station-01", State: "bound", Expires: now.Add(time.Hour), Active: true},
		{IP: "2001:db8:1::1000", Family: "ipv6", DUID: "0004d71a2b3c4d5e6f708192a3b4c5d6e7f8", IAID: iaid(0x0e5c7e45),
			State: "expired", Expires: now.Add(-time.Minute)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leases (-want +got):\n%s", diff)
	}
}
