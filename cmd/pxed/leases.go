package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/postgres"
	"github.com/pxed/pxed/internal/web"
)

// leases prints the lease store, DHCPv4 and DHCPv6 leases in one table
// (an IPv6 lease is held by a DUID and IAID, its MAC shown when known): the embedded journal, read without
// locking it so that it works while pxed serves, or the PostgreSQL database
// the config names, which shows the leases of every instance sharing it.
func leases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("leases", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data-dir", "", "directory of the lease store")
	path := fs.String("config", "", "configuration file whose data_dir to read")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var dsn string
	if *dir == "" {
		*dir = config.DefaultDataDir
		if *path != "" {
			cfg, err := loadConfig(*path)
			if err != nil {
				return err
			}
			*dir, dsn = cfg.DataDir, cfg.Store.Postgres.DSN
		}
	}
	all, err := readLeases(ctx, *dir, dsn)
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
	fmt.Fprintln(tw, "IP\tFAMILY\tMAC\tHOSTNAME\tSTATE\tEXPIRES\tDUID/IAID")
	for _, l := range out {
		id := "-"
		if l.IAID != nil {
			id = fmt.Sprintf("%s/%d", l.DUID, *l.IAID)
		}
		expires := l.Expires.Local().Format(time.DateTime)
		if l.Infinite {
			expires = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.IP, l.Family, orDash(l.MAC), orDash(term(l.Hostname)), l.State,
			expires, id)
	}
	return tw.Flush()
}

func readLeases(ctx context.Context, dir, dsn string) ([]lease.Lease, error) {
	if dsn == "" {
		return lease.ReadJournalDir(dir)
	}
	pg, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		return nil, err
	}
	defer pg.Close()
	return pg.All(ctx)
}
