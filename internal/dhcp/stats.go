package dhcp

import (
	"sync/atomic"
	"time"
)

// Stats counts what the server did since it started. Fields are read with
// Load while the server runs (the metrics endpoint will read them).
type Stats struct {
	Received    atomic.Uint64 // datagrams read
	Malformed   atomic.Uint64 // not parseable as DHCP
	RateLimited atomic.Uint64 // dropped by the per-MAC rate limit
	// GlobalLimited counts requests of unknown clients dropped by the
	// global rate limit.
	GlobalLimited atomic.Uint64
	Offers        atomic.Uint64
	Acks          atomic.Uint64 // DHCPACK to REQUEST and INFORM
	Naks          atomic.Uint64
	NoReply       atomic.Uint64 // decided not to answer (see the debug log for why)
	Exhausted     atomic.Uint64 // DISCOVER with no free address in the pools
	StoreFailed   atomic.Uint64 // lease not recorded (disk full, conflict): no reply
	SendFailed    atomic.Uint64
}

// warnEvery lets one warning through per interval and counts the ones held
// back, so that a condition hit thousands of times a second (an exhausted
// pool, a full disk) logs a line every interval, not every time.
type warnEvery struct {
	interval   time.Duration
	next       atomic.Int64 // unix ns before which warnings are held back
	suppressed atomic.Uint64
}

// allow reports whether to log now, and how many were held back since the
// last one logged.
func (w *warnEvery) allow(now time.Time) (bool, uint64) {
	t := now.UnixNano()
	next := w.next.Load()
	if t < next || !w.next.CompareAndSwap(next, t+int64(w.interval)) {
		w.suppressed.Add(1)
		return false, 0
	}
	return true, w.suppressed.Swap(0)
}
