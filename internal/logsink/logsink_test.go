package logsink

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer records each Write call.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	gate   chan struct{} // if set, each Write waits for a value
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	if b.gate != nil {
		<-b.gate
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Every line written by concurrent writers arrives whole, each writer's in
// its order, and many lines share a write.
func TestLinesWholeAndOrdered(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	s := New(&out)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(s, "w=%d i=%d %s\n", w, i, strings.Repeat("x", i%97))
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		var w, i int
		var pad string
		if _, err := fmt.Sscanf(l, "w=%d i=%d %s", &w, &i, &pad); err != nil && i%97 != 0 {
			t.Fatalf("torn line %q: %v", l, err)
		}
		if i != next[w] || len(pad) != i%97 {
			t.Fatalf("line %q out of order or torn (want i=%d for w=%d)", l, next[w], w)
		}
		next[w]++
	}
	if out.writes >= writers*lines {
		t.Errorf("%d writes for %d lines: nothing was coalesced", out.writes, writers*lines)
	}
	t.Logf("%d lines in %d writes", writers*lines, out.writes)
}

// Flush returns only once what was written before it has reached w.
func TestFlush(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	s := New(&out)
	defer s.Close()
	for i := range 100 {
		fmt.Fprintf(s, "line %d\n", i)
		s.Flush()
		if !strings.HasSuffix(out.String(), fmt.Sprintf("line %d\n", i)) {
			t.Fatalf("after Flush, output ends %q", out.String()[max(0, len(out.String())-20):])
		}
	}
}

// A stalled destination holds writers back once maxPending bytes wait,
// instead of growing without bound or dropping lines.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	out := lockedBuffer{gate: make(chan struct{})}
	s := New(&out)
	line := []byte(strings.Repeat("y", 1023) + "\n")
	wrote := make(chan int)
	go func() {
		n := 0
		for range 3 * maxPending / len(line) {
			s.Write(line)
			n++
		}
		wrote <- n
	}()
	select {
	case n := <-wrote:
		t.Fatalf("%d lines queued with the destination stalled", n)
	case <-time.After(200 * time.Millisecond):
	}
	close(out.gate) // the destination moves again
	n := <-wrote
	s.Close()
	if got := strings.Count(out.String(), "\n"); got != n {
		t.Fatalf("%d lines written, %d arrived", n, got)
	}
}

// After Close, writes go straight through.
func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	s := New(&out)
	s.Write([]byte("before\n"))
	s.Close()
	s.Write([]byte("after\n"))
	if out.String() != "before\nafter\n" {
		t.Fatalf("got %q", out.String())
	}
}

// A regular file (written with raw calls on Linux) gets every line, in order.
func TestSinkRegularFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := New(f)
	var want strings.Builder
	for i := range 1000 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := s.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatalf("file holds %d bytes, want the %d written", len(got), want.Len())
	}
}
