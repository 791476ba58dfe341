package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
)

// Store implements catalog.Store as well as lease.Store: the hosts,
// profiles, discovery rules, install-once state and discovered machines of every instance
// sharing the database. Each change is one statement, durable when it
// returns; Changes tells of changes made by anyone, this Store included.

// Load returns the whole catalog, read in one transaction so that it is
// one consistent state.
func (s *Store) Load(ctx context.Context) (catalog.State, error) {
	var st catalog.State
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := loadJSON(ctx, tx, "SELECT entry FROM catalog_hosts", &st.Hosts); err != nil {
			return fmt.Errorf("hosts: %w", err)
		}
		if err := loadJSON(ctx, tx, "SELECT entry FROM catalog_profiles", &st.Profiles); err != nil {
			return fmt.Errorf("profiles: %w", err)
		}
		if err := loadJSON(ctx, tx, "SELECT entry FROM catalog_rules", &st.Rules); err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		if err := loadJSON(ctx, tx, "SELECT entry FROM catalog_machines", &st.Machines); err != nil {
			return fmt.Errorf("machines: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT host_key, at FROM catalog_installed")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var host string
			var at time.Time
			if err := rows.Scan(&host, &at); err != nil {
				return err
			}
			if st.Installed == nil {
				st.Installed = map[string]time.Time{}
			}
			st.Installed[host] = at
		}
		return rows.Err()
	})
	if err != nil {
		return catalog.State{}, fmt.Errorf("loading catalog: %w", err)
	}
	return st, nil
}

// loadJSON appends the JSON entries a query returns to *out.
func loadJSON[T any](ctx context.Context, tx pgx.Tx, query string, out *[]T) error {
	rows, err := tx.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("stored entry %s: %w", raw, err)
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// put stores v as JSON under key in table, replacing the row of that key.
func (s *Store) put(ctx context.Context, table, keyCol, key string, v any) error {
	return put(ctx, s.pool, table, keyCol, key, v)
}

func put(ctx context.Context, db execer, table, keyCol, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, "INSERT INTO "+table+" ("+keyCol+", entry) VALUES ($1, $2) ON CONFLICT ("+keyCol+") DO UPDATE SET entry = excluded.entry", key, b)
	if err != nil {
		return fmt.Errorf("storing %s %s: %w", table, key, err)
	}
	return nil
}

// remove deletes the row of key from table; ErrNotFound when there is none.
func (s *Store) remove(ctx context.Context, table, keyCol, key string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM "+table+" WHERE "+keyCol+" = $1", key)
	if err != nil {
		return fmt.Errorf("deleting %s %s: %w", table, key, err)
	}
	if tag.RowsAffected() == 0 {
		return catalog.ErrNotFound
	}
	return nil
}

// nameKey is how names are compared: ignoring case (RFC 4343).
func nameKey(name string) string { return strings.ToLower(name) }

func (s *Store) PutHost(ctx context.Context, h config.Host) error {
	return s.put(ctx, "catalog_hosts", "name_key", nameKey(h.Name), h)
}

func (s *Store) DeleteHost(ctx context.Context, name string) error {
	return s.remove(ctx, "catalog_hosts", "name_key", nameKey(name))
}

func (s *Store) PutProfile(ctx context.Context, p config.Profile) error {
	return s.put(ctx, "catalog_profiles", "name_key", nameKey(p.Name), p)
}

func (s *Store) DeleteProfile(ctx context.Context, name string) error {
	return s.remove(ctx, "catalog_profiles", "name_key", nameKey(name))
}

func (s *Store) PutRule(ctx context.Context, r config.Rule) error {
	return s.put(ctx, "catalog_rules", "name_key", nameKey(r.Name), r)
}

func (s *Store) DeleteRule(ctx context.Context, name string) error {
	return s.remove(ctx, "catalog_rules", "name_key", nameKey(name))
}

// SetInstalled records when host reported its installation done; a zero
// at clears the record.
func (s *Store) SetInstalled(ctx context.Context, host string, at time.Time) error {
	return setInstalled(ctx, s.pool, host, at)
}

func setInstalled(ctx context.Context, db execer, host string, at time.Time) error {
	var err error
	if at.IsZero() {
		_, err = db.Exec(ctx, "DELETE FROM catalog_installed WHERE host_key = $1", nameKey(host))
	} else {
		_, err = db.Exec(ctx, "INSERT INTO catalog_installed (host_key, at) VALUES ($1, $2) ON CONFLICT (host_key) DO UPDATE SET at = excluded.at", nameKey(host), at)
	}
	if err != nil {
		return fmt.Errorf("recording installation of %s: %w", host, err)
	}
	return nil
}

func (s *Store) PutMachine(ctx context.Context, m catalog.Machine) error {
	return s.put(ctx, "catalog_machines", "mac", nameKey(m.MAC.String()), m)
}

// DeleteMachine forgets a discovered machine; an unknown one is no error.
func (s *Store) DeleteMachine(ctx context.Context, mac config.MAC) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM catalog_machines WHERE mac = $1", nameKey(mac.String())); err != nil {
		return fmt.Errorf("deleting machine %s: %w", mac, err)
	}
	return nil
}

// importCatalog writes st into the catalog through db, replacing entries
// of the same names and MACs.
func importCatalog(ctx context.Context, db execer, st catalog.State) error {
	for _, h := range st.Hosts {
		if err := put(ctx, db, "catalog_hosts", "name_key", nameKey(h.Name), h); err != nil {
			return err
		}
	}
	for _, p := range st.Profiles {
		if err := put(ctx, db, "catalog_profiles", "name_key", nameKey(p.Name), p); err != nil {
			return err
		}
	}
	for _, r := range st.Rules {
		if err := put(ctx, db, "catalog_rules", "name_key", nameKey(r.Name), r); err != nil {
			return err
		}
	}
	for host, at := range st.Installed {
		if err := setInstalled(ctx, db, host, at); err != nil {
			return err
		}
	}
	for _, m := range st.Machines {
		if err := put(ctx, db, "catalog_machines", "mac", nameKey(m.MAC.String()), m); err != nil {
			return err
		}
	}
	return nil
}

// catalogChannel is where the catalog tables' triggers announce changes.
const catalogChannel = "pxed_catalog"

// Changes delivers a value after the catalog changed, by this instance or
// another (a reload that finds its own change is cheap), and after the
// listening connection was lost and made again, since changes may have been
// missed meanwhile. The first call starts the listener; Close ends it.
func (s *Store) Changes() <-chan struct{} {
	s.changesOnce.Do(func() {
		s.changes = make(chan struct{}, 1)
		signal := func() {
			select {
			case s.changes <- struct{}{}:
			default: // one pending reload covers every change before it
			}
		}
		s.followers.Add(1)
		go func() {
			defer s.followers.Done()
			s.follow(s.closing, s.log, time.Second, catalogChannel,
				func(context.Context) error { signal(); return nil },
				func(context.Context, string) error { signal(); return nil })
		}()
	})
	return s.changes
}
