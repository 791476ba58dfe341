package tftp

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/pxed/pxed/internal/bootfs"
)

// TestReadAhead checks that an octet transfer reads its file in chunks of
// up to 64 KiB, not once per block, lock-step and windowed alike.
func TestReadAhead(t *testing.T) {
	t.Parallel()
	data := pattern(300_000)
	opened := make(chan *countingFile, 2)
	s := &Server{Files: bootfs.OpenerFunc(func(ctx context.Context, r *bootfs.Request) (bootfs.File, error) {
		f := &countingFile{File: bootfs.Bytes(data)}
		opened <- f
		return f, nil
	})}
	addr, _ := testServer(t, s)
	for _, window := range []int{1, 8} {
		res, err := tftpGet(addr, "f", clientOpts{options: []Option{{"blksize", "1468"}, {"windowsize", strconv.Itoa(window)}}})
		if err != nil || !bytes.Equal(res.data, data) {
			t.Fatalf("windowsize %d: %d bytes, %v", window, len(res.data), err)
		}
		// 205 blocks; 300,000 bytes in reads of 65,536: 5 reads.
		if f := <-opened; f.reads.Load() > 5 {
			t.Errorf("windowsize %d: %d reads of the file, want at most 5", window, f.reads.Load())
		}
	}
}
