package ddns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseKey(t *testing.T) {
	// As tsig-keygen (BIND 9.18) writes it.
	const keygen = `key "ddns-key" {
	algorithm hmac-sha256;
	secret "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
};
`
	tests := []struct {
		name, in string
		want     Key
		err      string
	}{
		{"tsig-keygen", keygen, testKey, ""},
		{"comments and no quotes", "# made by hand\n/* lab */ key ddns-key. { // the key\n algorithm HMAC-SHA512; secret \"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\"; };",
			Key{Name: "ddns-key.", Algorithm: dns.HmacSHA512, Secret: testKey.Secret}, ""},
		{"sha1", strings.Replace(keygen, "hmac-sha256", "hmac-sha1", 1), Key{Name: "ddns-key.", Algorithm: dns.HmacSHA1, Secret: testKey.Secret}, ""},
		{"md5", strings.Replace(keygen, "hmac-sha256", "hmac-md5", 1), Key{}, "not one pxed signs with"},
		{"no secret", "key \"k\" { algorithm hmac-sha256; };", Key{}, "has no secret"},
		{"no algorithm", "key \"k\" { secret \"q83vEjRWeJq83vEjRWeJq80=\"; };", Key{}, "has no algorithm"},
		{"bad base64", strings.Replace(keygen, "q83v", "q8!v", 1), Key{}, "not base64"},
		{"short secret", "key k { algorithm hmac-sha256; secret \"c2hvcnQ=\"; };", Key{}, "too short"},
		{"two keys", keygen + keygen, Key{}, "want exactly one"},
		{"empty", "", Key{}, "want exactly one"},
		{"unclosed", "key k { algorithm hmac-sha256;", Key{}, "no closing brace"},
		{"no semicolon", "key k { algorithm hmac-sha256 }", Key{}, "want a clause"},
		{"unknown clause", "key k { colour blue; };", Key{}, "unknown clause"},
		{"not a key", "options { };", Key{}, "where a key statement should start"},
		{"open quote", "key \"k { };", Key{}, "not closed"},
	}
	for _, tt := range tests {
		got, err := ParseKey([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseKey = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestReadKeyNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ddns.key")
	if _, err := ReadKey(path); err == nil || !strings.Contains(err.Error(), "ddns.key") {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(path, []byte("key k { };"), 0o600)
	if _, err := ReadKey(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("bad file: %v", err)
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("key \"ddns-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\";\n};\n"))
	f.Add([]byte("/* x */ key k { algorithm hmac-sha1; secret \"\"; }; # y"))
	f.Add([]byte("key \"a\" { } ; key"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey(b)
		if err != nil {
			return
		}
		if k.Name == "" || k.Algorithm == "" || k.Secret == "" || !dns.IsFqdn(k.Name) {
			t.Errorf("ParseKey(%q) accepted an incomplete key %+v", b, k)
		}
	})
}
