package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The services one pxed runs, switched by dhcp.enabled, tftp.enabled and
// http.enabled. The reference network puts DHCP and the boot files on two
// hosts (docs/deploy.md, "DHCP and files on two servers"): the DHCP host
// runs with tftp and http off and names the file host as boot.next_server;
// the file host runs with dhcp off.

// Serves says which of the boot services this configuration runs: DHCP
// (DHCPv4 with subnets, or DHCPv6), TFTP, and the HTTP boot server (which
// serves the TFTP root and runs only beside TFTP: HTTPPort).
type Serves struct {
	DHCP, TFTP, HTTP bool
}

// Serves reports which boot services c runs.
func (c *Config) Serves() Serves {
	return Serves{
		DHCP: (On(c.DHCP.Enabled) && len(c.DHCP.Subnets) > 0) || c.DHCP6.On(),
		TFTP: On(c.TFTP.Enabled),
		HTTP: c.HTTPPort() != 0,
	}
}

// Half reports whether this pxed serves one half of the boot only: DHCP
// without the files, or the files without DHCP.
func (s Serves) Half() bool { return s.DHCP != s.TFTP }

func (s Serves) String() string {
	var on []string
	for _, x := range []struct {
		name string
		on   bool
	}{{"dhcp", s.DHCP}, {"tftp", s.TFTP}, {"http", s.HTTP}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	if len(on) == 0 {
		return "nothing"
	}
	return strings.Join(on, ", ")
}

// FilesElsewhere describes, for `pxed check`, where the boot files are
// when this pxed serves DHCP but not TFTP, and so does not check them: ""
// when it serves them itself or serves no DHCP.
func (c *Config) FilesElsewhere() string {
	s := c.Serves()
	if s.TFTP || !s.DHCP {
		return ""
	}
	var at []string
	seen := map[string]bool{}
	add := func(b *Boot) {
		if b != nil && b.NextServer.IsValid() && !seen[b.NextServer.String()] {
			seen[b.NextServer.String()] = true
			at = append(at, b.NextServer.String())
		}
	}
	add(&c.Boot)
	for i := range c.DHCP.Subnets {
		add(c.DHCP.Subnets[i].Boot)
	}
	for i := range c.Hosts {
		add(c.Hosts[i].Boot)
	}
	if len(at) == 0 {
		return "tftp is off here: boot files and profile kernels not checked"
	}
	return "tftp is off here: boot files and profile kernels not checked (served by " + strings.Join(at, ", ") + ")"
}

// Notes reports what in c is likely a mistake but does not stop pxed from
// serving, each at its line as Validate's problems are: `pxed check`
// prints them, `pxed serve` logs them as warnings. They concern a pxed that
// serves DHCP without TFTP:
//   - each subnet whose clients get a boot file by TFTP should name the
//     TFTP server (boot.next_server, network-wide or the subnet's), or its clients are sent to this host, which serves
//     no files (RFC 2131 §2: siaddr is the "next server to use in
//     bootstrap"; pxed fills it with its own address when next_server is
//     unset);
//   - http.enabled does nothing: the HTTP boot server serves the TFTP
//     root and runs only beside TFTP.
//
// Notes, not problems: configurations that leave TFTP off and name boot
// files they never serve are common in tests and in DHCP-only setups whose
// clients never boot from the network.
func (c *Config) Notes() []Problem {
	v := &validator{c: c}
	if On(c.TFTP.Enabled) {
		return nil
	}
	if c.HTTP.Enabled {
		v.add("http.enabled", "http is enabled but tftp is off: the HTTP boot server serves the TFTP root and runs only beside TFTP; set http.enabled: false here (the host that serves the files serves HTTP)")
	}
	if !On(c.DHCP.Enabled) {
		return v.out
	}
	for i := range c.DHCP.Subnets {
		sub := c.DHCP.Subnets[i]
		if firstNextServer(sub.Boot, &c.Boot) != "" {
			continue
		}
		file := firstTFTPFile(sub.Boot, &c.Boot)
		if file == "" {
			continue
		}
		path := "tftp.enabled"
		if c.Line(path) == 0 {
			path = fmt.Sprintf("dhcp.subnets[%d]", i)
		}
		v.add(path, "tftp is off, but subnet %s gives boot file %q with no boot.next_server: its clients would fetch it from this host; set boot.next_server to the host that serves the files", sub.Network, file)
	}
	return v.out
}

// firstNextServer is the next_server of the first boot section that sets one.
func firstNextServer(bs ...*Boot) string {
	for _, b := range bs {
		if b != nil && b.NextServer.IsValid() {
			return b.NextServer.String()
		}
	}
	return ""
}

// firstTFTPFile is a boot file the sections give that clients fetch by
// TFTP (not a URL), "" if none.
func firstTFTPFile(bs ...*Boot) string {
	for _, b := range bs {
		if b == nil {
			continue
		}
		if b.File != "" && !strings.Contains(b.File, "://") {
			return b.File
		}
		for _, k := range slices.Sorted(maps.Keys(b.Files)) {
			if f := b.Files[k]; f != "" && !strings.Contains(f, "://") && !strings.HasPrefix(k, "http-") {
				return f
			}
		}
	}
	return ""
}
