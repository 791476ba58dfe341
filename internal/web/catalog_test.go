package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/events"
	"github.com/pxed/pxed/internal/pxe"
)

const catalogBase = `dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp:
  enabled: false
web:
  address: ":9069"
boot:
  profile: debian-installer
profiles:
  - name: debian-installer
    kernel: d-i/linux
hosts:
  - name: station-02
    mac: 00:18:e7:42:85:21
    ip: 192.168.1.102
    netboot: once
`

func catalogServer(t *testing.T, token string, ev events.Recorder) (*httptest.Server, *catalog.Catalog) {
	t.Helper()
	cfg, err := config.Parse("pxed.yaml", []byte(catalogBase))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{CallbackKey: []byte(token)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Token: []byte(token)}
	CatalogRoutes(s, cat, ev)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, cat
}

func call(t *testing.T, ts *httptest.Server, method, path, auth, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCatalogAPI(t *testing.T) {
	t.Parallel()
	const tok = "0123456789abcdef0123"
	evlog := events.NewLog(events.DefaultLimits)
	ts, cat := catalogServer(t, tok, evlog)

	// Reads and writes need the token.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/hosts", ""},
		{"GET", "/api/v1/profiles", ""},
		{"GET", "/api/v1/discovered", ""},
		{"PUT", "/api/v1/hosts/lab-1", `{"mac": "52:54:00:00:00:01"}`},
		{"DELETE", "/api/v1/hosts/station-02", ""},
		{"PUT", "/api/v1/profiles/rescue", `{"kernel": "r/linux"}`},
	} {
		if code, _ := call(t, ts, c.method, c.path, "", c.body); code != http.StatusUnauthorized {
			t.Errorf("%s %s without token: %d, want 401", c.method, c.path, code)
		}
	}

	code, body := call(t, ts, "PUT", "/api/v1/profiles/rescue", tok, `{"kernel": "r/linux", "cmdline": "host={{.Hostname}}"}`)
	if code != 200 || !strings.Contains(body, `"source": "api"`) {
		t.Fatalf("PUT profile: %d %s", code, body)
	}
	// A profile's per-architecture entries go through the API as JSON.
	code, body = call(t, ts, "PUT", "/api/v1/profiles/multi", tok, `{"kernel": "r/linux", "cmdline": "console={{.Console}}", "arch": {"efi-arm64": {"kernel": "r/arm64", "console": "ttyAMA1"}}}`)
	if code != 200 || !strings.Contains(body, `"efi-arm64": {`) || !strings.Contains(body, `"console": "ttyAMA1"`) {
		t.Fatalf("PUT profile with arch: %d %s", code, body)
	}
	if p, ok := cat.Snapshot().Profile("multi"); !ok || p.Arch["efi-arm64"].Kernel != "r/arm64" {
		t.Errorf("profile multi in the catalog: %+v", p)
	}
	code, body = call(t, ts, "PUT", "/api/v1/hosts/lab-1", tok, `{"mac": "52:54:00:00:00:01", "ip": "192.168.1.120", "boot": {"profile": "rescue"}}`)
	if code != 200 || !strings.Contains(body, `"name": "lab-1"`) || !strings.Contains(body, `"mac": "52:54:00:00:00:01"`) {
		t.Fatalf("PUT host: %d %s", code, body)
	}
	if d := cat.Snapshot().Resolve([]byte{0x52, 0x54, 0, 0, 0, 1}, pxe.Client{}, netipLAN); d.Profile == nil || d.Profile.Name != "rescue" {
		t.Errorf("the new host does not boot rescue: %+v", d)
	}
	code, body = call(t, ts, "GET", "/api/v1/hosts", tok, "")
	var hosts []map[string]any
	if err := json.Unmarshal([]byte(body), &hosts); code != 200 || err != nil || len(hosts) != 2 {
		t.Fatalf("GET hosts: %d %s", code, body)
	}
	if hosts[0]["name"] != "station-02" || hosts[0]["source"] != "config" || hosts[1]["name"] != "lab-1" {
		t.Errorf("hosts: %v", hosts)
	}

	// Refusals say why.
	for _, c := range []struct {
		method, path, body string
		want               int
		msg                string
	}{
		{"PUT", "/api/v1/hosts/lab-2", `{"mac": "52:54:00:00:00:01"}`, 422, "same MAC"},
		{"PUT", "/api/v1/hosts/lab-2", `{"mac": "52:54:00:00:00:02", "ip": "192.168.1.160"}`, 422, "inside the dynamic pool"},
		{"PUT", "/api/v1/hosts/lab-2", `{"mac": "52:54:00:00:00:02", "boot": {"profile": "nope"}}`, 422, "not defined"},
		{"PUT", "/api/v1/hosts/lab-2", `{"mac": "52:54:00:00:00:02", "colour": "red"}`, 400, "unknown field"},
		{"PUT", "/api/v1/hosts/lab-2", `{"name": "lab-3", "mac": "52:54:00:00:00:02"}`, 400, "the body names host lab-3"},
		{"PUT", "/api/v1/profiles/bad", `{"kernel": "k", "cmdline": "{{.Nope}}"}`, 422, "Nope"},
		{"PUT", "/api/v1/profiles/bad", `{"kernel": "k", "arch": {"http-efi-arm64": {"kernel": "a"}}}`, 422, "write efi-arm64, not http-efi-arm64"},
		{"PUT", "/api/v1/profiles/bad", `{"kernel": "k", "arch": {"efi-arm64": {"initrd": ["a"]}}}`, 422, "no kernel for efi-arm64"},
		{"DELETE", "/api/v1/profiles/rescue", "", 422, "not defined"},
		{"DELETE", "/api/v1/hosts/station-02", "", 404, "can only be overridden"},
		{"GET", "/api/v1/hosts/nobody", "", 404, "no host nobody"},
		{"GET", "/api/v1/profiles/nope", "", 404, "no profile nope"},
		{"PUT", "/api/v1/profiles/rescue", `{"name": "other", "kernel": "k"}`, 400, "the body names profile other, the path rescue"},
		{"PUT", "/api/v1/profiles/rescue", `{"kernel": "k"} {}`, 400, "more than one JSON value"},
		{"DELETE", "/api/v1/discovered/not-a-mac", "", 400, "invalid MAC"},
	} {
		code, body := call(t, ts, c.method, c.path, tok, c.body)
		if code != c.want || !strings.Contains(body, c.msg) {
			t.Errorf("%s %s %s: %d %s, want %d with %q", c.method, c.path, c.body, code, body, c.want, c.msg)
		}
	}

	// The install callback: the host's own token, no API token.
	cb, err := cat.CallbackToken("station-02")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := call(t, ts, "POST", "/api/v1/hosts/station-02/installed?token=wrong", "", ""); code != 403 {
		t.Errorf("callback with a wrong token: %d, want 403", code)
	}
	lab1, _ := cat.CallbackToken("lab-1")
	if code, _ := call(t, ts, "POST", "/api/v1/hosts/station-02/installed?token="+lab1, "", ""); code != 403 {
		t.Errorf("callback with another host's token: %d, want 403", code)
	}
	if h, _ := cat.Snapshot().Host("station-02"); !h.Installed.IsZero() {
		t.Fatal("refused callbacks marked the host installed")
	}
	if sum, ok := evlog.Summary("00:18:e7:42:85:21"); ok {
		t.Errorf("refused callbacks reached the boot timeline: %+v", sum)
	}
	if code, body := call(t, ts, "POST", "/api/v1/hosts/station-02/installed?token="+cb, "", ""); code != 204 {
		t.Fatalf("callback: %d %s", code, body)
	}
	// The callback ends the machine's timeline.
	if sum, _ := evlog.Summary("00:18:e7:42:85:21"); sum.State != "install done" || sum.Host != "station-02" {
		t.Errorf("machine after the callback: %+v", sum)
	}
	if code, body := call(t, ts, "GET", "/api/v1/hosts/station-02", tok, ""); code != 200 || !strings.Contains(body, `"installed": "`) {
		t.Errorf("after the callback: %d %s", code, body)
	}
	if code, _ := call(t, ts, "DELETE", "/api/v1/hosts/station-02/installed", "", ""); code != 401 {
		t.Errorf("clearing without token: %d, want 401", code)
	}
	if code, _ := call(t, ts, "DELETE", "/api/v1/hosts/station-02/installed", tok, ""); code != 204 {
		t.Errorf("clearing: %d", code)
	}
	if code, _ := call(t, ts, "DELETE", "/api/v1/hosts/lab-1", tok, ""); code != 204 {
		t.Errorf("DELETE host: %d", code)
	}
}

