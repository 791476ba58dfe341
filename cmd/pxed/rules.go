package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pxed/pxed/internal/config"
)

// ruleView is a discovery rule as the API shows it.
type ruleView struct {
	config.Rule
	Source string `json:"source"`
}

// rules runs `pxed rules list|show NAME|put FILE|delete NAME`.
func rules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("say list, show NAME, put FILE or delete NAME")}
	}
	call, err := parseCatalogCall("rules", args, stdout, stderr, func(string, *flag.FlagSet) {})
	if err != nil {
		return err
	}
	if call.verb != "list" && call.name == "" {
		what := "a rule name"
		if call.verb == "put" {
			what = "a file holding the rule (YAML or JSON, as in discovery.rules)"
		}
		return usageError{fmt.Errorf("rules %s needs %s", call.verb, what)}
	}
	switch call.verb {
	case "list":
		return getAndPrint(ctx, call, "/api/v1/rules", printRules)
	case "show":
		return getAndPrint(ctx, call, rulePath(call.name), printRule)
	case "put":
		return putRule(ctx, call)
	case "delete", "rm":
		return call.api.do(ctx, "DELETE", rulePath(call.name), nil, nil)
	}
	return usageError{fmt.Errorf("unknown rules command %q (list, show, put, delete)", call.verb)}
}

// rulePath is the API path of the discovery rule called name.
func rulePath(name string) string { return "/api/v1/rules/" + url.PathEscape(name) }

// putRule stores the rule in the file call names through the API, and
// prints it as the server now has it.
func putRule(ctx context.Context, call *catalogCall) error {
	data, err := os.ReadFile(call.name)
	if err != nil {
		return err
	}
	r, err := config.ParseRule(call.name, data)
	if err != nil {
		return err
	}
	if r.Name == "" {
		return fmt.Errorf("%s: the rule has no name", call.name)
	}
	var out ruleView
	if err := call.api.do(ctx, "PUT", rulePath(r.Name), r, &out); err != nil {
		return err
	}
	if call.asJSON {
		return printJSON(call.out, out)
	}
	return printRule(call.out, out)
}

// printRules writes rules as a table, one per line, in the order they are
// tried.
func printRules(w io.Writer, rs []ruleView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMATCH\tHOSTNAME\tPROFILE\tSOURCE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(ruleMatch(r.Match)), r.Assign.Hostname, orDash(r.Assign.Profile), r.Source)
	}
	return tw.Flush()
}

// printRule writes one rule, a field per line.
func printRule(w io.Writer, r ruleView) error {
	ip := ""
	if r.Assign.IP.IsValid() {
		ip = r.Assign.IP.String()
	}
	netboot := string(r.Assign.Netboot)
	if netboot == "" {
		netboot = string(config.NetbootAlways)
	}
	_, err := fmt.Fprintf(w, "name:     %s\nsource:   %s\nmatch:    %s\nhostname: %s\nip:       %s\nprofile:  %s\nnetboot:  %s\n",
		r.Name, r.Source, orDash(ruleMatch(r.Match)), r.Assign.Hostname, orDash(ip), orDash(r.Assign.Profile), netboot)
	return err
}

// ruleMatch writes what a rule asks as field=value words, empty when it
// asks nothing (it matches every machine).
func ruleMatch(m config.RuleMatch) string {
	var out []string
	add := func(field, v string) {
		if v != "" {
			out = append(out, field+"="+v)
		}
	}
	add("mac", strings.Join(m.MAC, ","))
	add("arch", strings.Join(m.Arch, ","))
	add("vendor", m.Vendor)
	add("product", m.Product)
	add("serial", m.Serial)
	add("firmware", m.Firmware)
	add("memory", m.Memory)
	add("disk", m.Disk)
	return strings.Join(out, " ")
}
