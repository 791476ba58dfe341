package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateDNSUpdates: what pxed check says of dns_updates, each
// problem at its line, the key file read and checked.
func TestValidateDNSUpdates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(good, []byte("key \"ddns-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\";\n};\n"), 0o600)
	os.WriteFile(bad, []byte("key \"ddns-key\" { algorithm hmac-md5; secret \"q83vEjRWeJq83vEjRWeJq80=\"; };\n"), 0o600)

	got, _ := validate(t, strings.ReplaceAll(`dns_updates:
  servers: [192.168.1.21:53, 192.168.1.22, "[::1"]
  key_file: GOOD
  forward_zone: test.lan
  reverse_zones: [1.168.192.in-addr.arpa]
dhcp: {enabled: false}
`, "GOOD", good))
	if len(got) != 1 || !strings.Contains(got[0], `pxed.yaml:2: dns server "[::1"`) {
		t.Errorf("problems %q, want one, of the third server", got)
	}

	got, _ = validate(t, strings.ReplaceAll(`dns_updates:
  key_file: BAD
  forward_zone: "bad..zone"
  reverse_zones: [test.lan]
dhcp: {enabled: false}
`, "BAD", bad))
	want := []string{
		`pxed.yaml:1: dns_updates has no servers: give the DNS server that takes the updates, e.g. [192.168.1.21:53]`,
		`pxed.yaml:2: TSIG key file ` + bad + `: key "ddns-key": algorithm "hmac-md5" is not one pxed signs with (hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1)`,
		`pxed.yaml:3: forward_zone "bad..zone" is not a domain name`,
		`pxed.yaml:4: reverse zone "test.lan": give one under in-addr.arpa, e.g. 1.168.192.in-addr.arpa`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	got, _ = validate(t, "dns_updates:\n  servers: [192.168.1.21]\n  key_file: "+filepath.Join(dir, "missing.key")+"\ndhcp: {enabled: false}\n")
	if len(got) != 2 || !strings.Contains(got[0], "no forward_zone") || !strings.Contains(got[1], "missing.key: no such file") {
		t.Errorf("problems %q, want the missing zone and key file", got)
	}
}

func TestDNSUpdatesDefaults(t *testing.T) {
	c, err := Parse("pxed.yaml", []byte("dns_updates:\n  servers: [192.168.1.21, \"192.168.1.22:5353\", \"ns1.test.lan:53\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DNSUpdates.TTL != DefaultDNSTTL {
		t.Errorf("ttl %d, want %d", c.DNSUpdates.TTL, DefaultDNSTTL)
	}
	want := []string{"192.168.1.21:53", "192.168.1.22:5353", "ns1.test.lan:53"}
	if diff := cmp.Diff(want, c.DNSUpdates.ServerAddrs()); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
}
