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

const usage = `pxed: a PXE network-boot server (DHCP + TFTP)

usage:
  pxed serve   --config FILE [--interface NAME]... [--tftp-root DIR] [--data-dir DIR] [--user NAME] [--log-level LEVEL]
  pxed check   --config FILE [--tftp-root DIR]
  pxed leases  [--data-dir DIR | --config FILE] [--json]
  pxed migrate --config FILE --from-data-dir DIR
  pxed status  [--config FILE | --api URL] [--token-file FILE] [--json] [MAC]
  pxed watch   [--config FILE | --api URL] [--token-file FILE] [--json]
  pxed reload  [--config FILE | --api URL] [--token-file FILE] [--json]   (the running pxed reads its config again)
  pxed hosts    list|show NAME|set NAME [--mac M] [--macs M,GLOB] [--uuid U] [--ip IP] [--profile P]
                [--netboot always|once|never] [--file F] [--reinstall]|rm NAME|discovered
                |adopt MAC --name N [--profile P] [--ip IP] [--netboot M]|profile NAME PROFILE
                |reinstall NAME|wake NAME|poweroff MAC
                [--config FILE | --api URL] [--token-file FILE] [--json]
  pxed profiles list|show NAME|set NAME [--kernel K] [--initrd I]... [--cmdline C]
                [--san-target ISCSI-URI|-] [--san-hook true|false]
                [--image DIR|TAR|-] [--image-compression zstd|gzip] [--overlay PATH=TEMPLATE]...|rm NAME
                [--config FILE | --api URL] [--token-file FILE] [--json]
  pxed rules    list|show NAME|put FILE|delete NAME   (discovery rules; FILE: one rule, YAML or JSON)
                [--config FILE | --api URL] [--token-file FILE] [--json]
  pxed convert DHCPD.CONF        (prints the equivalent pxed YAML)
  pxed init    [--interface NAME] [--tftp-root DIR] [--out FILE [--force]] [--listen 5s]
                                 (writes a first config for the link; proxy mode if a DHCP server answers)
  pxed agent   [--server URL --token T --mac M]   (the discovery agent; /init of the discovery boot)
  pxed version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "check":
		err = check(args[1:], stdout, stderr)
	case "leases":
		err = leases(ctx, args[1:], stdout)
	case "migrate":
		err = migrate(ctx, args[1:], stdout)
	case "status":
		err = status(ctx, args[1:], stdout, stderr)
	case "watch":
		err = watch(ctx, args[1:], stdout, stderr)
	case "reload":
		err = reload(ctx, args[1:], stdout, stderr)
	case "hosts":
		err = hosts(ctx, args[1:], stdout)
	case "profiles":
		err = profiles(ctx, args[1:], stdout)
	case "rules":
		err = rules(ctx, args[1:], stdout)
	case "convert":
		err = convert(args[1:], stdout, stderr)
	case "init":
		err = initCmd(ctx, args[1:], stdout, stderr)
	case "agent":
		err = agentCmd(ctx, args[1:], stdout)
	case "version", "--version":
		fmt.Fprint(stdout, versionText(version, readBuildInfo()))
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "pxed: unknown command %q\n\n%s", args[0], usage)
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
