package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pxed/pxed/internal/lease"
)

// Lease changes reach the other instances as notifications on channel
// pxed_leases that the committing instance sends after its commits have
// returned, gathered for announceDelay into one transaction. Not from a
// trigger inside each commit: PostgreSQL serialises every committing
// transaction that notifies, holding a global lock until its commit record is
// flushed, and that held the commit rate to 209 a second where the same
// commits without it reached 1,644 (64 goroutines, this machine). The
// notifications are hints: an instance that dies between a commit and its
// announcement leaves the others' views behind until their next resync,
// which costs at most a refused commit (a NAK), never a duplicate address.

const (
	channel       = "pxed_leases"
	announceDelay = 20 * time.Millisecond
	announceBatch = 512
	// resync bounds how long a view can stay behind when an announcement
	// was lost: every follower reads all leases again this often.
	resync = time.Minute
)

// notice is one notification's payload: a lease, or reload (the announcer
// lost track and every follower should read all leases). Src is the sending
// Store, so that a follower skips its own Store's announcements.
type notice struct {
	Src       string `json:"src"`
	Reload    bool   `json:"reload,omitempty"`
	IP        string `json:"ip,omitempty"`
	MAC       string `json:"mac,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Hostname  string `json:"hostname,omitempty"`
	State     int    `json:"state,omitempty"`
	ExpiresUS int64  `json:"expires_us,omitempty"`
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// announced queues a committed lease for the announcer; when the queue is
// full, the next announcement asks every follower to reload instead.
func (s *Store) announced(l lease.Lease) {
	select {
	case s.announce <- l:
	default:
		s.reload.Store(true)
		s.wakeAnnouncer()
	}
}

func (s *Store) wakeAnnouncer() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// announcer sends the queued announcements until the store closes, then
// sends what is left.
func (s *Store) announcer() {
	defer s.followers.Done()
	for {
		var batch []lease.Lease
		select {
		case <-s.closing.Done():
			s.flush(nil)
			return
		case l := <-s.announce:
			batch = append(batch, l)
		case <-s.wake:
		}
		t := time.NewTimer(announceDelay)
	gather:
		for len(batch) < announceBatch {
			select {
			case l := <-s.announce:
				batch = append(batch, l)
			case <-t.C:
				break gather
			case <-s.closing.Done():
				break gather
			}
		}
		t.Stop()
		s.flush(batch)
	}
}

// flush sends batch (and what is still queued, once the store closes) in
// one transaction.
func (s *Store) flush(batch []lease.Lease) {
	if s.closing.Err() != nil {
		for more := true; more; {
			select {
			case l := <-s.announce:
				batch = append(batch, l)
			default:
				more = false
			}
		}
	}
	reload := s.reload.Swap(false)
	if len(batch) == 0 && !reload {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b := &pgx.Batch{}
	// Notifications are hints (a lost one is caught up by the next resync):
	// their transaction need not wait for a disk flush.
	b.Queue("SET LOCAL synchronous_commit = off")
	if reload {
		p, _ := json.Marshal(notice{Src: s.id, Reload: true})
		b.Queue("SELECT pg_notify($1, $2)", channel, string(p))
	}
	for _, l := range batch {
		p, _ := json.Marshal(encodeNotice(s.id, l))
		b.Queue("SELECT pg_notify($1, $2)", channel, string(p))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		s.log.Warn("postgres: announcing lease changes to other instances failed; they catch up at their next resync", "leases", len(batch), "err", err)
	}
}

func encodeNotice(src string, l lease.Lease) notice {
	return notice{
		Src: src, IP: l.IP.String(), MAC: hex.EncodeToString(l.MAC), ClientID: hex.EncodeToString(l.ClientID),
		Hostname: l.Hostname, State: int(l.State), ExpiresUS: l.Expires.UnixMicro(),
	}
}
