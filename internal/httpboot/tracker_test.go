package httpboot

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recordingTracker keeps, per transfer begun, what a Tracker is told.
type recordingTracker struct {
	mu    sync.Mutex
	begun []string // "proto file size: last bytes sent, ended N"
	last  []int64
	ended []int
}

func (r *recordingTracker) Begin(proto, file string, client netip.AddrPort, size int64) (func(int64), func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := len(r.begun)
	r.begun = append(r.begun, fmt.Sprintf("%s %s %d from loopback %t", proto, file, size, client.Addr().IsLoopback()))
	r.last = append(r.last, 0)
	r.ended = append(r.ended, 0)
	return func(n int64) {
			r.mu.Lock()
			r.last[i] = n
			r.mu.Unlock()
		}, func() {
			r.mu.Lock()
			r.ended[i]++
			r.mu.Unlock()
		}
}

func (r *recordingTracker) summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.begun))
	for i, b := range r.begun {
		out[i] = fmt.Sprintf("%s: sent %d, ended %d", b, r.last[i], r.ended[i])
	}
	return out
}

// TestTracker: a GET is tracked with its Content-Length (the range's for a
// Range request) up to its last byte and ended once; HEAD and a missing
// file are not tracked.
func TestTracker(t *testing.T) {
	tr := &recordingTracker{}
	base, _, _ := serveWith(t, func(s *Server) { s.Tracker = tr })
	get(t, base+"/debian-installer/linux", nil)
	get(t, base+"/debian-installer/linux", map[string]string{"Range": "bytes=10-19"})
	get(t, base+"/missing", nil)
	req, _ := http.NewRequest(http.MethodHead, base+"/debian-installer/linux", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	want := []string{
		"http debian-installer/linux 1000000 from loopback true: sent 1000000, ended 1",
		"http debian-installer/linux 10 from loopback true: sent 10, ended 1",
	}
	// The handler ends (and with it the tracking) just after the client
	// has the last byte.
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = tr.summary(); cmp.Equal(want, got) {
			break
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tracked (-want +got):\n%s", d)
	}
}
