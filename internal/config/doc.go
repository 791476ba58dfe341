// Package config is pxed's configuration: the schema of its one YAML file
// (Config), its defaults, and Validate.
//
// Parse decodes YAML strictly (an unknown key is an error naming its line)
// and applies defaults; Validate then reports every semantic problem at
// once, each as FILE:LINE: message, in the order the file gives them. YAML
// writes a Config back as the YAML Parse reads (pxed convert prints it).
// Another format is read elsewhere into the same Config: internal/dhcpdconf
// reads an ISC dhcpd.conf, recording each field's line with SetLine and
// finishing with ApplyDefaults, so that Validate names its lines too.
// Profile command lines are templates of internal/cmdline, which Validate
// asks to check them.
//
// A parsed Config is read-only: the DHCP, TFTP and HTTP servers share it
// across goroutines, and its lookup methods (lookup.go) take no locks.
// docs/config.md documents every field.
package config
