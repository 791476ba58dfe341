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
)

// leaseJSON is the stable machine-readable form of a lease.
type leaseJSON struct {
	MAC      string    `json:"mac"`
	IP       string    `json:"ip"`
	Hostname string    `json:"hostname,omitempty"`
	ClientID string    `json:"client_id,omitempty"`
	State    string    `json:"state"`
	Expires  time.Time `json:"expires"`
}

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
	out := make([]leaseJSON, 0, len(all))
	for _, l := range all {
		j := leaseJSON{MAC: l.MAC.String(), IP: l.IP.String(), Hostname: l.Hostname, State: l.State.String(), Expires: l.Expires}
		if len(l.ClientID) > 0 {
			j.ClientID = fmt.Sprintf("%x", l.ClientID)
		}
		if l.State == lease.Bound && !time.Now().Before(l.Expires) {
			j.State = "expired"
		}
		out = append(out, j)
	}
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
