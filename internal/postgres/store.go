package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/lease"
	"github.com/pxed/pxed/internal/logsink"
)

// Store is pxed's state in a PostgreSQL database. It implements
// lease.Store; any number of Stores, in any number of pxed processes, may
// share one database. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// closing ends followers when the store closes; followers counts them.
	closing   context.Context
	close     context.CancelFunc
	followers sync.WaitGroup
	// id names this Store in its lease announcements (announce.go);
	// announce queues committed leases for the announcer, wake rouses it,
	// reload asks it to tell followers to read everything.
	id       string
	announce chan lease.Lease
	wake     chan struct{}
	reload   atomic.Bool
	// changes signals catalog changes (Changes); made on first use.
	changesOnce sync.Once
	changes     chan struct{}
}

// Open connects to the database named by dsn (a libpq connection string
// or postgres:// URL; PGPASSWORD and ~/.pgpass are honoured) and brings its
// schema up to date. log receives warnings about lost connections of the
// followers (nil: discard).
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	log = logsink.Or(log)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to postgres %s: %w", where(cfg), err)
	}
	if _, err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating the schema of %s: %w", where(cfg), err)
	}
	closing, close := context.WithCancel(context.Background())
	s := &Store{pool: pool, log: log, closing: closing, close: close,
		id: newID(), announce: make(chan lease.Lease, 4096), wake: make(chan struct{}, 1)}
	s.followers.Add(1)
	go s.announcer()
	return s, nil
}

// where names the database of cfg for messages, without the password.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("database %s on %s:%d as %s", c.Database, c.Host, c.Port, c.User)
}

// Close ends every Follow and the catalog listener, sends the lease
// announcements still queued, waits for all of them, and closes the store's
// connections. Closing again does nothing.
func (s *Store) Close() error {
	s.close()
	s.followers.Wait()
	s.pool.Close()
	return nil
}

// upsert records a lease unless the address's row holds an active lease
// (bound or declined, not yet expired by the database's clock) of another
// client. "Another client" is lease.Holds in SQL: compare client
// identifiers when both sides have one, else hardware addresses (RFC 2131
// §4.2). INSERT … ON CONFLICT locks the existing row and evaluates the WHERE
// clause on its latest committed version, so of two instances committing one
// address at once, the second sees the first's lease and is refused.
const upsert = `
INSERT INTO leases AS l (ip, mac, client_id, hostname, state, expires, updated)
VALUES ($1, $2, $3, $4, $5, $6, now())
ON CONFLICT (ip) DO UPDATE SET
	mac = excluded.mac, client_id = excluded.client_id, hostname = excluded.hostname,
	state = excluded.state, expires = excluded.expires, updated = now()
WHERE NOT (l.state IN ($7, $8) AND l.expires > now())
	OR CASE WHEN length(l.client_id) > 0 AND length(excluded.client_id) > 0
		THEN l.client_id = excluded.client_id
		ELSE l.mac = excluded.mac END`

// Commit records l; it returns once the transaction has committed. It
// fails with lease.ErrConflict, recording nothing, when another client holds
// an active lease on l.IP.
func (s *Store) Commit(ctx context.Context, l lease.Lease) error {
	tag, err := s.pool.Exec(ctx, upsert, args(l)...)
	if err != nil {
		return fmt.Errorf("recording lease %s: %w", l.IP, err)
	}
	if tag.RowsAffected() == 0 {
		return lease.ErrConflict
	}
	s.announced(l)
	return nil
}

// args are the upsert's parameters for l. An absent MAC or client
// identifier is stored as empty, not NULL: a DHCPv6 client may have no MAC
// (its DUID names none and no relay gave one), a DHCPv4 client no option 61.
// The columns hold IPv4 and IPv6 leases alike: ip is inet.
func args(l lease.Lease) []any {
	mac, cid := []byte(l.MAC), l.ClientID
	if mac == nil {
		mac = []byte{}
	}
	if cid == nil {
		cid = []byte{}
	}
	return []any{l.IP, mac, cid, l.Hostname, int16(l.State), l.Expires, int16(lease.Bound), int16(lease.Declined)}
}

const columns = "ip, mac, client_id, hostname, state, expires"

func scan(row pgx.Row) (lease.Lease, error) {
	var l lease.Lease
	var mac, cid []byte
	var state int16
	if err := row.Scan(&l.IP, &mac, &cid, &l.Hostname, &state, &l.Expires); err != nil {
		return lease.Lease{}, err
	}
	l.State = lease.State(state)
	if len(mac) > 0 {
		l.MAC = mac
	}
	if len(cid) > 0 {
		l.ClientID = cid
	}
	return l, nil
}

// Get returns the lease recorded for ip.
func (s *Store) Get(ctx context.Context, ip netip.Addr) (lease.Lease, bool, error) {
	l, err := scan(s.pool.QueryRow(ctx, "SELECT "+columns+" FROM leases WHERE ip = $1", ip))
	if errors.Is(err, pgx.ErrNoRows) {
		return lease.Lease{}, false, nil
	}
	if err != nil {
		return lease.Lease{}, false, fmt.Errorf("reading lease %s: %w", ip, err)
	}
	return l, true, nil
}

// All returns every recorded lease, ordered by address.
func (s *Store) All(ctx context.Context) ([]lease.Lease, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+columns+" FROM leases ORDER BY ip")
	if err != nil {
		return nil, fmt.Errorf("reading leases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lease.Lease, error) { return scan(r) })
	if err != nil {
		return nil, fmt.Errorf("reading leases: %w", err)
	}
	return out, nil
}

// Import records leases and a catalog (what an embedded store holds) in one
// transaction. Leases follow the rule of Commit: if any address is held by
// another client in the database, nothing is recorded and the error names
// the address. Catalog entries replace those of the same name or MAC.
// Importing the same again changes nothing, so an interrupted import can
// simply be run again.
func (s *Store) Import(ctx context.Context, leases []lease.Lease, cat catalog.State) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	for _, l := range leases {
		b.Queue(upsert, args(l)...)
	}
	res := tx.SendBatch(ctx, b)
	for _, l := range leases {
		tag, err := res.Exec()
		if err != nil {
			res.Close()
			return fmt.Errorf("importing lease %s: %w", l.IP, err)
		}
		if tag.RowsAffected() == 0 {
			res.Close()
			return fmt.Errorf("importing lease %s of %s: %w", l.IP, l.MAC, lease.ErrConflict)
		}
	}
	if err := res.Close(); err != nil {
		return err
	}
	if err := importCatalog(ctx, tx, cat); err != nil {
		return fmt.Errorf("importing catalog: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing import: %w", err)
	}
	s.reload.Store(true) // every follower reads it all
	s.wakeAnnouncer()
	return nil
}

// Now returns the database server's clock, the one that decides whether a
// lease is still active.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, "SELECT now()").Scan(&t)
	return t, err
}
