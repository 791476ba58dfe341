//go:build e2e

package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDHCPStarvation: perfdhcp floods pxed with DORA exchanges from
// thousands of random MACs (as a relay, at 400/s) until the 50-address pool
// of the reference network is taken (bound, or on offer to a flooding MAC), with dhcp.rate_global at 50 requests/s
// for unknown clients. Meanwhile, and after, the three stations (udhcpc with
// their MACs, on a macvlan of the same link) get their reserved addresses:
// known hosts pass the global limit and need no pool address. A stranger
// then gets no offer, and pxed's log says the pool is exhausted; /metrics
// shows requests dropped by the global limit.
func TestDHCPStarvation(t *testing.T) {
	server, client := loadLab(t)
	requireTools(t, "busybox", "curl")
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Edit: func(y string) string {
		return replaceOnce(y, "  authoritative: true\n", "  authoritative: true\n  rate_global: 50\n")
	}})
	token := waitWeb(t, server, px)
	// The stations share the flooded link through a macvlan device, which
	// takes frames for its own MAC address.
	client.ip(t, "link", "add", "st0", "link", "cli0", "type", "macvlan", "mode", "bridge")
	client.ip(t, "link", "set", "st0", "up")

	wait, _ := runPerfdhcp(t, client, 5000, 400, 12*time.Second)
	time.Sleep(4 * time.Second) // the pool fills at about 25 leases/s
	for _, st := range []Station{station01, station02, station03} {
		setMAC(t, client, "st0", st.MAC)
		start := time.Now()
		got, err := udhcpc(t, client, "st0")
		if err != nil {
			t.Errorf("%s during the flood: %v", st.Name, err)
			continue
		}
		if got != st.IP {
			t.Errorf("%s during the flood got %s, want %s", st.Name, got, st.IP)
		}
		took := time.Since(start)
		t.Logf("%s got %s during the flood in %s", st.Name, got, took.Round(time.Millisecond))
		// udhcpc (-T 2) sends its DISCOVER again after 2 s: under 2 s means
		// its first exchange was answered, not dropped by the global limit
		// that drops 7 of 8 requests of the flood.
		if took >= 2*time.Second {
			t.Errorf("%s waited %s for its lease: its first requests were dropped", st.Name, took)
		}
	}
	run := wait()
	t.Logf("perfdhcp: %d DISCOVER, %d OFFER, %d REQUEST, %d ACK", run.Discovers, run.Offers, run.Requests, run.Acks)

	// The flood holds the whole pool: addresses bound or on offer (an
	// offer is kept 30 s for its client). No station holds a pool address.
	leases := px.leases(t)
	bound := 0
	for _, l := range leases {
		for _, st := range []Station{station01, station02, station03} {
			if strings.EqualFold(l.MAC, st.MAC) && l.IP != st.IP {
				t.Errorf("%s holds %s besides its reserved %s", st.Name, l.IP, st.IP)
			}
		}
		if inPool(l.IP) && l.State == "bound" {
			bound++
		}
	}
	t.Logf("after the flood: %d pool addresses bound, the rest on offer", bound)
	if run.Offers < 50 {
		t.Errorf("perfdhcp was offered %d addresses, want the whole pool of 50", run.Offers)
	}
	// A stranger now gets no offer, and the log says why.
	stranger := randomMAC()
	setMAC(t, client, "st0", stranger)
	if ip, err := udhcpc(t, client, "st0"); err == nil {
		t.Errorf("a stranger got %s from a full pool", ip)
	}
	expectLogged(t, px, `msg="dhcp pool exhausted: no offer"`)
	expectLogged(t, px, "mac="+stranger+` xid=`)
	if b, err := os.ReadFile(px.log); err == nil {
		re := regexp.MustCompile(`mac=` + stranger + ` .*msg=DISCOVER .*reason="192\.168\.1\.0/24: no free address in pool"`)
		if !re.Match(b) {
			t.Errorf("pxed's log has no DISCOVER of the stranger %s refused for a full pool", stranger)
		}
	}
	// After the flood, too, a station is served.
	setMAC(t, client, "st0", station02.MAC)
	if got, err := udhcpc(t, client, "st0"); err != nil || got != station02.IP {
		t.Errorf("station-02 after the flood: %s, %v", got, err)
	}
	l := &dashLab{server: server, client: client, px: px, token: token}
	m := l.metrics(t)
	if g := m[`pxed_dhcp_rate_limited_total{limit="global"}`]; g == 0 {
		t.Errorf("no request dropped by the global limit (pxed_dhcp_rate_limited_total{limit=\"global\"} = %v)", g)
	} else {
		t.Logf("dropped by the global limit: %.0f; pool exhausted: %.0f", g, m["pxed_dhcp_pool_exhausted_total"])
	}
}
