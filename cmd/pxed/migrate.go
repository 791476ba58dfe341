package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/postgres"
)

// migrate moves an embedded store (leases and catalog) into the PostgreSQL
// database the config names, in one transaction. It takes the data
// directory's lock, so it refuses while a pxed still serves from it. An
// address that the database already gives to another client stops it with
// nothing moved; running it again after an interruption is harmless.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file whose store.postgres.dsn receives the leases")
	from := fs.String("from-data-dir", "", "data directory of the embedded store to move")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || *from == "" {
		return usageError{errors.New("--config FILE and --from-data-dir DIR are required")}
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	if cfg.Store.Postgres.DSN == "" {
		return fmt.Errorf("%s sets no store.postgres.dsn: nowhere to move the leases to", *path)
	}
	j, err := lease.OpenJournal(*from, time.Now, nil)
	if err != nil {
		return fmt.Errorf("opening embedded store: %w", err)
	}
	defer j.Close()
	all, err := j.All(ctx)
	if err != nil {
		return err
	}
	cf, err := catalog.OpenFile(*from)
	if err != nil {
		return err
	}
	cat, err := cf.Load(ctx)
	if err != nil {
		return err
	}
	pg, err := postgres.Open(ctx, cfg.Store.Postgres.DSN, nil)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := pg.Import(ctx, all, cat); err != nil {
		return fmt.Errorf("nothing moved: %w", err)
	}
	fmt.Fprintf(stdout, "moved %d lease(s), %d host(s), %d profile(s), %d install record(s) and %d discovered machine(s) from %s to PostgreSQL\n",
		len(all), len(cat.Hosts), len(cat.Profiles), len(cat.Installed), len(cat.Machines), *from)
	return nil
}
