// Command pxed is a PXE network-boot server: DHCPv4 with the PXE extensions,
// TFTP, HTTP boot and a management API in one binary; its subcommands also
// check and convert configurations and read or change a running pxed. See
// README.md and docs/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=..."; when
// it is not, pxed takes its version from the build info (version.go).
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startProfiling()
	args := os.Args[1:]
	if os.Getpid() == 1 {
		// The discovery initramfs's /init: the kernel passes no
		// subcommand (internal/agent).
		args = []string{"agent"}
	}
	os.Exit(run(ctx, args, os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	name := args[0]
	if name == "--version" {
		name = "version"
	}
	var err error
	switch c, ok := lookup(name); {
	case ok:
		err = c.run(ctx, args[1:], stdout, stderr)
	case name == "-h" || name == "--help":
		fmt.Fprint(stdout, usage())
		return 0
	default:
		fmt.Fprintf(stderr, "pxed: unknown command %q\n\n%s", args[0], usage())
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pxed %s: %v\n", args[0], err)
		return 2
	case errors.Is(err, errProblems):
		return 1
	default:
		fmt.Fprintf(stderr, "pxed %s: %v\n", args[0], err)
		return 1
	}
}

type usageError struct{ error }

// errProblems means the problems were already printed.
var errProblems = errors.New("configuration has problems")

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint([]string(*m)) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
