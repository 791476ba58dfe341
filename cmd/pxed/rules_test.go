package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/web"
)

// The rules commands against a real API server: put stores a rule from a
// file, list and show read the rules back in the order they are tried,
// delete removes an API rule; the server's refusals reach the operator.
func TestRulesCLI(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("pxed.yaml", []byte(`dhcp:
  subnets:
    - network: 192.168.1.0/24
      pools: [192.168.1.150-192.168.1.199]
tftp:
  enabled: false
web:
  address: ":9069"
profiles:
  - name: debian-installer
    kernel: d-i/linux
discovery:
  rules:
    - name: from-file
      match: {serial: "FILE-*"}
      assign: {hostname: "f-{{.Serial}}"}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := catalog.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const tok = "0123456789abcdef0123"
	cat, err := catalog.Open(context.Background(), cfg, st, catalog.Options{CallbackKey: []byte(tok)})
	if err != nil {
		t.Fatal(err)
	}
	s := &web.Server{Token: []byte(tok)}
	web.CatalogRoutes(s, cat, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "token")
	os.WriteFile(tokFile, []byte(tok+"\n"), 0o600)
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(append(args, "--api", ts.URL, "--token-file", tokFile)...)
	}
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o600)
		return p
	}

	lab := file("lab.yaml", `name: lab
match:
  mac: [52:54:00]
  serial: "PXED-*"
assign:
  hostname: "node-{{.Serial}}"
  ip: 192.168.1.120
  profile: debian-installer
  netboot: never
`)
	code, out, errs := cli("rules", "put", lab)
	if code != 0 || !strings.Contains(out, "match:    mac=52:54:00 serial=PXED-*\n") || !strings.Contains(out, "ip:       192.168.1.120\n") || !strings.Contains(out, "source:   api\n") {
		t.Fatalf("rules put: %d %q %q", code, out, errs)
	}
	if r, ok := cat.Snapshot().Rule("lab"); !ok || r.Assign.Netboot != config.NetbootNever {
		t.Errorf("catalog after rules put: %+v, %v", r, ok)
	}
	code, out, errs = cli("rules", "list")
	if code != 0 || strings.Index(out, "from-file") > strings.Index(out, "lab ") || !strings.Contains(out, "config") {
		t.Errorf("rules list: %d %q %q", code, out, errs)
	}
	code, out, _ = cli("rules", "show", "lab", "--json")
	if code != 0 || !strings.Contains(out, `"hostname": "node-{{.Serial}}"`) {
		t.Errorf("rules show --json: %d %q", code, out)
	}
	// JSON is read too; the server refuses a profile it does not have.
	bad := file("bad.json", `{"name": "bad", "assign": {"hostname": "b-{{.MAC}}", "profile": "nope"}}`)
	if code, _, errs := cli("rules", "put", bad); code != 1 || !strings.Contains(errs, `profile "nope"`) || !strings.Contains(errs, "HTTP 422") {
		t.Errorf("rules put of a bad rule: %d %q", code, errs)
	}
	// An unknown field is an error before anything is sent.
	typo := file("typo.yaml", "name: typo\nasign: {hostname: x}\n")
	if code, _, errs := cli("rules", "put", typo); code != 1 || !strings.Contains(errs, "asign") {
		t.Errorf("rules put of a misspelt rule: %d %q", code, errs)
	}
	if code, _, errs := cli("rules", "delete", "from-file"); code != 1 || !strings.Contains(errs, "can only be overridden") {
		t.Errorf("rules delete of a file rule: %d %q", code, errs)
	}
	if code, _, errs := cli("rules", "delete", "lab"); code != 0 {
		t.Errorf("rules delete: %d %q", code, errs)
	}
	if code, _, errs := cli("rules", "show", "lab"); code != 1 || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("rules show after delete: %d %q", code, errs)
	}
	if code, _, _ := cli("rules", "show"); code != 2 {
		t.Errorf("rules show without a name: exit %d, want 2", code)
	}
}