// Discovery rules through the API: listed after the file's, put, got and
// deleted by name; refused as `pxed check` refuses them (422), a body that
// names another rule or does not decode (400), a missing one (404), a
// change without the token (401). Reading needs the token too, once one
// is set, as for hosts.
func TestRulesAPI(t *testing.T) {
	t.Parallel()
	const tok = "s3cret"
	ts, cat := catalogServer(t, tok, nil)
	if code, body := call(t, ts, "GET", "/api/v1/rules", tok, ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("GET rules of none: %d %s, want 200 []", code, body)
	}
	rule := `{"match": {"mac": ["52:54:00"], "serial": "PXED-*"}, "assign": {"hostname": "node-{{.Serial}}", "profile": "debian-installer"}}`
	if code, _ := call(t, ts, "PUT", "/api/v1/rules/lab", "", rule); code != 401 {
		t.Errorf("PUT rule without token: %d, want 401", code)
	}
	code, body := call(t, ts, "PUT", "/api/v1/rules/lab", tok, rule)
	var got struct {
		config.Rule
		Source string `json:"source"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil || got.Name != "lab" || got.Source != "api" ||
		got.Assign.Profile != "debian-installer" || got.Match.Serial != "PXED-*" {
		t.Fatalf("PUT rule: %d %s", code, body)
	}
	if r, ok := cat.Snapshot().Rule("LAB"); !ok || r.Assign.Hostname != "node-{{.Serial}}" {
		t.Errorf("catalog after PUT: %+v, %v", r, ok)
	}
	if code, body := call(t, ts, "GET", "/api/v1/rules/Lab", tok, ""); code != 200 || !strings.Contains(body, `"source": "api"`) {
		t.Errorf("GET rule: %d %s", code, body)
	}
	if code, body := call(t, ts, "GET", "/api/v1/rules", tok, ""); code != 200 || !strings.Contains(body, `"name": "lab"`) {
		t.Errorf("GET rules: %d %s", code, body)
	}
	for _, tt := range []struct {
		name, path, body string
		want             int
	}{
		{"another name in the body", "/api/v1/rules/lab", `{"name": "other", "assign": {"hostname": "x-{{.MAC}}"}}`, 400},
		{"not JSON", "/api/v1/rules/lab", `{"assign": `, 400},
		{"unknown field", "/api/v1/rules/lab", `{"asign": {"hostname": "x-{{.MAC}}"}}`, 400},
		{"unknown profile", "/api/v1/rules/lab", `{"assign": {"hostname": "x-{{.MAC}}", "profile": "nope"}}`, 422},
		{"bad match", "/api/v1/rules/lab", `{"match": {"memory": "lots"}, "assign": {"hostname": "x-{{.MAC}}"}}`, 422},
		{"address of a host", "/api/v1/rules/lab", `{"assign": {"hostname": "x-{{.MAC}}", "ip": "192.168.1.102"}}`, 422},
	} {
		if code, body := call(t, ts, "PUT", tt.path, tok, tt.body); code != tt.want {
			t.Errorf("%s: PUT %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	if code, _ := call(t, ts, "DELETE", "/api/v1/rules/lab", "", ""); code != 401 {
		t.Errorf("DELETE rule without token: %d, want 401", code)
	}
	if code, _ := call(t, ts, "DELETE", "/api/v1/rules/lab", tok, ""); code != 204 {
		t.Errorf("DELETE rule: %d", code)
	}
	if code, _ := call(t, ts, "DELETE", "/api/v1/rules/lab", tok, ""); code != 404 {
		t.Errorf("DELETE of a deleted rule: %d, want 404", code)
	}
	if code, _ := call(t, ts, "GET", "/api/v1/rules/lab", tok, ""); code != 404 {
		t.Errorf("GET of a deleted rule: %d, want 404", code)
	}
}

// Without a configured token, no change is possible (403), and no
// callback either: there is no key to check its token against.
func TestCatalogAPIWithoutToken(t *testing.T) {
	t.Parallel()
	ts, _ := catalogServer(t, "", nil)
	if code, _ := call(t, ts, "PUT", "/api/v1/hosts/lab-1", "", `{"mac": "52:54:00:00:00:01"}`); code != 403 {
		t.Errorf("PUT without a configured token: %d, want 403", code)
	}
	if code, _ := call(t, ts, "POST", "/api/v1/hosts/station-02/installed?token=", "", ""); code != 403 {
		t.Errorf("callback without a configured token: %d, want 403", code)
	}
}

var netipLAN = netip.MustParseAddr("192.168.1.21")
