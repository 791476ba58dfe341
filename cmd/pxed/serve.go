package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"syscall"
	"time"

	"github.com/pxed/pxed/internal/app"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/logsink"
)

// overrides are the flags that replace config fields.
type overrides struct {
	interfaces multiFlag
	tftpRoot   string
	dataDir    string
	user       string
}

func (o *overrides) register(fs *flag.FlagSet) {
	fs.Var(&o.interfaces, "interface", "interface to serve DHCP on (repeatable; replaces the config's list)")
	fs.StringVar(&o.tftpRoot, "tftp-root", "", "directory served by TFTP (overrides tftp.root)")
	fs.StringVar(&o.dataDir, "data-dir", "", "directory of the lease store (overrides data_dir)")
	fs.StringVar(&o.user, "user", "", "user to switch to once the sockets are open (overrides user)")
}

func (o *overrides) apply(c *config.Config) {
	if len(o.interfaces) > 0 {
		c.Interfaces = append([]string(nil), o.interfaces...)
	}
	if o.tftpRoot != "" {
		c.TFTP.Root = o.tftpRoot
	}
	if o.dataDir != "" {
		c.DataDir = o.dataDir
	}
	if o.user != "" {
		c.User = o.user
	}
}

// gcPercent is the garbage collector's target while serving a large heap,
// unless GOGC says otherwise: the heap may grow 50 % past what is live
// before a collection, not Go's default 100 %. pxed's live heap grows with
// its leases (docs/performance.md: about 1 KB a lease), and the room the
// collector leaves above it is most of the resident set at tens of
// thousands of leases.
const gcPercent = 50

// gcMinHeadroom is the least room left above a small live heap: 50 % of a
// few megabytes would collect every few hundred requests, for little
// memory saved.
const gcMinHeadroom = 16 << 20

// tuneGC applies gcPercent, or more while the live heap is under twice
// gcMinHeadroom (at most 400 %), looked at every second until ctx ends;
// nothing when the GOGC environment variable is set.
func tuneGC(ctx context.Context) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(gcTarget(0))
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		last := gcTarget(0)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			metrics.Read(live)
			if live[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if p := gcTarget(live[0].Value.Uint64()); p != last {
				debug.SetGCPercent(p)
				last = p
			}
		}
	}()
}

// gcTarget is the GOGC for a live heap of live bytes: room of gcPercent of
// it, but at least gcMinHeadroom, and at most 400 %.
func gcTarget(live uint64) int {
	if live == 0 {
		return 400
	}
	return int(max(gcPercent, min(400, gcMinHeadroom*100/live)))
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (pxed YAML, or an ISC dhcpd.conf)")
	level := fs.String("log-level", "", "debug, info, warn or error (overrides log.level)")
	var o overrides
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadChecked(*path, &o, stderr)
	if err != nil {
		return err
	}
	if *level != "" {
		cfg.Log.Level = *level
	}
	tuneGC(ctx)
	// Serving logs a line per reply and per transfer: a sink lets lines
	// logged together share one write.
	sink := logsink.New(stderr)
	defer sink.Close()
	log, err := newLogger(cfg.Log, sink)
	if err != nil {
		return usageError{err}
	}
	log.Info("pxed starting", "version", versionString(), "config", *path, "interfaces", strings.Join(cfg.Interfaces, ","), "data_dir", cfg.DataDir,
		"serves", cfg.Serves().String())
	for _, n := range cfg.Notes() {
		log.Warn("config note", "note", n.Error())
	}
	// SIGHUP reloads the file (systemctl reload; pxed reload and the API
	// ask the running pxed directly).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reread := func() (*config.Config, error) {
		c, err := loadValid(*path, &o)
		if err == nil && *level != "" {
			c.Log.Level = *level
		}
		return c, err
	}
	if err := app.Run(ctx, cfg, log, app.Options{Load: reread, Hangup: hup}); err != nil {
		return err
	}
	log.Info("pxed stopped")
	return nil
}

func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", c.Level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
