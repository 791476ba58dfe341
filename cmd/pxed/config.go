package main

import (
	"fmt"
	"io"
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

// loadChecked loads the config, applies the flags and validates the result,
// printing every problem as FILE:LINE: message (loadValid), one a line.
func loadChecked(path string, o *overrides, stderr io.Writer) (*config.Config, error) {
	if path == "" {
		return nil, usageError{fmt.Errorf("--config FILE is required")}
	}
	cfg, err := loadValid(path, o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, errProblems
	}
	return cfg, nil
}

// loadValid loads the config, applies the flags and validates the result:
// serve at the start and at each reload, and check. Its error is the
// file's that could not be read or parsed, or every problem found, in the
// order of the lines, at most config.MaxProblems of them, joined
// (config.JoinProblems). A dhcpd.conf with syntax errors is validated too,
// as far as it parsed, so that one run reports all there is to fix.
func loadValid(path string, o *overrides) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	var cfg *config.Config
	var ps []config.Problem
	if dhcpdconf.LooksLike(data) {
		var read []config.Problem
		cfg, read = dhcpdconf.Read(path, data)
		o.apply(cfg)
		ps = dhcpdconf.Problems(cfg, read)
	} else {
		if cfg, err = config.Parse(path, data); err != nil {
			return nil, err
		}
		o.apply(cfg)
		ps = cfg.Validate()
	}
	if len(ps) > 0 {
		return nil, config.JoinProblems(config.Capped(ps, config.MaxProblems))
	}
	return cfg, nil
}
