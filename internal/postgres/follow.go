package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/pxed/pxed/internal/lease"
)

// channel is where the leases table's trigger announces every change.
const channel = "pxed_leases"

// Follow calls apply with every lease that any instance records, until ctx
// ends or the store closes; it returns nil then. It LISTENs on a connection
// of its own. Each time it (re)connects it first passes every lease to
// apply, so that what happened while it was not listening is not missed. apply
// is called from one goroutine, in commit order (PostgreSQL delivers
// notifications of different transactions in the order they committed), and
// must not block for long: notifications queue up in the database meanwhile.
func (s *Store) Follow(ctx context.Context, apply func(lease.Lease)) error {
	s.followers.Add(1)
	defer s.followers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel) // Close ends it too
	defer stop()
	s.follow(ctx, s.log, time.Second, channel,
		func(ctx context.Context) error {
			all, err := s.All(ctx)
			for _, l := range all {
				apply(l)
			}
			return err
		},
		func(payload string) error {
			l, err := decodeNotice(payload)
			if err != nil {
				// Reconnecting reads every lease again.
				return fmt.Errorf("lease notification %q: %w", payload, err)
			}
			apply(l)
			return nil
		})
	return nil
}

// follow LISTENs on ch until ctx ends: after each (re)connection it runs
// connected (to catch up on what was missed), then notice for each
// notification. A lost connection, or an error of either function, is
// retried after retry, doubling up to a minute.
func (s *Store) follow(ctx context.Context, log *slog.Logger, retry time.Duration, ch string, connected func(context.Context) error, notice func(string) error) {
	wait := retry
	for ctx.Err() == nil {
		err := s.listen(ctx, ch, connected, notice)
		if ctx.Err() != nil {
			return
		}
		log.Warn("postgres: not following changes of other instances; retrying", "channel", ch, "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// listen follows ch on one connection until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, ch string, connected func(context.Context) error, notice func(string) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that listened is not given back to the pool: its LISTEN
	// would outlive this follower.
	defer func() {
		c.Conn().Close(context.Background())
		c.Release()
	}()
	if _, err := c.Exec(ctx, "LISTEN "+ch); err != nil {
		return fmt.Errorf("LISTEN %s: %w", ch, err)
	}
	// Listening first, then catching up: a change that commits between the
	// two is seen twice, which is harmless; none is missed.
	if err := connected(ctx); err != nil {
		return err
	}
	for {
		n, err := c.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if err := notice(n.Payload); err != nil {
			return err
		}
	}
}

// notice is the JSON the trigger sends (migrations/0001_leases.sql).
type notice struct {
	IP        string `json:"ip"`
	MAC       string `json:"mac"`
	ClientID  string `json:"client_id"`
	Hostname  string `json:"hostname"`
	State     int    `json:"state"`
	ExpiresUS int64  `json:"expires_us"`
}

func decodeNotice(payload string) (lease.Lease, error) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return lease.Lease{}, err
	}
	ip, err := netip.ParseAddr(n.IP)
	if err != nil {
		return lease.Lease{}, err
	}
	mac, err := hex.DecodeString(n.MAC)
	if err != nil {
		return lease.Lease{}, fmt.Errorf("mac: %w", err)
	}
	cid, err := hex.DecodeString(n.ClientID)
	if err != nil {
		return lease.Lease{}, fmt.Errorf("client_id: %w", err)
	}
	l := lease.Lease{IP: ip, MAC: mac, Hostname: n.Hostname, State: lease.State(n.State), Expires: time.UnixMicro(n.ExpiresUS)}
	if len(cid) > 0 {
		l.ClientID = cid
	}
	return l, nil
}
