package tftp

import (
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recordingTracker keeps what a Tracker is told.
type recordingTracker struct {
	mu     sync.Mutex
	begun  []string // proto file size
	sent   map[string][]int64
	ended  map[string]int
	client netip.AddrPort
}

func (r *recordingTracker) Begin(proto, file string, client netip.AddrPort, size int64) (func(int64), func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun = append(r.begun, proto+" "+file+" "+strconv.FormatInt(size, 10))
	r.client = client
	return func(n int64) {
			r.mu.Lock()
			r.sent[file] = append(r.sent[file], n)
			r.mu.Unlock()
		}, func() {
			r.mu.Lock()
			r.ended[file]++
			r.mu.Unlock()
		}
}

// TestTracker: a running transfer is reported to the Tracker with the size
// the client was told, its bytes grow block by block up to that size, and
// it ends once; a file not found is never begun.
func TestTracker(t *testing.T) {
	t.Parallel()
	const n = 10*512 + 100
	_, s := dirServer(t, map[string][]byte{"initrd": pattern(n)})
	tr := &recordingTracker{sent: map[string][]int64{}, ended: map[string]int{}}
	s.Tracker = tr
	addr, trs := testServer(t, s)
	if _, err := tftpGet(addr, "initrd", clientOpts{options: []Option{{"tsize", "0"}}}); err != nil {
		t.Fatal(err)
	}
	if res, _ := tftpGet(addr, "missing", clientOpts{}); res.errPacket == nil {
		t.Fatal("a missing file was served")
	}
	trs.wait(t, 2)

	tr.mu.Lock()
	defer tr.mu.Unlock()
	if d := cmp.Diff([]string{"tftp initrd " + strconv.Itoa(n)}, tr.begun); d != "" {
		t.Errorf("begun (-want +got):\n%s", d)
	}
	if !tr.client.Addr().IsLoopback() {
		t.Errorf("client %v, want the loopback address the test sent from", tr.client)
	}
	sent := tr.sent["initrd"]
	if !slices.IsSorted(sent) || len(sent) < 10 || sent[len(sent)-1] != n {
		t.Errorf("bytes sent as told: %v, want growing in at least 10 steps up to %d", sent, n)
	}
	if d := cmp.Diff(map[string]int{"initrd": 1}, tr.ended); d != "" {
		t.Errorf("ended (-want +got):\n%s", d)
	}
}
