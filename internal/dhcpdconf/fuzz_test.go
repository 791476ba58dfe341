package dhcpdconf

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/config"
)

// FuzzParse feeds arbitrary bytes to Parse. It may not panic; every error
// line must name the file and a line; a Config it returns must convert to
// YAML that reads back as an equal Config, and validate without panicking.
func FuzzParse(f *testing.F) {
	confs, _ := filepath.Glob("testdata/*.conf")
	for _, c := range confs {
		if data, err := os.ReadFile(c); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", ";", "}", "{", "\"", "#", "host", "host a {", "subnet 0.0.0.0 netmask 0.0.0.0 { range 0.0.0.0 255.255.255.255; }",
		"option x code 1 = string; option x \"\\777\";", "group { group { host h { } } }",
		"class \"c\" { match if substring(option vendor-class-identifier, 0, 20) = \"PXEClient:Arch:99999\"; filename \"\"; }",
	} {
		f.Add([]byte(s))
	}
	lineRef := regexp.MustCompile(`^fuzz\.conf:[1-9][0-9]*: .`)
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.conf", data)
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !lineRef.MatchString(l) {
					t.Errorf("error line without file and line: %q", l)
				}
			}
			return
		}
		y, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := config.Parse("fuzz.conf", y)
		if err != nil {
			t.Fatalf("converted YAML does not parse: %v\n%s", err, y)
		}
		if diff := cmp.Diff(c, back, cmpConfig...); diff != "" {
			t.Errorf("converted YAML reads back differently (-dhcpd.conf +yaml):\n%s\n%s", diff, y)
		}
		c.TFTP.Root = root
		for _, p := range c.Validate() {
			if p.File != "fuzz.conf" || p.Msg == "" {
				t.Errorf("malformed problem %#v", p)
			}
		}
	})
}
