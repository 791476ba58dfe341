package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pxed/pxed/internal/dhcpdconf"
)

// convert prints the pxed YAML equivalent of an ISC dhcpd.conf. It reads the
// file as a dhcpd.conf whatever its first line says (the user said it is
// one) and reports every statement outside the subset with its line. It does
// not validate: the result is checked with pxed check, where flags such as
// --tftp-root apply.
//
// A TSIG key the dhcpd.conf's DNS updates sign with is never printed: the
// YAML's dns_updates.key_file names a file of its own, which --keys DIR
// writes (DIR/NAME.key, mode 0600, BIND's syntax); without --keys, stderr
// says where the key is to go.
func convert(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("convert", flag.ContinueOnError)
	flags.SetOutput(stderr)
	keys := flags.String("keys", "", "write the TSIG key of the DNS updates to `DIR`/NAME.key (mode 0600)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usageError{fmt.Errorf("give one dhcpd.conf to convert")}
	}
	path := flags.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cfg, err := dhcpdconf.Parse(path, data)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errProblems
	}
	if k, ok := dhcpdconf.DNSKey(path, data); ok {
		if *keys == "" {
			fmt.Fprintf(stderr, "%s:%d: the TSIG key %q is not put in the YAML: dns_updates.key_file names %s; write it there (pxed convert --keys DIR writes DIR/%s.key, mode 0600)\n",
				path, k.Line, k.Name, k.File, k.Name)
		} else {
			file, err := writeKey(*keys, k)
			if err != nil {
				return err
			}
			cfg.DNSUpdates.KeyFile = file
			fmt.Fprintf(stderr, "wrote the TSIG key %q to %s (mode 0600)\n", k.Name, file)
		}
	}
	out, err := cfg.YAML()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# pxed configuration converted by pxed convert from %s.\n# Check it with pxed check; docs/config.md describes every field.\n", path)
	_, err = stdout.Write(out)
	return err
}

// writeKey writes k to dir/NAME.key, readable by its owner only: a file
// there already is left as it is, and is an error unless it holds k.
func writeKey(dir string, k dhcpdconf.Key) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, k.Name+".key")
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		if had, rerr := os.ReadFile(file); rerr == nil && bytes.Equal(had, k.Text()) {
			return file, nil
		}
		return "", fmt.Errorf("writing the TSIG key: %s exists and holds something else; not overwritten", file)
	}
	if err != nil {
		return "", fmt.Errorf("writing the TSIG key: %w", err)
	}
	if _, err := f.Write(k.Text()); err != nil {
		f.Close()
		os.Remove(file)
		return "", fmt.Errorf("writing the TSIG key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(file)
		return "", fmt.Errorf("writing the TSIG key: %w", err)
	}
	return file, nil
}
