package tftp

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pxed/pxed/internal/bootfs"
)

// recorder is an outbox that keeps the DATA block numbers it was given.
type recorder struct{ blocks []uint16 }

func (r *recorder) send(p []byte) error {
	if Opcode(binary.BigEndian.Uint16(p)) == OpDATA {
		r.blocks = append(r.blocks, binary.BigEndian.Uint16(p[2:]))
	}
	return nil
}

func ack(n uint16) []byte { return (&packet{Op: OpACK, Block: n}).append(nil) }

// TestSenderWindow drives the state machine without a socket, as a
// demultiplexer would, through the RFC 7440 cases.
func TestSenderWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	out := &recorder{}
	s := newSender(out, bootfs.Bytes(pattern(20*8+3)), false, params{blockSize: 8, windowSize: 4}, time.Second, 2)
	step := func(what string, in []byte, want []uint16, wantDone bool) {
		t.Helper()
		out.blocks = nil
		var done bool
		var err error
		if in == nil {
			err = s.expire(now)
		} else {
			done, err = s.receive(in, now)
		}
		if err != nil || done != wantDone {
			t.Fatalf("%s: done %v err %v", what, done, err)
		}
		if diff := cmp.Diff(want, out.blocks); diff != "" {
			t.Errorf("%s: blocks sent (-want +got):\n%s", what, diff)
		}
	}
	if err := s.start(now); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint16{1, 2, 3, 4}, out.blocks); diff != "" {
		t.Errorf("start (-want +got):\n%s", diff)
	}
	step("end of window", ack(4), []uint16{5, 6, 7, 8}, false)
	step("duplicate", ack(4), nil, false)
	step("old", ack(2), nil, false)
	step("future", ack(9), nil, false)
	step("mid-window: resume after it", ack(6), []uint16{7, 8, 9, 10}, false)
	step("timeout: resend from first unacknowledged", nil, []uint16{7, 8, 9, 10}, false)
	if got := s.deadline.Sub(now); got != 2*time.Second {
		t.Errorf("timeout after one retry %v, want doubled to 2s", got)
	}
	step("progress resets the backoff", ack(10), []uint16{11, 12, 13, 14}, false)
	if got := s.deadline.Sub(now); got != time.Second {
		t.Errorf("timeout after progress %v, want 1s", got)
	}
	step("", ack(14), []uint16{15, 16, 17, 18}, false)
	step("last window is short", ack(18), []uint16{19, 20, 21}, false)
	step("duplicate near the end", ack(18), nil, false)
	step("final ACK", ack(21), nil, true)
	if s.resent != 6 || s.bytes != 20*8+3 { // 7, 8 after the mid-window ACK; 7..10 after the timeout
		t.Errorf("resent %d bytes %d, want 6 and %d", s.resent, s.bytes, 20*8+3)
	}
}

func TestSenderRollover(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	out := &recorder{}
	s := newSender(out, bootfs.Bytes(pattern(70000*8)), false, params{blockSize: 8, windowSize: 4}, time.Second, 2)
	s.start(now)
	wrapped := false
	for i := 0; i < 100000; i++ {
		n := out.blocks[len(out.blocks)-1] // ACK the end of each window
		out.blocks = nil
		done, err := s.receive(ack(n), now)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if n == 65532 {
			wrapped = true
			// The window after 65532 crosses the wrap: 65533..65535, 0.
			if diff := cmp.Diff([]uint16{65533, 65534, 65535, 0}, out.blocks); diff != "" {
				t.Fatalf("rollover window (-want +got):\n%s", diff)
			}
			// An ACK of block 65534 from before the wrap still matches.
			out.blocks = nil
			s.receive(ack(65534), now)
			if diff := cmp.Diff([]uint16{65535, 0, 1, 2}, out.blocks); diff != "" {
				t.Fatalf("mid-window ACK across the wrap (-want +got):\n%s", diff)
			}
		}
	}
	if !wrapped {
		t.Error("never crossed block 65535")
	}
	if s.acked != 70001 {
		t.Errorf("acknowledged %d blocks, want 70001", s.acked)
	}
}

func TestSenderGivesUp(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	s := newSender(&recorder{}, bootfs.Bytes([]byte("x")), false, params{blockSize: 512, windowSize: 1, oack: []Option{{"tsize", "1"}}}, time.Second, 2)
	s.start(now)
	for i := range 2 {
		if err := s.expire(now); err != nil {
			t.Fatalf("retry %d: %v", i+1, err)
		}
	}
	if err := s.expire(now); !errors.Is(err, errTimeout) {
		t.Errorf("after the retries: %v, want errTimeout", err)
	}
}

func TestNetasciiBlocks(t *testing.T) {
	t.Parallel()
	// Every split of a CR LF / CR NUL pair across a block boundary.
	src := "a\nb\rc\n\n\r\r\nxyz\n"
	want := "a\r\nb\r\x00c\r\n\r\n\r\x00\r\x00\r\nxyz\r\n"
	for blk := 8; blk <= 40; blk++ {
		s := newSender(nil, bootfs.Bytes([]byte(src)), true, params{blockSize: blk, windowSize: 1}, time.Second, 1)
		var got []byte
		cap := &capture{}
		s.out = cap
		s.start(time.Time{})
		for n := uint16(1); n < 100; n++ {
			p := cap.last
			got = append(got, p[4:]...)
			done, err := s.receive(ack(n), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if done {
				break
			}
		}
		if string(got) != want {
			t.Errorf("blksize %d: %q, want %q", blk, got, want)
		}
	}
}

type capture struct{ last []byte }

func (c *capture) send(p []byte) error { c.last = append(c.last[:0], p...); return nil }
