// Package backoff is the retry schedule of pxed's senders that must not
// give up at the first failure (webhooks, DNS updates): exponential, capped,
// with jitter.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy is an exponential backoff with jitter: the n-th retry waits
// between half and all of min(Max, Base·2ⁿ⁻¹), drawn at random so that
// many senders that lost one receiver do not come back to it in step.
type Policy struct {
	// Attempts is how many times one thing is sent at most, the first
	// included.
	Attempts int
	// Base is the first wait, Max the longest.
	Base, Max time.Duration
}

// Or fills the fields of p left at zero (or below) from def, and raises
// Max to Base when it is shorter.
func (p Policy) Or(def Policy) Policy {
	if p.Attempts <= 0 {
		p.Attempts = def.Attempts
	}
	if p.Base <= 0 {
		p.Base = def.Base
	}
	if p.Max <= 0 {
		p.Max = def.Max
	}
	if p.Max < p.Base {
		p.Max = p.Base
	}
	return p
}

// Wait is how long to wait before retry n (1, 2, …).
func (p Policy) Wait(n int) time.Duration {
	d := p.Max
	if n < 63 && p.Base<<(n-1) > 0 && p.Base<<(n-1) < p.Max {
		d = p.Base << (n - 1)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
