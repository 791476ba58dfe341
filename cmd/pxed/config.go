package main

import (
	"fmt"
	"os"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/dhcpdconf"
)

// loadConfig reads the configuration file at path: as an ISC dhcpd.conf
// when its content is one (dhcpdconf.LooksLike), whatever the file is
// called, and as pxed YAML otherwise. It does not validate: flags may still
// change fields, so callers run Validate last.
func loadConfig(path string) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if dhcpdconf.LooksLike(data) {
		return dhcpdconf.Parse(path, data)
	}
	return config.Parse(path, data)
}
