package backoff

import (
	"testing"
	"time"
)

// TestOr: zero fields take the defaults; a Max below Base is raised to it.
func TestOr(t *testing.T) {
	def := Policy{Attempts: 12, Base: time.Second, Max: 5 * time.Minute}
	for _, tt := range []struct{ in, want Policy }{
		{Policy{}, def},
		{Policy{Attempts: 3}, Policy{Attempts: 3, Base: time.Second, Max: 5 * time.Minute}},
		{Policy{Base: 10 * time.Minute}, Policy{Attempts: 12, Base: 10 * time.Minute, Max: 10 * time.Minute}},
		{Policy{Attempts: -1, Base: -time.Second, Max: time.Millisecond}, Policy{Attempts: 12, Base: time.Second, Max: time.Second}},
	} {
		if got := tt.in.Or(def); got != tt.want {
			t.Errorf("%+v.Or(defaults) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// TestWait: the n-th wait lies between half and all of min(Max, Base·2ⁿ⁻¹),
// also where the shift would overflow.
func TestWait(t *testing.T) {
	p := Policy{Base: 500 * time.Millisecond, Max: 30 * time.Second}
	for _, tt := range []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, 250 * time.Millisecond, 500 * time.Millisecond},
		{3, time.Second, 2 * time.Second},
		{7, 15 * time.Second, 30 * time.Second}, // 32s capped at Max
		{80, 15 * time.Second, 30 * time.Second},
	} {
		for range 100 {
			if w := p.Wait(tt.n); w < tt.lo || w > tt.hi {
				t.Fatalf("Wait(%d) = %s, want within [%s, %s]", tt.n, w, tt.lo, tt.hi)
			}
		}
	}
}
