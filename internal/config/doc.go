// Package config reads pxed's one YAML configuration file.
//
// Parse decodes strictly (an unknown key is an error naming its line) and
// applies defaults; Validate then reports every semantic problem at once,
// each as FILE:LINE: message, in the order the file gives them. A parsed
// Config is read-only: the DHCP, TFTP and HTTP servers share it across
// goroutines, and the lookups (SubnetFor, Subnet.InPool) use no
// locks. docs/config.md documents every field.
package config
