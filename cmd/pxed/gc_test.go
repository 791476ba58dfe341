package main

import "testing"

// The collector's target leaves at least gcMinHeadroom above a small live
// heap (up to 400 %), and gcPercent above a large one.
func TestGCTarget(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{2 << 20, 400},
		{8 << 20, 200},
		{16 << 20, 100},
		{32 << 20, 50},
		{1 << 30, 50},
	} {
		if got := gcTarget(c.live); got != c.want {
			t.Errorf("gcTarget(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}
