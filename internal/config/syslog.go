package config

// Syslog is pxed's receiver of installers' logs (docs/discovery.md).
type Syslog struct {
	// Listen is the UDP address pxed receives syslog on (RFC 3164 and
	// RFC 5424), such as ":514"; empty: no receiver.
	Listen string `yaml:"listen"`
}
