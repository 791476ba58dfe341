//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/hook"
)

// TestHooksLease: a PXE client's boot reaches pxed's hooks. A receiver
// (busybox httpd's CGI on the server namespace's loopback) gets the
// DISCOVER as a boot event and the ACK as a lease event, each POSTed once
// with a valid signature; a command hook reads the lease as JSON on its
// standard input; a hook whose receiver is down is retried without
// holding up DHCP; /metrics counts each; SIGTERM still ends pxed cleanly.
func TestHooksLease(t *testing.T) {
	requireTools(t, "busybox", "curl")
	server, client := newVethLab(t)
	dir := t.TempDir()
	got, cmdOut := filepath.Join(dir, "got"), filepath.Join(dir, "cmd")
	cgi := filepath.Join(dir, "www", "cgi-bin", "hook")
	for _, d := range []string{got, cmdOut, filepath.Dir(cgi)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// One file per delivery, appended to: a delivery taken twice shows
	// as two header lines.
	receiver := `#!/bin/sh
f="` + got + `/$HTTP_X_PXED_DELIVERY"
head -c "$CONTENT_LENGTH" >> "$f.body"
printf '%s %s %s\n' "$HTTP_X_PXED_EVENT" "$HTTP_X_PXED_TIMESTAMP" "$HTTP_X_PXED_SIGNATURE" >> "$f.hdr"
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n'
`
	if err := os.WriteFile(cgi, []byte(receiver), 0o755); err != nil {
		t.Fatal(err)
	}
	httpd, err := start("httpd", server.command(context.Background(), "busybox", "httpd", "-f", "-p", "127.0.0.1:8099", "-h", filepath.Join(dir, "www")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpd.stop(syscall.SIGTERM, 5*time.Second) })

	const secret = "e2e-hook-secret"
	hooks := fmt.Sprintf(`
hooks:
  - name: receiver
    events: [boot, lease]
    url: http://127.0.0.1:8099/cgi-bin/hook
    secret: %s
  - name: script
    events: [lease]
    command: [/bin/sh, -c, 'cat > "$0/$PXED_DELIVERY.json"', %s]
  - name: down
    url: http://127.0.0.1:9/nobody
    timeout: 1s
`, secret, cmdOut)
	px := startPxed(t, server, pxedOptions{Interface: "srv0", Edit: func(y string) string { return y + hooks }})
	token := waitWeb(t, server, px)

	mac := randomMAC()
	setMAC(t, client, "cli0", mac)
	start := time.Now()
	lease, err := udhcpcLease(t, client, "cli0", "-V", "PXEClient:Arch:00000:UNDI:002001")
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)

	// The receiver's deliveries for this machine, by event.
	type delivery struct {
		doc     hook.Document
		headers []string
	}
	var byEvent map[string][]delivery
	read := func() (bool, error) {
		byEvent = map[string][]delivery{}
		bodies, _ := filepath.Glob(filepath.Join(got, "*.body"))
		for _, b := range bodies {
			body, err := os.ReadFile(b)
			if err != nil {
				return false, err
			}
			hdr, _ := os.ReadFile(strings.TrimSuffix(b, ".body") + ".hdr")
			var d delivery
			if err := json.Unmarshal(body, &d.doc); err != nil {
				return false, fmt.Errorf("%s: %w\n%s", b, err, body)
			}
			d.headers = strings.Split(strings.TrimSpace(string(hdr)), "\n")
			if len(d.headers) == 1 {
				f := strings.Fields(d.headers[0])
				h := http.Header{}
				if len(f) == 3 {
					h.Set(hook.HeaderTimestamp, f[1])
					h.Set(hook.HeaderSignature, f[2])
				}
				if err := hook.Verify([]byte(secret), h, body, time.Now(), hook.DefaultTolerance); err != nil {
					t.Errorf("delivery %s: signature: %v", d.doc.ID, err)
				}
			}
			if d.doc.MAC == mac {
				byEvent[d.doc.Event] = append(byEvent[d.doc.Event], d)
			}
		}
		return len(byEvent["lease"]) > 0 && len(byEvent["boot"]) > 0, nil
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if err := waitFor(ctx, 100*time.Millisecond, read); err != nil {
		t.Fatalf("receiver: %v (got %v)", err, byEvent)
	}
	if n := len(byEvent["lease"]); n != 1 {
		t.Errorf("receiver got %d lease events for %s, want 1", n, mac)
	}
	for ev, ds := range byEvent {
		for _, d := range ds {
			if len(d.headers) != 1 {
				t.Errorf("%s delivery %s taken %d times: %q", ev, d.doc.ID, len(d.headers), d.headers)
			}
		}
	}
	l := byEvent["lease"][0].doc
	if l.Version != 1 || l.IP != lease.IP || l.Proto != "dhcp" || l.Outcome != "ok" {
		t.Errorf("lease document %+v, want version 1, ip %s, proto dhcp, outcome ok", l, lease.IP)
	}

	// The command hook: the lease, as JSON on its standard input.
	var cmdDocs []hook.Document
	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = waitFor(ctx, 100*time.Millisecond, func() (bool, error) {
		cmdDocs = nil
		files, _ := filepath.Glob(filepath.Join(cmdOut, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return false, err
			}
			var d hook.Document
			if err := json.Unmarshal(b, &d); err != nil {
				return false, nil // being written
			}
			if d.MAC == mac {
				cmdDocs = append(cmdDocs, d)
			}
		}
		return len(cmdDocs) > 0, nil
	})
	if err != nil || len(cmdDocs) != 1 || cmdDocs[0].Event != "lease" || cmdDocs[0].IP != lease.IP {
		t.Errorf("command hook got %+v (%v), want one lease document for %s at %s", cmdDocs, err, mac, lease.IP)
	}

	m := (&dashLab{server: server, token: token}).metrics(t)
	for series, min := range map[string]float64{
		`pxed_hook_events_total{hook="receiver",result="ok",via="url"}`:   2,
		`pxed_hook_events_total{hook="script",result="ok",via="command"}`: 1,
		`pxed_hook_retries_total{hook="down",via="url"}`:                  1,
	} {
		if m[series] < min {
			t.Errorf("%s = %v, want at least %v", series, m[series], min)
		}
	}
	if took > 10*time.Second {
		t.Errorf("the lease took %s with a hook's receiver down", took)
	}
	t.Logf("lease in %s; receiver: %d boot, %d lease events; down hook retried %v times",
		took.Round(time.Millisecond), len(byEvent["boot"]), len(byEvent["lease"]), m[`pxed_hook_retries_total{hook="down",via="url"}`])
}
