package hook

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"time"
)

// outputLimit bounds what pxed keeps of a command's output for its log.
const outputLimit = 4 << 10

// runner runs a hook's command once per document, one at a time.
type runner struct {
	argv    []string
	timeout time.Duration
	log     *slog.Logger
}

// deliver runs the command with d's JSON on its standard input and its
// facts in the environment (PXED_EVENT, PXED_MAC, PXED_IP, PXED_HOST), as
// dnsmasq's --dhcp-script is given a lease's. At the timeout the command's
// process group is killed, so that what it started dies with it.
func (r *runner) deliver(ctx context.Context, d *delivery) Result {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.argv[0], r.argv[1:]...)
	cmd.Stdin = bytes.NewReader(d.body)
	out := &limited{max: outputLimit}
	cmd.Stdout, cmd.Stderr = out, out
	ip := ""
	if d.doc.IP.IsValid() {
		ip = d.doc.IP.String()
	}
	cmd.Env = append(os.Environ(), "PXED_EVENT="+d.doc.Event, "PXED_MAC="+d.doc.MAC, "PXED_IP="+ip,
		"PXED_HOST="+d.doc.Host, "PXED_DELIVERY="+d.doc.ID)
	ownGroup(cmd)
	// After the kill, output pipes a stray process still holds are
	// closed this long later, so Wait always returns.
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	log := r.log.With("event", d.doc.Event, "mac", d.doc.MAC, "id", d.doc.ID, "dur", time.Since(start).Round(time.Millisecond))
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		log.Warn("hook command killed at its timeout", "timeout", r.timeout, "output", out.String())
		return TimedOut
	case ctx.Err() != nil:
		return Dropped
	case err != nil:
		log.Warn("hook command failed", "err", err, "output", out.String())
		return Failed
	}
	log.Debug("hook command ran", "output", out.String())
	return Delivered
}

// limited keeps the first max bytes written to it and counts the rest.
type limited struct {
	buf  bytes.Buffer
	max  int
	lost int
}

func (l *limited) Write(p []byte) (int, error) {
	n := min(max(l.max-l.buf.Len(), 0), len(p))
	l.buf.Write(p[:n])
	l.lost += len(p) - n
	return len(p), nil
}

func (l *limited) String() string {
	if l.lost > 0 {
		return l.buf.String() + "…"
	}
	return l.buf.String()
}
