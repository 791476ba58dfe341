package dhcpdconf

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pxed/pxed/internal/config"
)

// FuzzParse feeds arbitrary bytes to Parse and Read. Neither may panic or
// loop; every problem must name the file and a line; Read must report
// problems exactly when Parse fails, and what pxed check makes of them
// (Problems, validating what parsed) must come in line order; a Config
// Parse returns must convert to YAML that reads back as an equal Config,
// and validate without panicking.
func FuzzParse(f *testing.F) {
	confs, _ := filepath.Glob("testdata/*.conf")
	ddns, _ := filepath.Glob("testdata/ddns/*.conf")
	for _, c := range append(confs, ddns...) {
		if data, err := os.ReadFile(c); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", ";", "}", "{", "\"", "#", "host", "host a {", "subnet 0.0.0.0 netmask 0.0.0.0 { range 0.0.0.0 255.255.255.255; }",
		"option x code 1 = string; option x \"\\777\";", "group { group { host h { } } }",
		"class \"c\" { match if substring(option vendor-class-identifier, 0, 20) = \"PXEClient:Arch:99999\"; filename \"\"; }",
		"# a comment\nthe rest of it\nnext-server 1.2.3.4;", "x; # c\nnext-server\n}", "# c\nwrapped twice\nand\n",
		"subnet 10.0.0.0 netmask 255.0.0.0 { authoritative; not authoritative; range 10.0.0.1 10.0.0.1 10.0.0.2; @ }",
		"host a { hardware ethernet 1:2:3:4:5; fixed-address 10.0.0.1 @; } host b { bogus { { } } }",
	} {
		f.Add([]byte(s))
	}
	lineRef := regexp.MustCompile(`^fuzz\.conf:[1-9][0-9]*: .`)
	root := f.TempDir()
	more := regexp.MustCompile(`^and [0-9]+ more problems$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The parser must get through every input: each step consumes a
		// token or ends a block. A loop would hang the fuzzer instead of
		// failing it, so it is timed here.
		type result struct {
			c    *config.Config
			read []config.Problem
		}
		done := make(chan result, 1)
		go func() {
			c, read := Read("fuzz.conf", data)
			done <- result{c, read}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Read of %d bytes takes more than 10s: a loop?", len(data))
		}
		for _, p := range r.read {
			if p.File != "fuzz.conf" || p.Line < 1 || p.Msg == "" {
				t.Errorf("problem without file and line: %#v", p)
			}
		}
		r.c.TFTP.Root = root
		all := Problems(r.c, r.read)
		if !slices.IsSortedFunc(all, func(x, y config.Problem) int { return x.Line - y.Line }) {
			t.Errorf("problems out of line order: %v", all)
		}
		c, err := Parse("fuzz.conf", data)
		if (err != nil) != (len(r.read) > 0) {
			t.Fatalf("Parse error %v, but Read reports %d problems", err, len(r.read))
		}
		if err != nil {
			lines := strings.Split(err.Error(), "\n")
			for i, l := range lines {
				if !lineRef.MatchString(l) && !(i == config.MaxProblems && more.MatchString(l)) {
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
