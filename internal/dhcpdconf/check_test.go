package dhcpdconf

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEveryProblem checks that one run reports every problem of a file:
// each syntax error, after which the parser goes on at the next statement,
// and the problems Validate finds in what parsed, in the order of their
// lines, as pxed check prints them.
func TestEveryProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		conf string
		want []string
	}{
		{
			// The example of the issue: a missing ';' used to hide the
			// duplicate address.
			name: "missing semicolon and a shared fixed address",
			conf: `subnet 192.168.1.0 netmask 255.255.255.0 {
  range 192.168.1.150 192.168.1.199;
  next-server 192.168.1.21
  filename "pxelinux.0";
}
host station-01 {
  hardware ethernet 00:18:e7:42:84:3a;
  fixed-address 192.168.1.101;
}
host station-02 {
  hardware ethernet 00:18:e7:42:85:21;
  fixed-address 192.168.1.101;
}
`,
			want: []string{
				`t.conf:3: expected ';' after next-server 192.168.1.21, got "filename"`,
				`t.conf:12: host "station-02" has the same IP 192.168.1.101 as host "station-01" (line 8)`,
			},
		},
		{
			name: "syntax errors in blocks, then the checks of the rest",
			conf: `subnet 192.168.1.0 netmask 255.255.255.0 {
  range 192.168.1.150 192.168.1.199;
  range 192.168.2.10 192.168.2.20;
  option routers 192.168.1.1 192.168.1.2;
  bogus words { nested { ; } }
  next-server 192.168.1.21;
}
host station-01 {
  hardware ethernet 00:18:e7:42:84:3a;
  fixed-address 192.168.1.160;
}
host station-02 {
  hardware ethernet 00:18:e7:42:84:3a;
  fixed-address 192.168.1.102 @;
}
host station-03 {
  hardware ethernet 00:18:e7:42:84;
  fixed-address 192.168.1.103;
}
`,
			want: []string{
				`t.conf:3: pool 192.168.2.10-192.168.2.20 is not inside subnet 192.168.1.0/24`,
				`t.conf:4: expected ';' after option routers 192.168.1.1, got "192.168.1.2"`,
				`t.conf:5: bogus is not supported by pxed (see docs/dhcpd-conf.md for the statements it reads)`,
				`t.conf:10: host "station-01" IP 192.168.1.160 is inside the dynamic pool 192.168.1.150-192.168.1.199 (line 2)`,
				`t.conf:13: host "station-02" has the same MAC 00:18:e7:42:84:3a as host "station-01" (line 9)`,
				`t.conf:14: unexpected character '@'`,
				`t.conf:17: expected a MAC address like 00:18:e7:42:84:3a after hardware ethernet, got "00:18:e7:42:84"`,
			},
		},
		{
			name: "a class that allow or deny members of names is declared nowhere",
			conf: `class "pxeclients" {
  match if substring(option vendor-class-identifier, 0, 9) = "PXEClient";
}
subnet 192.168.1.0 netmask 255.255.255.0 {
  pool {
    allow members of "pxeclient";
    deny members of "pxeclients";
    range 192.168.1.150 192.168.1.199;
  }
}
`,
			want: []string{
				`t.conf:5: pool is not supported by pxed (see docs/dhcpd-conf.md for the statements it reads)`,
				`t.conf:6: allow members of "pxeclient": no class "pxeclient" is declared in this file`,
			},
		},
		{
			name: "a block left open",
			conf: `subnet 192.168.1.0 netmask 255.255.255.0 {
  range 192.168.1.150 192.168.1.199;
host a {
  hardware ethernet 00:18:e7:42:84:3a;
  fixed-address 10.0.0.1;
}
`,
			want: []string{
				`t.conf:5: host "a" IP 10.0.0.1 is in no configured subnet`,
				`t.conf:7: expected '}' to close the subnet block opened on line 1, got end of file`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, read := Read("t.conf", []byte(tc.conf))
			c.TFTP.Enabled = ptr(false)
			var got []string
			for _, p := range Problems(c, read) {
				got = append(got, p.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWrappedCommentHint: a line of words after a comment line, which an
// editor's wrapping makes of the comment's end, is reported as such, and
// the next line is read as the statement it is. Lines that are statements
// across lines, or a missing ';', keep their own messages.
func TestWrappedCommentHint(t *testing.T) {
	t.Parallel()
	const subnet = "subnet 192.168.1.0 netmask 255.255.255.0 {\n  range 192.168.1.150 192.168.1.199;\n"
	for _, tc := range []struct {
		name string
		conf string
		want []string
	}{
		{
			name: "words after a comment line",
			conf: subnet + `  # the routers: 192.168.1.1 replaces
  the old gateway
  option routers 192.168.1.1;
}
`,
			want: []string{`t.conf:4: unknown statement "the": is this the rest of the comment on line 3? dhcpd.conf comments end at the line's end`},
		},
		{
			name: "a keyword alone after a comment at the end of a statement's line",
			conf: subnet + `  filename "pxelinux.0"; # given to every client, by the
  next-server
  option routers 192.168.1.1;
}
`,
			want: []string{`t.conf:4: incomplete statement "next-server": is this the rest of the comment on line 3? dhcpd.conf comments end at the line's end`},
		},
		{
			name: "a comment wrapped twice",
			conf: subnet + `  # a comment long enough to be wrapped
  twice by the editor that
  wrapped it
}
`,
			want: []string{
				`t.conf:4: unknown statement "twice": is this the rest of the comment on line 3? dhcpd.conf comments end at the line's end`,
				`t.conf:5: unknown statement "wrapped": is this the rest of the comment on line 4? dhcpd.conf comments end at the line's end`,
			},
		},
		{
			name: "no comment before: a comment without its '#'?",
			conf: subnet + `  the old gateway
  option routers 192.168.1.1;
}
`,
			want: []string{`t.conf:3: unknown statement "the": is this a comment? dhcpd.conf comments start with '#' (docs/dhcpd-conf.md lists the statements pxed reads)`},
		},
		{
			name: "an unsupported statement across lines: skipped to its ';'",
			conf: subnet + `  # failover with the other server
  failover peer "dhcp-failover"
    { primary; };
}
`,
			want: []string{`t.conf:4: failover is not supported by pxed (see docs/dhcpd-conf.md for the statements it reads)`},
		},
		{
			name: "a statement across lines after a comment is read",
			conf: subnet + `  # the name servers
  option domain-name-servers
    192.168.1.2, 192.168.1.3;
  # the boot server
  next-server
    192.168.1.4;
}
`,
		},
		{
			name: "its value wrong: the value's error, no hint",
			conf: subnet + `  # the name servers
  option domain-name-servers
    192.168.1.2, ns2;
}
`,
			want: []string{`t.conf:5: expected an IPv4 address as the value of option domain-name-servers, got "ns2"`},
		},
		{
			name: "a missing ';' after a comment line stays one",
			conf: subnet + `  # the boot server
  next-server 192.168.1.4
  filename "pxelinux.0";
}
`,
			want: []string{`t.conf:4: expected ';' after next-server 192.168.1.4, got "filename"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, read := Read("t.conf", []byte(tc.conf))
			c.TFTP.Enabled = ptr(false)
			var got []string
			for _, p := range Problems(c, read) {
				got = append(got, p.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			// The statement after the comment's end is read.
			if strings.Contains(tc.conf, "option routers") {
				if len(c.DHCP.Subnets) != 1 || fmt.Sprint(c.DHCP.Subnets[0].Routers) != "[192.168.1.1]" {
					t.Errorf("routers not read: %+v", c.DHCP.Subnets)
				}
			}
		})
	}
}

// TestProblemsCapped: a mistake repeated through a file is listed up to
// config.MaxProblems times, and the rest counted.
func TestProblemsCapped(t *testing.T) {
	t.Parallel()
	var conf strings.Builder
	for range 130 {
		conf.WriteString("bogus;\n")
	}
	_, err := Parse("t.conf", []byte(conf.String()))
	if err == nil {
		t.Fatal("Parse accepted 130 unsupported statements")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 101 {
		t.Fatalf("%d lines, want 100 problems and a count", len(lines))
	}
	for i, l := range lines[:100] {
		if want := fmt.Sprintf("t.conf:%d: bogus is not supported by pxed (see docs/dhcpd-conf.md for the statements it reads)", i+1); l != want {
			t.Errorf("line %d: %q, want %q", i, l, want)
		}
	}
	if lines[100] != "and 30 more problems" {
		t.Errorf("last line %q, want \"and 30 more problems\"", lines[100])
	}
}
