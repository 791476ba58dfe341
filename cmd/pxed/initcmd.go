package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pxed/pxed/internal/atomicfile"
	"github.com/pxed/pxed/internal/config"
	"github.com/pxed/pxed/internal/draft"
)

// resolvConfs are read in turn until one names a name server other
// machines can reach: systemd-resolved's stub (127.0.0.53) in
// /etc/resolv.conf hides the upstream servers it lists in its own file.
var resolvConfs = []string{"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"}

// initCmd writes a first configuration for one link (internal/draft): it
// gathers the facts (the kernel's view of the interface, resolv.conf, the
// loaders under the TFTP root, another DHCP server's answer), lets
// draft.Build decide, checks the result as pxed check would, and writes it.
func initCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("init", flag.ContinueOnError)
	flags.SetOutput(stderr)
	iface := flags.String("interface", "", "interface to write the config for (default: the default route's)")
	root := flags.String("tftp-root", config.DefaultTFTPRoot, "directory to look for boot programs in, written as tftp.root")
	out := flags.String("out", "", "file to write (default: standard output)")
	force := flags.Bool("force", false, "replace --out if it exists")
	// dnsmasq pings an address for 3 s before it first offers it (its
	// PING_WAIT; ISC dhcpd's ping-timeout is 1 s): a shorter wait misses
	// its offer and writes a second DHCP server onto its link.
	listen := flags.Duration("listen", 5*time.Second, "how long to wait for another DHCP server's offer")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 0 {
		return usageError{fmt.Errorf("unexpected argument %q", flags.Arg(0))}
	}
	if *listen <= 0 {
		return usageError{errors.New("--listen must be positive")}
	}
	if *out != "" && !*force {
		if _, err := os.Stat(*out); err == nil {
			return fmt.Errorf("%s exists: pxed init does not replace it without --force", *out)
		}
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	link, err := draft.Probe(*iface)
	if err != nil {
		return err
	}
	// pxed check refuses a config whose root is missing: say so before
	// anything is sent.
	loaders, err := draft.FindLoaders(os.DirFS(absRoot))
	if err != nil {
		return fmt.Errorf("TFTP root %s: %w (name the directory of the boot programs with --tftp-root)", absRoot, err)
	}
	fmt.Fprintf(stderr, "pxed init: %s (%s): asking for a DHCP server for %v\n", link.Interface, link.Addr, *listen)
	offer, err := draft.Listen(ctx, link.Interface, *listen)
	if err != nil {
		return err
	}
	facts := draft.Facts{
		Interface:   link.Interface,
		Addr:        link.Addr,
		Gateway:     link.Gateway,
		Neighbours:  link.Neighbours,
		Nameservers: nameservers(),
		Offer:       offer,
		Loaders:     loaders,
	}
	if absRoot != config.DefaultTFTPRoot {
		facts.TFTPRoot = absRoot
	}
	d, err := draft.Build(facts)
	if err != nil {
		return err
	}
	for _, n := range d.Notes {
		fmt.Fprintf(stderr, "pxed init: %s\n", n)
	}
	text, err := draftText(d, link.Interface, *out)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(text)
		return err
	}
	if *force {
		err = atomicfile.WriteFile(*out, text, 0o644)
	} else {
		err = writeNew(*out, text)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "pxed init: wrote %s; check it with pxed check --config %s\n", *out, *out)
	return nil
}

// draftText renders d with a header and checks it as pxed check does
// (Parse, Validate: boot files under the root, every field), so that what
// pxed init writes is what pxed serve accepts.
func draftText(d *draft.Draft, iface, file string) ([]byte, error) {
	body, err := d.Config.YAML()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# pxed configuration written by pxed init for %s.\n", iface)
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	b.WriteString("# Check it with pxed check; docs/config.md describes every field.\n")
	b.Write(body)
	if file == "" {
		file = "pxed init's output"
	}
	cfg, err := config.Parse(file, []byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("the config pxed init made does not read back: %w", err)
	}
	if ps := cfg.Validate(); len(ps) > 0 {
		var errs []error
		for _, p := range ps {
			errs = append(errs, p)
		}
		return nil, fmt.Errorf("the config pxed init made has problems, not written:\n%w", errors.Join(errs...))
	}
	return []byte(b.String()), nil
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: pxed init does not replace it without --force", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// nameservers are the name servers of the first of resolvConfs that names
// one other machines can reach; else the first file's, for Build to say
// why it wrote none.
func nameservers() []netip.Addr {
	var first []netip.Addr
	for i, f := range resolvConfs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		ns := draft.Nameservers(b)
		if i == 0 {
			first = ns
		}
		for _, a := range ns {
			if a.Is4() && !a.IsLoopback() && !a.IsUnspecified() {
				return ns
			}
		}
	}
	return first
}
