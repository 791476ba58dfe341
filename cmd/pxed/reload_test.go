package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/web"
)

// fakeReloader answers reloads with next, as a running pxed would.
type fakeReloader struct {
	next  web.Reload
	calls int
}

func (f *fakeReloader) Reload(context.Context) web.Reload { f.calls++; return f.next }
func (f *fakeReloader) Last() web.Reload                  { return f.next }

// pxed reload against the API's route: what applied and what needs a
// restart on stdout; a refusal's FILE:LINE problems on stderr with exit
// status 1; no reload without the token (a write).
func TestReloadCLI(t *testing.T) {
	t.Parallel()
	const tok = "0123456789abcdef0123"
	r := &fakeReloader{}
	s := &web.Server{Token: []byte(tok)}
	web.RegisterReload(s, r)
	ts := httptest.NewServer(s)
	defer ts.Close()
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte(tok+"\n"), 0o600)

	r.next = web.Reload{At: time.Now(), Applied: true, Changed: []string{"dhcp.subnets", "hosts"},
		NeedsRestart: []string{"http.address"}, Duration: "1.2ms"}
	code, out, errOut := runCLI("reload", "--api", ts.URL, "--token-file", tokFile)
	want := "reloaded in 1.2ms; applied: dhcp.subnets, hosts\nneeds a restart: http.address\n"
	if code != 0 || out != want {
		t.Errorf("applied: exit %d, stdout %q (stderr %q); want 0, %q", code, out, errOut, want)
	}

	r.next = web.Reload{At: time.Now(), Problems: []string{
		"/etc/pxed/pxed.yaml:31: host \"station-09\" IP 192.168.1.160 is inside the dynamic pool 192.168.1.150-192.168.1.199 (line 14)"}}
	code, out, errOut = runCLI("reload", "--api", ts.URL, "--token-file", tokFile)
	if code != 1 || out != "" || !strings.Contains(errOut, "refused") || !strings.Contains(errOut, "\n/etc/pxed/pxed.yaml:31: host") {
		t.Errorf("refused: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	calls := r.calls
	code, _, errOut = runCLI("reload", "--api", ts.URL)
	if code == 0 || r.calls != calls || !strings.Contains(errOut, "401") {
		t.Errorf("without the token: exit %d, stderr %q, %d reloads (want none)", code, errOut, r.calls-calls)
	}
}
