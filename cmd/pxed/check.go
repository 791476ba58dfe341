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
	v6 := ""
	if cfg.DHCP6.On() {
		v6 = fmt.Sprintf(", %d dhcp6 subnet(s)", len(cfg.DHCP6.Subnets))
	}
	fmt.Fprintf(stdout, "%s: ok: %d subnet(s)%s, %d host(s), tftp root %s\n", *path, len(cfg.DHCP.Subnets), v6, len(cfg.Hosts), cfg.TFTP.Root)
	return nil
}
