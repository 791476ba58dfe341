package config

import "net"

// Syslog is pxed's receiver of installers' logs (docs/discovery.md).
type Syslog struct {
	// Listen is the UDP address pxed receives syslog on (RFC 3164 and
	// RFC 5424), such as ":514"; empty: no receiver.
	Listen string `yaml:"listen"`
}

// SyslogPort is the UDP port of pxed's syslog receiver, for profiles'
// {{.LogPort}}; 0 when there is none.
func (c *Config) SyslogPort() int {
	if c.Syslog.Listen == "" {
		return 0
	}
	return port(c.Syslog.Listen)
}

// syslog checks the receiver's address: HOST:PORT, and not the port TFTP
// reads its requests on when both would listen on one address (both UDP).
func (v *validator) syslog() {
	l := v.c.Syslog.Listen
	if l == "" {
		return
	}
	v.listenAddress("syslog.listen", l, ":514 or 192.168.1.21:514")
	if !On(v.c.TFTP.Enabled) {
		return
	}
	h, p, err := net.SplitHostPort(l)
	th, tp, terr := net.SplitHostPort(v.c.TFTP.Address)
	if err == nil && terr == nil && p == tp && (h == "" || th == "" || h == th) {
		v.add("syslog.listen", "syslog.listen %q takes the UDP port of tftp.address %q%s", l, v.c.TFTP.Address, v.at("tftp.address"))
	}
}
