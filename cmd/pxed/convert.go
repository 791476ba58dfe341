package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pxed/pxed/internal/dhcpdconf"
)

// convert prints the pxed YAML equivalent of an ISC dhcpd.conf. It reads the
// file as a dhcpd.conf whatever its first line says (the user said it is
// one) and reports every statement outside the subset with its line. It does
// not validate: the result is checked with pxed check, where flags such as
// --tftp-root apply.
func convert(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("give one dhcpd.conf to convert")}
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cfg, err := dhcpdconf.Parse(path, data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errProblems
	}
	out, err := cfg.YAML()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# pxed configuration converted by pxed convert from %s.\n# Check it with pxed check; docs/config.md describes every field.\n", path)
	_, err = stdout.Write(out)
	return err
}
