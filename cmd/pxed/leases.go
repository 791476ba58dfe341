package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/web"
)

// leases prints the lease store. It reads the journal without locking it,
// so it works while pxed serves.
func leases(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("leases", flag.ContinueOnError)
	dir := fs.String("data-dir", "", "directory of the lease store")
	path := fs.String("config", "", "configuration file whose data_dir to read")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		*dir = config.DefaultDataDir
		if *path != "" {
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			*dir = cfg.DataDir
		}
	}
	all, err := lease.ReadJournalDir(*dir)
	if err != nil {
		return err
	}
	out := web.LeaseViews(all, time.Now())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IP\tMAC\tHOSTNAME\tSTATE\tEXPIRES")
	for _, l := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.IP, l.MAC, l.Hostname, l.State, l.Expires.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
