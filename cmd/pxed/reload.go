package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pxed/pxed/internal/web"
)

// reload runs `pxed reload`: the running pxed reads its config file again
// (POST /api/v1/reload, as SIGHUP does) and says what applied, what needs a
// restart, or why the file was refused (its problems, FILE:LINE, as pxed
// check prints them; the running config then stays).
func reload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a apiFlags
	a.register(fs)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("reload takes no arguments, got %q", fs.Args())}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	var res web.Reload
	err = c.do(ctx, "POST", "/api/v1/reload", nil, &res)
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusUnprocessableEntity {
		// Refused: the answer is the reload's, with the problems.
		if jerr := json.Unmarshal(ae.body, &res); jerr != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(stdout, res); err != nil {
			return err
		}
	} else {
		printReload(stdout, stderr, res)
	}
	if !res.Applied {
		return errProblems
	}
	return nil
}

// printReload says what became of a reload: on stdout when it applied, on
// stderr (each problem on its line) when it was refused.
func printReload(stdout, stderr io.Writer, res web.Reload) {
	if !res.Applied {
		fmt.Fprintln(stderr, "pxed reload: refused; the running config stays:")
		for _, p := range res.Problems {
			fmt.Fprintln(stderr, p)
		}
		return
	}
	changed := "nothing changed"
	if len(res.Changed) > 0 {
		changed = "applied: " + strings.Join(res.Changed, ", ")
	}
	fmt.Fprintf(stdout, "reloaded in %s; %s\n", res.Duration, changed)
	if len(res.NeedsRestart) > 0 {
		fmt.Fprintf(stdout, "needs a restart: %s\n", strings.Join(res.NeedsRestart, ", "))
	}
}
