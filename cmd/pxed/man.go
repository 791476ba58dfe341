package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// manPage writes pxed(8) in roff (man(7) macros), made from the commands
// table: the packages install it, generated at build time, so it always
// lists the commands and flags this binary has.
func manPage(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, ".TH PXED 8 \"\" \"pxed %s\" \"System Administration\"\n", roff(versionString()))
	b.WriteString(`.SH NAME
pxed \- PXE network-boot server: DHCP, TFTP, HTTP boot and a dashboard
.SH SYNOPSIS
.B pxed
.I command
.RI [ arguments ]
.SH DESCRIPTION
.B pxed
answers PXE and UEFI network-boot clients with DHCP (and DHCPv6), serves
their boot files over TFTP and HTTP, and renders the boot loader
configuration of each machine from its host and profile. One static binary
and one YAML file:
.BR pxed\ check
reports every problem in that file at once as FILE:LINE, and
.B pxed\ serve
serves it. The other commands read or change a running pxed through its
API, or convert an ISC dhcpd.conf.
.SH COMMANDS
`)
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		b.WriteString(".TP\n")
		fmt.Fprintf(b, ".B pxed %s\n", roff(c.name))
		for i, l := range c.synopsisLines() {
			if i > 0 {
				b.WriteString(".br\n")
			}
			fmt.Fprintf(b, "%s\n", roff(l))
		}
		if len(c.synopsisLines()) > 0 {
			b.WriteString(".br\n")
		}
		fmt.Fprintf(b, "%s.\n", roff(capitalize(c.summary)))
	}
	b.WriteString(`.SH FILES
.TP
.I /etc/pxed/pxed.yaml
The configuration the packaged systemd unit serves.
.TP
.I /var/lib/pxed
The data directory (data_dir): the lease store and the rest of pxed's state.
.TP
.I /srv/tftp
The TFTP root unless tftp.root says otherwise.
.SH EXIT STATUS
0 on success, 1 on an error or a configuration with problems, 2 on a usage error.
.SH SEE ALSO
.BR systemd-sysusers (8),
.BR dhcpd.conf (5);
the configuration reference and the deployment guide in
.IR /usr/share/doc/pxed/ .
`)
	return b.Flush()
}

// roff escapes text for a roff line: backslashes, hyphens (so they print
// as ASCII minus signs and flags can be copied), and a leading dot or quote
// that would start a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
