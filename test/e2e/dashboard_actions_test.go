//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// evalAwait evaluates expr, a promise, in the page and returns its value.
func evalAwait[T any](t *testing.T, b *Browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// TestDashboardActions: in headless chromium that has no token of its own,
// an operator adopts a discovered PXE client from the dashboard (the page
// asks for the token once) and then reinstalls it; both are on its
// timeline (API) as done by the dashboard. A write without the token is
// refused (401), and one from a page of another origin, even with the
// token attached, is refused (403) and changes nothing.
func TestDashboardActions(t *testing.T) {
	requireTools(t, "curl")
	l := newDashLab(t, func(y string) string { return y + "\nweb:\n  public_read: true\n" }, nil)
	mac := randomMAC()
	l.machine(t, mac, "new-node")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := waitFor(ctx, 200*time.Millisecond, func() (bool, error) {
		var ms []struct {
			MAC string `json:"mac"`
		}
		apiGet(t, l.server, l.token, "/api/v1/discovered", &ms)
		return slices.ContainsFunc(ms, func(m struct {
			MAC string `json:"mac"`
		}) bool {
			return m.MAC == mac
		}), nil
	})
	if err != nil {
		t.Fatalf("%s was not discovered: %v", mac, err)
	}

	b := startBrowser(t, l.server, "")
	b.navigate(t, dashboardURL+"#"+mac)
	button := fmt.Sprintf(`document.querySelector('button.adopt[data-mac=%q]')`, mac)
	b.waitJS(t, "the Adopt button", button+` !== null`, 30*time.Second)
	eval[bool](t, b, button+`.click() === undefined`)
	b.waitJS(t, "the adopt dialog with the profiles", `document.getElementById('adopt-dialog').open && document.querySelectorAll('#adopt-profile option').length > 0`, 10*time.Second)
	eval[bool](t, b, `(document.getElementById('adopt-name').value = 'node-a1', document.getElementById('adopt-profile').value = 'debian-installer', document.getElementById('adopt-ok').click(), true)`)
	b.waitJS(t, "the token dialog", `document.getElementById('token-dialog').open`, 10*time.Second)
	eval[bool](t, b, fmt.Sprintf(`(document.getElementById('token-input').value = %q, document.getElementById('token-ok').click(), true)`, l.token))
	b.waitJS(t, "the adoption done", `document.getElementById('action-status').textContent.startsWith('Adopted ')`, 10*time.Second)

	// Reinstall from the host's timeline: two clicks, no second token prompt.
	b.waitJS(t, "the host's actions", `!document.getElementById('host-actions').hidden && document.getElementById('host-actions').dataset.host === 'node-a1'`, 30*time.Second)
	eval[bool](t, b, `(document.getElementById('act-reinstall').click(), true)`)
	if txt := eval[string](t, b, `document.getElementById('act-reinstall').textContent`); txt != "Confirm reinstall" {
		t.Errorf("after one click the Reinstall button says %q, want Confirm reinstall", txt)
	}
	eval[bool](t, b, `(document.getElementById('act-reinstall').click(), true)`)
	b.waitJS(t, "the reinstall done", `document.getElementById('action-status').textContent.includes('installs again')`, 10*time.Second)
	if eval[bool](t, b, `document.getElementById('token-dialog').open`) {
		t.Error("the dashboard asked for the token a second time")
	}
	b.waitJS(t, "the reinstall in the timeline", `document.getElementById('timeline').textContent.includes('reinstall: netboot once')`, 10*time.Second)

	want := []string{
		"adopted: by hand, profile debian-installer (dashboard 127.0.0.1)",
		"action: reinstall: netboot once (dashboard 127.0.0.1)",
		"action: wake-on-LAN to 192.168.1.255 (dashboard 127.0.0.1)",
	}
	if got := actionsOf(t, l.server, l.token, mac); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the timeline of %s holds\n%s\nwant\n%s", mac, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var host struct {
		Netboot string `json:"netboot"`
		Boot    struct {
			Profile string `json:"profile"`
		} `json:"boot"`
	}
	apiGet(t, l.server, l.token, "/api/v1/hosts/node-a1", &host)
	if host.Netboot != "once" || host.Boot.Profile != "debian-installer" {
		t.Errorf("node-a1: netboot %q profile %q, want once and debian-installer", host.Netboot, host.Boot.Profile)
	}

	// Without the token.
	if code := evalAwait[int](t, b, `fetch('/api/v1/hosts/node-a1/wake', {method: 'POST', credentials: 'omit'}).then(r => r.status)`); code != 401 {
		t.Errorf("a wake without the token: HTTP %d, want 401", code)
	}

	// From another origin (another port of this machine), with the token
	// attached to every request as a browser holding credentials would.
	site := t.TempDir()
	os.WriteFile(filepath.Join(site, "index.html"), []byte("<p>another site</p>\n"), 0o644)
	httpd, err := start("busybox httpd", l.server.command(context.Background(), "busybox", "httpd", "-f", "-p", "127.0.0.1:8099", "-h", site))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpd.stop(syscall.SIGTERM, 5*time.Second) })
	time.Sleep(300 * time.Millisecond)
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": "Bearer " + l.token},
	}); err != nil {
		t.Fatal(err)
	}
	statuses := make(chan int64, 16)
	rctx, rcancel := context.WithCancel(b.ctx)
	defer rcancel()
	go func() {
		for ev, err := range chromedp.Events(rctx, network.ResponseReceived) {
			if err != nil {
				return
			}
			if strings.HasSuffix(ev.Response.URL, "/api/v1/hosts/node-a1/profile") {
				statuses <- ev.Response.Status
			}
		}
	}()
	b.navigate(t, "http://127.0.0.1:8099/")
	res := evalAwait[string](t, b, `fetch('http://127.0.0.1:9069/api/v1/hosts/node-a1/profile', {method: 'POST', mode: 'no-cors', body: '{"profile":"local"}'}).then(r => r.type, e => 'error ' + e)`)
	select {
	case st := <-statuses:
		if st != 403 {
			t.Errorf("a cross-origin write with the token: HTTP %d, want 403", st)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the cross-origin write got no response (fetch: %s)", res)
	}
	apiGet(t, l.server, l.token, "/api/v1/hosts/node-a1", &host)
	if host.Boot.Profile != "debian-installer" {
		t.Errorf("node-a1's profile is %q after the refused cross-origin write", host.Boot.Profile)
	}
	if got := actionsOf(t, l.server, l.token, mac); len(got) != len(want) {
		t.Errorf("refused writes left events: %q", got)
	}
	if n := b.Dialogs.Load(); n != 0 {
		t.Errorf("%d script dialogs opened", n)
	}
}
