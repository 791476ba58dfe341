package tftp

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/pxed/pxed/internal/bootfs"
)

// BenchmarkTransfer fetches a 4 or 16 MiB file over loopback. Allocations per
// operation are per transfer (socket, buffers, log line), not per packet:
// the count must not grow with the file size.
func BenchmarkTransfer(b *testing.B) {
	for _, c := range []struct {
		blk, win int
		single   bool
		size     int
	}{{512, 1, false, 4 << 20}, {1468, 1, false, 4 << 20}, {1468, 16, false, 4 << 20}, {1468, 64, false, 4 << 20},
		{1468, 16, false, 16 << 20}, {1468, 16, true, 4 << 20}, {1468, 16, true, 16 << 20}} {
		name := "blksize=" + strconv.Itoa(c.blk) + "/window=" + strconv.Itoa(c.win) + "/size=" + strconv.Itoa(c.size>>20) + "M"
		if c.single {
			name += "/single-port"
		}
		b.Run(name, func(b *testing.B) {
			data := pattern(c.size)
			s := &Server{
				SinglePort: c.single,
				Files:      bootfs.OpenerFunc(func(context.Context, *bootfs.Request) (bootfs.File, error) { return bootfs.Bytes(data), nil }),
				Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			}
			addr, _ := testServer(b, s)
			conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			rrq := (&packet{Op: OpRRQ, Filename: "f", Mode: "octet", Options: []Option{
				{"blksize", strconv.Itoa(c.blk)}, {"windowsize", strconv.Itoa(c.win)}}}).append(nil)
			buf := make([]byte, 2048)
			ackb := make([]byte, 4)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				// A minimal allocation-free client, so that the numbers are the server's.
				conn.WriteToUDPAddrPort(rrq, addr)
				var got int
				inWin := 0
				for {
					conn.SetReadDeadline(time.Now().Add(5 * time.Second))
					n, tid, err := conn.ReadFromUDPAddrPort(buf)
					if err != nil {
						b.Fatal(err)
					}
					ackb[0], ackb[1], ackb[2], ackb[3] = 0, 4, buf[2], buf[3]
					if Opcode(buf[1]) == OpOACK {
						ackb[2], ackb[3] = 0, 0
						conn.WriteToUDPAddrPort(ackb, tid)
						continue
					}
					got += n - 4
					inWin++
					if n-4 < c.blk {
						conn.WriteToUDPAddrPort(ackb, tid)
						break
					}
					if inWin == c.win {
						inWin = 0
						conn.WriteToUDPAddrPort(ackb, tid)
					}
				}
				if got != len(data) {
					b.Fatalf("got %d bytes", got)
				}
			}
		})
	}
}
