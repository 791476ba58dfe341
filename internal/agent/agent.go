//go:build linux

package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// System is what the agent does to the machine it runs on. Machine is the
// discovery boot's (PID 1: mounts, modules, DHCP, reboot(2)); Hosted runs
// the agent by hand on a running system and changes nothing.
type System interface {
	// Prepare makes the machine ready to be looked at: file systems
	// mounted, the initramfs's drivers loaded. Its error is worth
	// saying but not fatal: the inventory then has holes.
	Prepare(ctx context.Context, say Sayer) error
	// Cmdline is the kernel command line.
	Cmdline() (string, error)
	// Up brings up the NIC with this MAC and gives it an address,
	// waiting for the NIC to appear; it returns the address.
	Up(ctx context.Context, mac net.HardwareAddr, say Sayer) (netip.Prefix, error)
	// Root is the machine's file system, for Collect.
	Root() fs.FS
	// Halt reboots or powers the machine off; it returns only on failure.
	Halt(a Action) error
}

// Sayer prints one line of progress on the console.
type Sayer func(format string, args ...any)

// Agent runs the discovery protocol: report the inventory, then do what
// the server says.
type Agent struct {
	Sys     System
	Console io.Writer
	// Params override the kernel command line's when Server is set.
	Params Params
	// Poll is the time between asks for an instruction (2 s when 0).
	Poll time.Duration
	// Backoff bounds the wait between retries after a network error: it
	// starts at Backoff.Min and doubles up to Backoff.Max (1 s and 30 s
	// when 0).
	Backoff struct{ Min, Max time.Duration }
	Now     func() time.Time
	// HTTP is the client to the server (one with timeouts when nil).
	HTTP *http.Client
}

// Say prints a progress line, "pxed agent: ...", so that a serial console
// log shows how far the discovery boot came.
func (a *Agent) Say(format string, args ...any) {
	if a.Console != nil {
		fmt.Fprintf(a.Console, "pxed agent: "+format+"\n", args...)
	}
}

// Run goes through the discovery boot. It returns the action it carried
// out (Halt returned, as Hosted's does) or why it could not go on; it
// returns only when ctx ends otherwise.
func (a *Agent) Run(ctx context.Context) (Action, error) {
	a.Say("starting")
	if err := a.Sys.Prepare(ctx, a.Say); err != nil {
		a.Say("preparing: %v (going on)", err)
	}
	p := a.Params
	if p.Server == nil {
		line, err := a.Sys.Cmdline()
		if err != nil {
			return 0, fmt.Errorf("reading the kernel command line: %w", err)
		}
		if p, err = ParseCmdline(line); err != nil {
			return 0, err
		}
	}
	a.Say("server %s, booted from %s", p.Server, p.MAC)

	var addr netip.Prefix
	err := a.retry(ctx, "bringing up "+p.MAC.String(), func() error {
		upCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		var err error
		addr, err = a.Sys.Up(upCtx, p.MAC, a.Say)
		return err
	})
	if err != nil {
		return 0, err
	}
	if addr.IsValid() {
		a.Say("address %s on %s", addr, p.MAC)
	}

	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	inv, err := Collect(a.Sys.Root(), p.MAC.String(), now())
	if err != nil {
		a.Say("inventory incomplete: %v", err)
	}
	a.Say("inventory: %s %s serial %q, %s firmware, %d CPUs, %d MiB, %d disks, %d NICs",
		inv.DMI.Vendor, inv.DMI.Product, inv.DMI.Serial, inv.Firmware.Mode, inv.CPU.Threads,
		inv.MemoryBytes>>20, len(inv.Disks), len(inv.NICs))

	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &Client{Server: p.Server, Token: p.Token, HTTP: hc}
	var act Action
	err = a.retry(ctx, "sending the inventory", func() error {
		var err error
		act, err = c.Report(ctx, p.MAC, inv)
		return err
	})
	if err != nil {
		return 0, err
	}
	a.Say("inventory sent; server says %s", act)
	poll := a.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	last := act
	for act == Wait {
		if err := sleep(ctx, poll); err != nil {
			return 0, err
		}
		err = a.retry(ctx, "asking for an instruction", func() error {
			var err error
			act, err = c.Poll(ctx, p.MAC)
			return err
		})
		if err != nil {
			return 0, err
		}
		if act != last {
			a.Say("server says %s", act)
			last = act
		}
	}
	a.Say("%s", map[Action]string{Reboot: "rebooting", Poweroff: "powering off"}[act])
	if err := a.Sys.Halt(act); err != nil {
		return act, fmt.Errorf("%s: %w", act, err)
	}
	return act, nil
}

// retry calls f until it succeeds or ctx ends, waiting longer after each
// failure (doubling, capped), and says each failure.
func (a *Agent) retry(ctx context.Context, what string, f func() error) error {
	lo, hi := a.Backoff.Min, a.Backoff.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = 30 * time.Second
	}
	wait := lo
	for {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, errors.Join(err, ctx.Err()))
		}
		a.Say("%s: %v (again in %s)", what, err, wait)
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		wait = min(wait*2, hi)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
