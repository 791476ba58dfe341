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

// Follow calls apply with every lease that other instances (other Stores)
// record, until ctx ends or the store closes; it returns nil then. It
// LISTENs on a connection of its own. Each time it (re)connects, when an
// announcer asks, and every minute (resync) it passes every lease to apply,
// so that what was missed meanwhile is caught up. apply is called from one
// goroutine and must not block for long: notifications queue up in the
// database meanwhile.
func (s *Store) Follow(ctx context.Context, apply func(lease.Lease)) error {
	s.followers.Add(1)
	defer s.followers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel) // Close ends it too
	defer stop()
	all := func(ctx context.Context) error {
		ls, err := s.All(ctx)
		for _, l := range ls {
			apply(l)
		}
		return err
	}
	s.follow(ctx, s.log, time.Second, channel, all,
		func(ctx context.Context, payload string) error {
			n, l, err := decodeNotice(payload)
			switch {
			case err != nil:
				// Reconnecting reads every lease again.
				return fmt.Errorf("lease notification %q: %w", payload, err)
			case n.Src == s.id:
				// This Store's own commit: its caller knows it already.
			case n.Reload:
				return all(ctx)
			default:
				apply(l)
			}
			return nil
		})
	return nil
}

// follow LISTENs on ch until ctx ends: after each (re)connection it runs
// connected (to catch up on what was missed), then notice for each
// notification. A lost connection, or an error of either function, is
// retried after retry, doubling up to a minute.
func (s *Store) follow(ctx context.Context, log *slog.Logger, retry time.Duration, ch string, connected func(context.Context) error, notice func(context.Context, string) error) {
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
func (s *Store) listen(ctx context.Context, ch string, connected func(context.Context) error, notice func(context.Context, string) error) error {
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
		wctx, cancel := context.WithTimeout(ctx, resync)
		n, err := c.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && wctx.Err() != nil {
			// A quiet minute: catch up on anything an announcement missed.
			if err := connected(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := notice(ctx, n.Payload); err != nil {
			return err
		}
	}
}

// decodeNotice reads a notification's payload; the lease is valid unless
// the notice asks for a reload.
func decodeNotice(payload string) (notice, lease.Lease, error) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return n, lease.Lease{}, err
	}
	if n.Reload {
		return n, lease.Lease{}, nil
	}
	ip, err := netip.ParseAddr(n.IP)
	if err != nil {
		return n, lease.Lease{}, err
	}
	mac, err := hex.DecodeString(n.MAC)
	if err != nil {
		return n, lease.Lease{}, fmt.Errorf("mac: %w", err)
	}
	cid, err := hex.DecodeString(n.ClientID)
	if err != nil {
		return n, lease.Lease{}, fmt.Errorf("client_id: %w", err)
	}
	l := lease.Lease{IP: ip, Hostname: n.Hostname, State: lease.State(n.State), Expires: time.UnixMicro(n.ExpiresUS)}
	if len(mac) > 0 {
		l.MAC = mac
	}
	if len(cid) > 0 {
		l.ClientID = cid
	}
	return n, l, nil
}
