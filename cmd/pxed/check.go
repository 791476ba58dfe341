package main

import (
	"flag"
	"fmt"
	"io"
)

// check validates a configuration as serve would and reports every problem.
func check(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (pxed YAML, or an ISC dhcpd.conf)")
	var o overrides
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0)
	}
	cfg, err := loadChecked(*path, &o, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok: %d subnet(s), %d host(s), tftp root %s\n", *path, len(cfg.DHCP.Subnets), len(cfg.Hosts), cfg.TFTP.Root)
	return nil
}
