package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pxed/pxed/internal/catalog"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/web"
)

// Options are what Run needs besides the configuration.
type Options struct {
	// Load reads the config file again, applies the command line's
	// overrides and validates the result as `pxed check` does; its error
	// joins (errors.Join) the config.Problem values found. Nil: pxed
	// cannot reload.
	Load func() (*config.Config, error)
	// Hangup receives SIGHUP: each one reloads the file.
	Hangup <-chan os.Signal
}

// reloads serves SIGHUPs until ctx ends.
func (s *services) reloads(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.opts.Hangup:
			s.Reload(ctx)
		}
	}
}

// Reload reads the config file again and, when it passes the checks of
// `pxed check`, applies what can change while pxed serves (config.Diff):
// the DHCP plans and rate limits, the TFTP root, the catalog's base, the
// DNS updates (their key file read again: a rotated key applies). Each
// server takes the new config from its next request on; leases, open files
// and the catalog's API entries stay. A file with problems is refused and
// the config serving stays, as it does when any step cannot apply (the
// steps done are undone). What changed but needs a restart is said. One
// reload runs at a time; the log, the metrics and Last tell the outcome.
func (s *services) Reload(ctx context.Context) web.Reload {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	// A reload asked over the API finishes even if the caller goes.
	ctx = context.WithoutCancel(ctx)
	start := time.Now()
	res := web.Reload{At: start}
	next, err := s.loadConfig()
	if err == nil {
		old := s.live.Load()
		res.Changed, _ = config.Diff(old, next)
		_, res.NeedsRestart = config.Diff(s.cfg, next)
		res.NeedsRestart = append(res.NeedsRestart, s.notServing(next)...)
		var unseen []string
		unseen, err = s.apply(ctx, old, next)
		res.Changed = append(res.Changed, unseen...)
	}
	res.Duration = time.Since(start).Round(time.Microsecond).String()
	if err != nil {
		// Nothing changed: only the problems are said.
		res.Changed, res.NeedsRestart = nil, nil
		res.Problems = problemsOf(err)
		s.log.Error("config reload refused; the running config stays", "file", s.cfg.File,
			"problems", len(res.Problems), "dur", res.Duration)
		for _, p := range res.Problems {
			s.log.Error("config problem", "problem", p)
		}
		s.met.Reloaded(start, true)
	} else {
		res.Applied = true
		s.inspectGRUBs(next)
		s.log.Info("config reloaded", "file", s.cfg.File, "changed", res.Changed, "dur", res.Duration)
		if len(res.NeedsRestart) > 0 {
			s.log.Warn("config changes need a restart", "needs_restart", res.NeedsRestart)
		}
		s.met.Reloaded(start, false)
	}
	s.last.Store(&res)
	return res
}

// Last is how the last reading of the config file went.
func (s *services) Last() web.Reload { return *s.last.Load() }

// loadConfig reads the file through Options.Load.
func (s *services) loadConfig() (*config.Config, error) {
	if s.opts.Load == nil {
		return nil, errors.New("this pxed was started without a config file to read again")
	}
	return s.opts.Load()
}

// notServing names the servers next turns on that are not running: they
// start only with pxed.
func (s *services) notServing(next *config.Config) []string {
	var out []string
	if s.dhcp == nil && config.On(next.DHCP.Enabled) && len(next.DHCP.Subnets) > 0 {
		out = append(out, "dhcp (not running)")
	}
	if s.dhcp6 == nil && next.DHCP6.On() {
		out = append(out, "dhcp6 (not running)")
	}
	if s.named == nil && next.DNSUpdates.On() {
		// DNS updates follow the leases of a DHCP server.
		out = append(out, "dns_updates (no DHCP server running)")
	}
	d := s.cfg.Discovery
	if s.root != nil && next.TFTP.Root != s.cfg.TFTP.Root && d.Boot != "" && d.Boot != config.DiscoveryOff && !filepath.IsAbs(d.Kernel) {
		// discoveryFiles found the kernel under the root pxed started with.
		out = append(out, "discovery.kernel (under the tftp.root pxed started with)")
	}
	return out
}

// apply makes next the config served, all of it or nothing: each step
// that can fail comes before the ones that cannot, and a failed step
// undoes the ones before it. unseen are changes config.Diff cannot see,
// made in files the config names (a key rotated in the same key file).
func (s *services) apply(ctx context.Context, old, next *config.Config) (unseen []string, err error) {
	// DNS updates first: preparing them changes nothing.
	dnsCommit := func() {}
	if s.named != nil {
		var keyChanged bool
		if dnsCommit, keyChanged, err = s.named.prepare(ctx, next); err != nil {
			return nil, err
		}
		if keyChanged {
			unseen = append(unseen, "dns_updates.key_file (the key in it)")
		}
	}
	if s.dhcp != nil {
		if err := s.dhcp.resp.Reload(next); err != nil {
			return nil, err
		}
	}
	undo := func() {
		if s.dhcp != nil {
			s.dhcp.resp.Reload(old)
		}
	}
	rootMoved := s.root != nil && next.TFTP.Root != s.root.Dir()
	if rootMoved {
		if err := s.root.Reopen(next.TFTP.Root); err != nil {
			undo()
			return nil, fmt.Errorf("tftp root: %w", err)
		}
		prev := undo
		undo = func() {
			prev()
			if err := s.root.Reopen(old.TFTP.Root); err != nil {
				s.log.Error("tftp root: reopening the previous root failed", "root", old.TFTP.Root, "err", err)
			}
		}
	}
	if err := s.cat.Reload(ctx, next); err != nil {
		undo()
		return nil, fmt.Errorf("catalog: %w", err)
	}
	// From here on nothing fails.
	dnsCommit()
	if s.dhcp != nil {
		s.dhcp.srv.SetRateLimit(dhcpRateLimit(next))
	}
	if s.dhcp6 != nil {
		s.dhcp6.Reload(next)
	}
	if rootMoved {
		s.log.Info("tftp root moved", "root", next.TFTP.Root)
	}
	s.live.Store(next)
	s.replan()
	return unseen, nil
}

// problemsOf lists err's problems as `pxed check` prints them: each
// config.Problem (FILE:LINE: message) of a joined error on its own, a
// catalog refusal's each, anything else whole.
func problemsOf(err error) []string {
	var invalid *catalog.InvalidError
	if errors.As(err, &invalid) {
		var out []string
		for _, p := range invalid.Problems {
			out = append(out, "with the catalog's API entries: "+p.Error())
		}
		return out
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, problemsOf(e)...)
		}
		return out
	}
	return []string{err.Error()}
}
