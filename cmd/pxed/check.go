package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/pxed/pxed/internal/config"
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
	files := "tftp root " + cfg.TFTP.Root
	if !config.On(cfg.TFTP.Enabled) {
		files = "tftp off"
	}
	fmt.Fprintf(stdout, "%s: ok: %d subnet(s)%s, %d host(s), %s\n", *path, len(cfg.DHCP.Subnets), v6, len(cfg.Hosts), files)
	// A pxed that serves only part of the boot (DHCP and files on two
	// servers) says which part, and what it could not check.
	if s := cfg.Serves(); s.Half() {
		fmt.Fprintf(stdout, "%s: serves %s\n", *path, s)
	}
	if s := cfg.FilesElsewhere(); s != "" {
		fmt.Fprintf(stdout, "%s: %s\n", *path, s)
	}
	for _, n := range cfg.Notes() {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	return nil
}
