//go:build linux

package agent

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Params is what the discovery boot's kernel command line tells the
// agent: where pxed is, the token of this boot, and the MAC of the NIC
// the machine booted from (the one to bring up).
type Params struct {
	Server *url.URL // http://IP:PORT
	Token  string
	MAC    net.HardwareAddr
}

// ParseCmdline reads pxed.server, pxed.token and pxed.mac from a kernel
// command line (/proc/cmdline). Words are separated by spaces; a value in
// double quotes may hold spaces (the kernel's own rule, lib/cmdline.c
// next_arg). A later word overrides an earlier one, as for the kernel's
// parameters. It reports every missing or malformed parameter at once.
func ParseCmdline(cmdline string) (Params, error) {
	var p Params
	var problems []string
	seen := map[string]string{}
	for _, w := range words(cmdline) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		switch k {
		case "pxed.server", "pxed.token", "pxed.mac":
			seen[k] = v
		}
	}
	if v, ok := seen["pxed.server"]; !ok {
		problems = append(problems, "no pxed.server")
	} else if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("pxed.server %q is not an http:// or https:// URL", v))
	} else {
		p.Server = u
	}
	if v, ok := seen["pxed.token"]; !ok || v == "" {
		problems = append(problems, "no pxed.token")
	} else {
		p.Token = v
	}
	if v, ok := seen["pxed.mac"]; !ok {
		problems = append(problems, "no pxed.mac")
	} else if mac, err := net.ParseMAC(v); err != nil || len(mac) != 6 {
		problems = append(problems, fmt.Sprintf("pxed.mac %q is not an Ethernet MAC", v))
	} else {
		p.MAC = mac
	}
	if len(problems) > 0 {
		return Params{}, fmt.Errorf("kernel command line: %s", strings.Join(problems, ", "))
	}
	return p, nil
}

// words splits a command line as the kernel does: on spaces, with double
// quotes grouping (and dropped).
func words(s string) []string {
	var out []string
	var b strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			in = true
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}
