package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// command is one subcommand of pxed. The commands table is the CLI's one
// definition: run dispatches by it, and the usage text, the man page
// (pxed gen-man) and the shell completions (pxed completion) are all made
// from it, so none of them can miss a command or a flag the others have.
type command struct {
	name string
	// synopsis is what follows "pxed NAME" in the usage text: its
	// arguments and flags, with long lines continued on lines of their own.
	synopsis string
	// summary says in one line what the command does (man page, zsh).
	summary string
	// hidden commands are left out of the usage text and the completions.
	hidden bool
	run    func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands returns the table, in the order the usage text lists them.
func commands() []command {
	return []command{
		{name: "serve", synopsis: "--config FILE [--interface NAME]... [--tftp-root DIR] [--data-dir DIR] [--user NAME] [--log-level LEVEL]",
			summary: "serve DHCP, TFTP, HTTP boot and the dashboard as the config says",
			run: func(ctx context.Context, args []string, _, stderr io.Writer) error {
				return serve(ctx, args, stderr)
			}},
		{name: "check", synopsis: "--config FILE [--interface NAME]... [--tftp-root DIR] [--data-dir DIR] [--user NAME]",
			summary: "validate a config as serve would and report every problem as FILE:LINE",
			run: func(_ context.Context, args []string, stdout, stderr io.Writer) error {
				return check(args, stdout, stderr)
			}},
		{name: "leases", synopsis: "[--data-dir DIR | --config FILE] [--json]",
			summary: "print the lease store, also while pxed serves",
			run:     leases},
		{name: "migrate", synopsis: "--config FILE --from-data-dir DIR",
			summary: "move the leases of an embedded store into the PostgreSQL store the config names",
			run:     migrate},
		{name: "status", synopsis: "[--config FILE | --api URL] [--token-file FILE] [--json] [MAC]",
			summary: "show what a running pxed knows of the machines booting, or of one",
			run:     status},
		{name: "watch", synopsis: "[--config FILE | --api URL] [--token-file FILE] [--json]",
			summary: "follow a running pxed's boot events as they happen",
			run:     watch},
		{name: "reload", synopsis: "[--config FILE | --api URL] [--token-file FILE] [--json]   (the running pxed reads its config again)",
			summary: "make a running pxed read its config file again, as SIGHUP does",
			run:     reload},
		{name: "hosts", synopsis: `list|show NAME|set NAME [--mac M] [--macs M,GLOB] [--uuid U] [--ip IP] [--profile P]
[--netboot always|once|never] [--file F] [--reinstall]|rm NAME|discovered
|adopt MAC --name N [--profile P] [--ip IP] [--netboot M]|profile NAME PROFILE
|reinstall NAME|wake NAME|poweroff MAC
[--config FILE | --api URL] [--token-file FILE] [--json]`,
			summary: "list and change the hosts of a running pxed",
			run:     hosts},
		{name: "profiles", synopsis: `list|show NAME|set NAME [--kernel K] [--initrd I]... [--cmdline C]
[--san-target ISCSI-URI|-] [--san-hook true|false] [--root-path PATH]
[--image DIR|TAR|-] [--image-compression zstd|gzip] [--overlay PATH=TEMPLATE]...|rm NAME
[--config FILE | --api URL] [--token-file FILE] [--json]`,
			summary: "list and change the boot profiles of a running pxed",
			run:     profiles},
		{name: "rules", synopsis: `list|show NAME|put FILE|delete NAME   (discovery rules; FILE: one rule, YAML or JSON)
[--config FILE | --api URL] [--token-file FILE] [--json]`,
			summary: "list and change the discovery rules of a running pxed",
			run:     rules},
		{name: "convert", synopsis: "[--keys DIR] DHCPD.CONF   (prints the equivalent pxed YAML; --keys writes its TSIG key there)",
			summary: "print the pxed YAML equivalent of an ISC dhcpd.conf",
			run: func(_ context.Context, args []string, stdout, stderr io.Writer) error {
				return convert(args, stdout, stderr)
			}},
		{name: "init", synopsis: `[--interface NAME] [--tftp-root DIR] [--out FILE [--force]] [--listen 5s]
(writes a first config for the link; proxy mode if a DHCP server answers)`,
			summary: "write a first config for one link, ProxyDHCP if another DHCP server answers",
			run:     initCmd},
		{name: "agent", synopsis: "[--server URL --token T --mac M]   (the discovery agent; /init of the discovery boot)",
			summary: "report this machine's inventory to pxed (the discovery boot runs it as /init)",
			run: func(ctx context.Context, args []string, stdout, _ io.Writer) error {
				return agentCmd(ctx, args, stdout)
			}},
		{name: "completion", synopsis: "bash|zsh   (prints the shell's completion script)",
			summary: "print the completion script of a shell",
			run: func(_ context.Context, args []string, stdout, _ io.Writer) error {
				return completion(args, stdout)
			}},
		{name: "version", summary: "print pxed's version, the commit it was built from and the Go release",
			run: func(_ context.Context, _ []string, stdout, _ io.Writer) error {
				_, err := fmt.Fprint(stdout, versionText(version, readBuildInfo()))
				return err
			}},
		{name: "help", summary: "print this usage text",
			run: func(_ context.Context, _ []string, stdout, _ io.Writer) error {
				_, err := fmt.Fprint(stdout, usage())
				return err
			}},
		{name: "gen-man", hidden: true, summary: "print the man page pxed(8) in roff",
			run: func(_ context.Context, _ []string, stdout, _ io.Writer) error {
				return manPage(stdout)
			}},
	}
}

// lookup finds the command called name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// synopsisLines are the lines of c's synopsis, each without the
// indentation the usage text gives it.
func (c command) synopsisLines() []string {
	if c.synopsis == "" {
		return nil
	}
	return strings.Split(c.synopsis, "\n")
}

var flagWord = regexp.MustCompile(`--[a-z][a-z0-9-]*`)

// flags are the long flags c's synopsis names, each once, in order.
func (c command) flags() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range flagWord.FindAllString(c.synopsis, -1) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// usage is the text pxed help prints.
func usage() string {
	var b strings.Builder
	b.WriteString("pxed: a PXE network-boot server (DHCP + TFTP)\n\nusage:\n")
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		lines := c.synopsisLines()
		if len(lines) == 0 {
			fmt.Fprintf(&b, "  pxed %s\n", c.name)
			continue
		}
		fmt.Fprintf(&b, "  pxed %-10s %s\n", c.name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "  %-15s %s\n", "", l)
		}
	}
	return b.String()
}
