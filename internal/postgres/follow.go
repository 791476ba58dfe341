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
// ends or the store closes; it returns nil then. It LISTENs on a connection of its own. Each
// time it (re)connects it first passes every lease to apply, so that what
// happened while it was not listening is not missed; a lost connection is
// retried after retry (doubling up to a minute). apply is called from one
// goroutine, in commit order (PostgreSQL delivers notifications of
// different transactions in the order they committed), and must not block
// for long: notifications queue up in the database meanwhile.
func (s *Store) Follow(ctx context.Context, log *slog.Logger, retry time.Duration, apply func(lease.Lease)) error {
	s.followers.Add(1)
	defer s.followers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel) // Close ends it too
	defer stop()
	wait := retry
	for ctx.Err() == nil {
		err := s.listen(ctx, apply)
		if ctx.Err() != nil {
			break
		}
		log.Warn("postgres: not following lease changes of other instances; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
	return nil
}

// listen follows changes on one connection until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, apply func(lease.Lease)) error {
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
	if _, err := c.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("LISTEN %s: %w", channel, err)
	}
	// Listening first, then reading all: a change that commits between the
	// two is seen twice, which is harmless; none is missed.
	all, err := s.All(ctx)
	if err != nil {
		return err
	}
	for _, l := range all {
		apply(l)
	}
	for {
		n, err := c.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l, err := decodeNotice(n.Payload)
		if err != nil {
			// A payload we cannot read: reconnecting reads every lease again.
			return fmt.Errorf("lease notification %q: %w", n.Payload, err)
		}
		apply(l)
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
